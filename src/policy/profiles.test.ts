// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { rawCertificate, type RawExtension } from '../testing/raw-certificate.js'
import { encodeQcStatements, QC_STATEMENTS_OID, type QcStatementsSpec } from '../x509/qc-statements.js'
import { pemToDer } from '../x509/pem.js'
import { worst, type Check } from '../verdicts.js'
import { evaluateProfile, PROFILE_NAMES, RGS_SIGNATURE_POLICY_OIDS, type ProfileName } from './profiles.js'
import { qualifyCertificate } from './qualification.js'
import { parseTrustedList } from './trusted-list/parse.js'

const crypto = webcrypto as unknown as Crypto
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url))
const pem = (name: string): Uint8Array => pemToDer(fixture(name).toString('utf8'))[0] as Uint8Array
// Parsed once: about 0.3 s.
const fr = parseTrustedList(fixture('tl/FR-TL-seq112-2023-02-23.xml'))
const byId = (checks: readonly Check[], id: string): Check | undefined => checks.find((check) => check.id === id)

const AT = new Date('2026-01-01T00:00:00Z')
const DAY = 86_400_000
const PERSON = 'C=FR, O=Commune TEST, CN=Camille DUPONT-TEST, 2.5.4.42=Camille, 2.5.4.4=DUPONT-TEST'

interface CertSpec {
  key?: 'rsa2048' | 'rsa1024' | 'ec-p256'
  hash?: 'SHA-256' | 'SHA-1'
  keyUsage?: x509.KeyUsageFlags
  qc?: QcStatementsSpec
  policies?: string[]
  subject?: string
  notAfter?: Date
  revocation?: boolean
}

/** A self-signed end-entity certificate, a personal QES-like one unless told otherwise. */
async function certificate(spec: CertSpec = {}): Promise<Uint8Array> {
  const hash = spec.hash ?? 'SHA-256'
  const algorithm =
    spec.key === 'ec-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: spec.key === 'rsa1024' ? 1024 : 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash,
        }
  const keys = (await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair
  const qc = spec.qc ?? { compliance: true, sscd: true, types: ['esign'] }
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: spec.subject ?? PERSON,
      notBefore: new Date(AT.getTime() - 365 * DAY),
      notAfter: spec.notAfter ?? new Date(AT.getTime() + 2 * 365 * DAY),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.KeyUsagesExtension(spec.keyUsage ?? x509.KeyUsageFlags.nonRepudiation, true),
        new x509.Extension(QC_STATEMENTS_OID, false, new Uint8Array(encodeQcStatements(qc))),
        ...(spec.policies === undefined ? [] : [new x509.CertificatePolicyExtension(spec.policies)]),
        ...(spec.revocation === false
          ? []
          : [
              new x509.CRLDistributionPointsExtension(['http://127.0.0.1/sceau-test/ca.crl']),
              new x509.AuthorityInfoAccessExtension({ ocsp: ['http://127.0.0.1/sceau-test/ocsp'] }),
            ]),
      ],
    },
    crypto,
  )
  return new Uint8Array(cert.rawData)
}

function run(name: ProfileName, der: Uint8Array, at = AT, extra: { acceptedPolicyOids?: string[]; trusted?: boolean } = {}): Check[] {
  const qualification = qualifyCertificate(der, { at, ...(extra.trusted === true ? { trustedLists: [fr] } : {}) })
  return evaluateProfile(name, {
    certificate: der,
    qualification,
    at,
    ...(extra.acceptedPolicyOids === undefined ? {} : { acceptedPolicyOids: extra.acceptedPolicyOids }),
  })
}

describe('profiles on the test PKI', () => {
  let pki: TestPki
  beforeAll(async () => {
    pki = await createTestPki()
  })

  it('passes every profile with the RSA-2048 and EC P-256 signature leaves', () => {
    for (const leaf of ['signature-rsa2048', 'signature-ec-p256']) {
      for (const profile of PROFILE_NAMES) {
        const checks = run(profile, pki.leaf(leaf).certificate, pki.now)
        expect([leaf, profile, worst(checks)]).toEqual([leaf, profile, 'pass'])
      }
    }
    expect(byId(run('none', pki.leaf('signature-ec-p256').certificate, pki.now), 'profile.key')?.reason).toBe('EC P-256')
  })

  it('fails the authentication leaf as authentication-only, and as not qualified for QES', () => {
    const der = pki.leaf('authentication-rsa2048').certificate
    const rgs = run('rgs2-signature', der, pki.now)
    expect(byId(rgs, 'profile.keyUsage')).toMatchObject({
      status: 'indeterminate',
      reason: 'authentication-only certificate (keyUsage digitalSignature, no nonRepudiation)',
    })
    expect(byId(rgs, 'profile.policy')?.status).toBe('indeterminate')
    const qes = run('eidas-qes', der, pki.now)
    expect(byId(qes, 'profile.qualification')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringMatching(/this is not a qualified certificate \(the certificate has no QC statements\)$/),
    })
    expect(worst(run('none', der, pki.now))).toBe('pass')
  })

  it('fails the expired leaf in every profile, naming the date', () => {
    const der = pki.leaf('expired-rsa2048').certificate
    for (const profile of PROFILE_NAMES) {
      expect(byId(run(profile, der, pki.now), 'profile.validity')).toMatchObject({
        status: 'fail',
        subIndication: 'EXPIRED',
        reason: expect.stringMatching(/^expired on \d{4}-\d{2}-\d{2} /),
      })
    }
  })
})

describe('profiles on hand-made certificates', () => {
  it('fails an RSA-1024 key in every profile, naming it', async () => {
    const der = await certificate({ key: 'rsa1024' })
    for (const profile of PROFILE_NAMES) {
      expect(byId(run(profile, der), 'profile.key')).toMatchObject({
        status: 'indeterminate',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        reason: 'RSA 1024 bits is too short: at least 2048 bits are required',
      })
    }
  })

  it('passes an EC P-256 QES certificate', async () => {
    const checks = run('rgs2-signature', await certificate({ key: 'ec-p256' }))
    expect(worst(checks)).toBe('pass')
    expect(byId(checks, 'profile.signatureAlgorithm')?.reason).toMatch(/ecdsa-with-SHA256/)
  })

  it('fails a certificate signed with SHA-1', async () => {
    const checks = run('none', await certificate({ hash: 'SHA-1' }))
    expect(byId(checks, 'profile.signatureAlgorithm')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringMatching(/sha1WithRSAEncryption/),
    })
  })

  it('does not let a seal (QcType eseal) pass rgs2-signature, even with nonRepudiation', async () => {
    const der = await certificate({
      qc: { compliance: true, sscd: true, types: ['eseal'] },
      subject: 'C=FR, O=Commune TEST, CN=Cachet TEST',
    })
    const checks = run('rgs2-signature', der)
    expect(byId(checks, 'profile.seal')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringMatching(/^this is an electronic seal, not a personal signature/),
    })
    expect(byId(checks, 'profile.policy')).toMatchObject({ status: 'indeterminate', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' })
    expect(worst(checks)).toBe('indeterminate')
    expect(byId(run('eidas-qualified', der), 'profile.qualification')?.status).toBe('indeterminate')
  })

  it('accepts a non-qualified certificate with an allow-listed French RGS** signature policy, or one the caller adds', async () => {
    const eurodacio = await certificate({ qc: {}, policies: ['1.2.250.1.96.1.7.2.4.1'] })
    expect(RGS_SIGNATURE_POLICY_OIDS).toContainEqual(['1.2.250.1.96.1.7.2.4.1'])
    expect(byId(run('rgs2-signature', eurodacio), 'profile.policy')).toMatchObject({
      status: 'pass',
      reason: expect.stringContaining('1.2.250.1.96.1.7.2.4.1'),
    })
    expect(byId(run('eidas-qes', eurodacio), 'profile.qualification')?.status).toBe('indeterminate')

    const local = await certificate({ qc: {}, policies: ['2.999.250.1.9.2.1.1'] })
    expect(byId(run('rgs2-signature', local), 'profile.policy')?.status).toBe('indeterminate')
    expect(byId(run('rgs2-signature', local, AT, { acceptedPolicyOids: ['2.999.250.1.9.2.1.1'] }), 'profile.policy')?.status).toBe('pass')
  })

  it('needs both OIDs of an Imprimerie Nationale policy pair', async () => {
    const one = await certificate({ qc: {}, policies: ['1.2.250.1.295.1.1.8.6.1.102.1'] })
    const both = await certificate({ qc: {}, policies: ['1.2.250.1.295.1.1.8.6.1.102.1', '1.2.250.1.295.1.1.8.0.1.102.0'] })
    expect(byId(run('rgs2-signature', one), 'profile.policy')?.status).toBe('indeterminate')
    expect(byId(run('rgs2-signature', both), 'profile.policy')?.status).toBe('pass')
  })

  it('warns when the subject has no givenName/surname and when there is no revocation pointer', async () => {
    const checks = run('rgs2-signature', await certificate({ subject: 'C=FR, CN=Camille DUPONT-TEST', revocation: false }))
    expect(byId(checks, 'profile.subject')).toMatchObject({ status: 'warning', reason: expect.stringContaining('givenName and surname') })
    expect(byId(checks, 'profile.revocationPointers')?.status).toBe('warning')
    expect(worst(checks)).toBe('warning')
  })

  it('warns 60 days before expiry, because renewing takes weeks', async () => {
    const der = await certificate({ notAfter: new Date(AT.getTime() + 30 * DAY + 3_600_000) })
    expect(byId(run('eidas-qes', der), 'profile.validity')).toMatchObject({
      status: 'warning',
      reason: 'expires in 30 days (2026-01-31): renewing takes weeks',
    })
  })
})

describe('profiles on real certificates and the real French TL seq 112', () => {
  const at = new Date('2023-03-01T00:00:00Z')

  it('passes the ANTS agent Mathieu JORRY in every profile', () => {
    const der = pem('policy/Mathieu-JORRY-3310003898jm__3727ba76.pem')
    for (const profile of PROFILE_NAMES) expect([profile, worst(run(profile, der, at, { trusted: true }))]).toEqual([profile, 'pass'])
  })

  it('fails the CertEurope ClearBUS seal for rgs2-signature, eidas-qes and eidas-qualified', () => {
    const der = pem('certs/CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem')
    const rgs = run('rgs2-signature', der, at, { trusted: true })
    expect(byId(rgs, 'profile.seal')?.status).toBe('indeterminate')
    expect(byId(rgs, 'profile.policy')?.reason).toMatch(/^a qualified certificate for electronic seals/)
    expect(byId(run('eidas-qualified', der, at, { trusted: true }), 'profile.qualification')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringMatching(
        /this is a qualified certificate for electronic seals \(for electronic seals: QcType eseal in the certificate\)$/,
      ),
    })
  })

  it('accepts the Universign QC without QSCD for public procurement only', () => {
    const der = pem('qualification/MARIE-ANGE-LIEGEOIS__38860679.pem')
    const when = new Date('2018-02-27T00:00:00Z')
    expect(worst(run('eidas-qualified', der, when, { trusted: true }))).toBe('pass')
    expect(byId(run('eidas-qes', der, when, { trusted: true }), 'profile.qualification')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringMatching(
        /this is a qualified certificate for electronic signatures without a QSCD \(the trusted list says QCNoQSCD\)$/,
      ),
    })
    // Its policy 1.3.6.1.4.1.15819.5.1.3.1 is Universign's QCNoQSCD offer, not an RGS** one.
    expect(byId(run('rgs2-signature', der, when, { trusted: true }), 'profile.policy')?.status).toBe('indeterminate')
  })

  it('fails the AXA FRANCE VIE organisation certificate as a seal, and the Certinomis DARVA seal on keyUsage too', () => {
    const axa = run('rgs2-signature', pem('qualification/AXA-FRANCE-VIE__b500d1a6.pem'), new Date('2015-01-05T00:00:00Z'), {
      trusted: true,
    })
    expect(byId(axa, 'profile.seal')?.reason).toMatch(/organisation AXA FRANCE VIE and no natural person/)
    const darva = run('rgs2-signature', pem('qualification/DARVA-OREA-1__238ccd72.pem'), at, { trusted: true })
    expect(byId(darva, 'profile.keyUsage')?.status).toBe('indeterminate')
    expect(byId(darva, 'profile.seal')?.status).toBe('indeterminate')
  })
})

describe('profiles and qualification on certificates whose extensions cannot be decoded', () => {
  const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
  // Certum QCA 2017's qcStatements: QcCompliance, QcType esign written as a bare OID (not a SEQUENCE OF), QcSSCD.
  const CERTUM_QC = {
    oid: QC_STATEMENTS_OID,
    value: hex('30273008060604008e4601013011060604008e460106060704008e460106013008060604008e460104'),
  }
  const NON_REPUDIATION = { oid: '2.5.29.15', critical: true, value: hex('03020640') }
  const POLICY = { oid: '2.5.29.32', value: hex('300b300906072a817a01020304') } // 1.2.250.1.2.3.4
  const CRL = { oid: '2.5.29.31', value: hex('30173015a013a011860f687474703a2f2f63726c2e74657374') }
  const make = (extensions: RawExtension[], subject = PERSON): Uint8Array =>
    rawCertificate({ subject, notBefore: new Date(AT.getTime() - DAY), notAfter: new Date(AT.getTime() + 365 * DAY), extensions })
      .certificate
  const certum = (): Uint8Array => make([NON_REPUDIATION, CERTUM_QC, POLICY, CRL])

  it('says "QcType could not be read" as a warning, and qualifies the certificate as no more than that allows', () => {
    const result = qualifyCertificate(certum(), { at: AT })
    expect(result.qualification).toBe('NOT_QUALIFIED')
    expect(byId(result.checks, 'qualification.type')).toMatchObject({
      status: 'warning',
      reason: 'type undecidable: QcType could not be read: its value is not a SEQUENCE OF OBJECT IDENTIFIER (EN 319 412-5 §4.2.3)',
    })
    expect(byId(result.checks, 'qualification.qcCompliance')?.status).toBe('pass')
    expect(byId(result.checks, 'qualification.qscd')?.status).toBe('pass')
  })

  it('leaves eidas-qes and eidas-qualified undecided with that reason; rgs2-signature passes on an accepted RGS policy', () => {
    for (const profile of ['eidas-qes', 'eidas-qualified'] as const) {
      expect(byId(run(profile, certum()), 'profile.qualification')).toMatchObject({
        status: 'indeterminate',
        subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
        reason: expect.stringContaining('this is not a qualified certificate (type undecidable: QcType could not be read'),
      })
    }
    const without = byId(run('rgs2-signature', certum()), 'profile.policy')
    expect(without).toMatchObject({ status: 'indeterminate', reason: expect.stringContaining('QcType could not be read') })
    const rgs = run('rgs2-signature', certum(), AT, { acceptedPolicyOids: ['1.2.250.1.2.3.4'] })
    expect(worst(rgs)).toBe('pass')
    expect(worst(run('none', certum()))).toBe('pass')
  })

  it('cannot rule out a seal when the QcType is unreadable and the subject names no person', () => {
    const organisation = make([NON_REPUDIATION, CERTUM_QC, POLICY, CRL], 'C=FR, O=Commune TEST, CN=Service courrier TEST')
    expect(byId(run('rgs2-signature', organisation, AT, { acceptedPolicyOids: ['1.2.250.1.2.3.4'] }), 'profile.seal')).toMatchObject({
      status: 'indeterminate',
      reason: 'the QcType cannot be read and the subject names no natural person: it may be an electronic seal',
    })
  })

  it('leaves keyUsage, policy and revocation pointers undecided or noted when their extensions cannot be decoded', () => {
    const badKeyUsage = make([{ oid: '2.5.29.15', critical: true, value: hex('0500') }, CERTUM_QC, POLICY, CRL])
    expect(byId(run('eidas-qes', badKeyUsage), 'profile.keyUsage')).toMatchObject({
      status: 'indeterminate',
      subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
      reason: 'the keyUsage extension cannot be decoded: whether it allows nonRepudiation is unknown',
    })
    const badPolicies = make([
      NON_REPUDIATION,
      CERTUM_QC,
      { oid: '2.5.29.32', value: hex('0500') },
      { oid: '2.5.29.31', value: hex('020101') },
    ])
    const checks = run('rgs2-signature', badPolicies, AT, { acceptedPolicyOids: ['1.2.250.1.2.3.4'] })
    expect(byId(checks, 'profile.policy')).toMatchObject({
      status: 'indeterminate',
      reason: expect.stringContaining('its certificatePolicies cannot be decoded'),
    })
    expect(byId(checks, 'profile.revocationPointers')).toMatchObject({
      status: 'warning',
      reason:
        'no CRL distribution point and no OCSP responder (cRLDistributionPoints (2.5.29.31) cannot be decoded): revocation cannot be checked',
    })
  })
})
