// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { encodeQcStatements, QC_STATEMENTS_OID, type QcStatementsSpec } from '../x509/qc-statements.js'
import { pemToDer } from '../x509/pem.js'
import type { Check } from '../verdicts.js'
import { qualifyCertificate } from './qualification.js'
import { parseTrustedList } from './trusted-list/parse.js'
import { SERVICE_STATUSES } from './trusted-list/uris.js'

const crypto = webcrypto as unknown as Crypto
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url))
const pem = (name: string): Uint8Array => pemToDer(fixture(name).toString('utf8'))[0] as Uint8Array
// Parsed once: about 0.3 s.
const fr = parseTrustedList(fixture('tl/FR-TL-seq112-2023-02-23.xml'))
const byId = (checks: readonly Check[], id: string): Check | undefined => checks.find((check) => check.id === id)

/** A self-signed end-entity certificate with the given QC statements and policies. */
async function certificate(qc: QcStatementsSpec, policies: string[] = []): Promise<Uint8Array> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = (await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'C=FR, O=Commune TEST, CN=Cachet TEST',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2028-01-01T00:00:00Z'),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.Extension(QC_STATEMENTS_OID, false, new Uint8Array(encodeQcStatements(qc))),
        ...(policies.length > 0 ? [new x509.CertificatePolicyExtension(policies)] : []),
      ],
    },
    crypto,
  )
  return new Uint8Array(cert.rawData)
}

describe('qualifyCertificate without a trusted list (test PKI)', () => {
  let pki: TestPki
  beforeAll(async () => {
    pki = await createTestPki()
  })

  it('reads QcCompliance + QcSSCD + QcType esign as QC_FOR_ESIG_QSCD and warns that no TL was consulted', () => {
    const result = qualifyCertificate(pki.leaf('signature-rsa2048').certificate, { at: pki.now })
    expect(result).toMatchObject({
      qualification: 'QC_FOR_ESIG_QSCD',
      atIssuance: 'QC_FOR_ESIG_QSCD',
      source: 'certificate',
      trustedListConsulted: false,
    })
    expect(result.service).toBeUndefined()
    expect(byId(result.checks, 'qualification.tl.service')).toMatchObject({
      status: 'warning',
      reason: expect.stringMatching(/^trusted list not consulted/),
    })
    expect(byId(result.checks, 'qualification.qcCompliance')?.status).toBe('pass')
    expect(byId(result.checks, 'qualification.qscd')?.status).toBe('pass')
    expect(byId(result.checks, 'qualification.type')?.status).toBe('pass')
  })

  it('finds the authentication leaf, which has no QC statements, not qualified', () => {
    const result = qualifyCertificate(pki.leaf('authentication-rsa2048').certificate, { at: pki.now })
    expect(result.qualification).toBe('NOT_QUALIFIED')
    expect(byId(result.checks, 'qualification.qcCompliance')).toMatchObject({
      status: 'warning',
      reason: 'the certificate has no QC statements',
    })
  })

  it('falls back on the certificate, with a warning, when the TL has no service for its issuer', () => {
    const result = qualifyCertificate(pki.leaf('signature-rsa2048').certificate, { trustedLists: [fr], at: pki.now })
    expect(result).toMatchObject({ qualification: 'QC_FOR_ESIG_QSCD', source: 'certificate', trustedListConsulted: true })
    expect(byId(result.checks, 'qualification.tl.service')).toMatchObject({
      status: 'warning',
      reason: expect.stringContaining('no service of the trusted lists issued this certificate (FR seq 112)'),
    })
  })
})

describe('qualifyCertificate from the certificate alone (hand-made certificates)', () => {
  const at = new Date('2026-01-01T00:00:00Z')

  it('reads QcType eseal as a seal, with or without QcSSCD', async () => {
    expect(qualifyCertificate(await certificate({ compliance: true, types: ['eseal'] }), { at }).qualification).toBe('QC_FOR_ESEAL')
    expect(qualifyCertificate(await certificate({ compliance: true, sscd: true, types: ['eseal'] }), { at }).qualification).toBe(
      'QC_FOR_ESEAL_QSCD',
    )
  })

  it('reads a QC with no QcType but the ETSI QCP-l-qscd policy as a seal on a QSCD', async () => {
    const result = qualifyCertificate(await certificate({ compliance: true }, ['0.4.0.194112.1.3']), { at })
    expect(result.qualification).toBe('QC_FOR_ESEAL_QSCD')
  })

  it('refuses a QC under non-EU legislation (QcCClegislation)', async () => {
    const result = qualifyCertificate(await certificate({ compliance: true, sscd: true, types: ['esign'], legislation: ['CH'] }), { at })
    expect(result.qualification).toBe('NOT_QUALIFIED')
    expect(byId(result.checks, 'qualification.qcCompliance')?.reason).toMatch(/legislation of CH/)
  })

  it('refuses a certificate with two QcTypes', async () => {
    const result = qualifyCertificate(await certificate({ compliance: true, types: ['esign', 'eseal'] }), { at })
    expect(result.qualification).toBe('NOT_QUALIFIED')
    expect(byId(result.checks, 'qualification.type')).toMatchObject({
      status: 'warning',
      reason: expect.stringMatching(/^type undecidable/),
    })
  })
})

describe('qualifyCertificate with the real French TL seq 112', () => {
  it('qualifies the ANTS agent Mathieu JORRY as QC_FOR_ESIG_QSCD through the TL at 2023-03-01', () => {
    const result = qualifyCertificate(pem('certs/Mathieu-JORRY-3310003898jm__3727ba76.pem'), {
      trustedLists: [fr],
      at: new Date('2023-03-01T00:00:00Z'),
    })
    expect(result).toMatchObject({
      qualification: 'QC_FOR_ESIG_QSCD',
      source: 'trusted-list',
      trustedListConsulted: true,
      service: {
        provider: 'Agence Nationale des Titres Sécurisés',
        name: 'Autorité de Certification Personnes AAE',
        territory: 'FR',
        statusAtIssuance: SERVICE_STATUSES.granted,
        statusAtValidation: SERVICE_STATUSES.granted,
      },
    })
    // At 2023-03-01 the service's 2022-03-21 Qualifications entry names the leaf's policy 1.2.250.1.200.3.1.2.3.2
    // and says QCWithQSCD. At issuance (2021-11-23) the older entry's criteria did not name that policy, so no TL
    // qualifier applied then and the certificate's own QcSSCD + QcType esign decided: the same QC_FOR_ESIG_QSCD.
    expect(result.atIssuance).toBe('QC_FOR_ESIG_QSCD')
    expect(byId(result.checks, 'qualification.qscd')).toMatchObject({ status: 'pass', reason: 'the trusted list says QCWithQSCD' })
    expect(byId(result.checks, 'qualification.tl.status')?.status).toBe('pass')
    expect(byId(result.checks, 'qualification.tl.service')?.reason).toMatch(/Autorité de Certification Personnes AAE/)
  })

  it('qualifies the CertEurope ClearBUS seal as QC_FOR_ESEAL', () => {
    const result = qualifyCertificate(pem('certs/CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem'), {
      trustedLists: [fr],
      at: new Date('2023-03-01T00:00:00Z'),
    })
    expect(result).toMatchObject({ qualification: 'QC_FOR_ESEAL', atIssuance: 'QC_FOR_ESEAL', source: 'trusted-list' })
    expect(result.service?.name).toBe('CertEurope eID Corp - Seal')
    expect(byId(result.checks, 'qualification.type')).toMatchObject({
      status: 'warning',
      reason: expect.stringMatching(/^for electronic seals/),
    })
  })

  it('qualifies the Universign natural person MARIE-ANGE LIEGEOIS as QC_FOR_ESIG: the TL says QCNoQSCD', () => {
    const result = qualifyCertificate(pem('qualification/MARIE-ANGE-LIEGEOIS__38860679.pem'), {
      trustedLists: [fr],
      at: new Date('2018-02-27T00:00:00Z'),
    })
    expect(result).toMatchObject({
      qualification: 'QC_FOR_ESIG',
      atIssuance: 'QC_FOR_ESIG',
      source: 'trusted-list',
      // Issued in 2015 while the service was "accredited" (Directive 1999/93), granted under eIDAS by 2018.
      service: {
        name: 'Universign CA hardware',
        statusAtIssuance: SERVICE_STATUSES.accredited,
        statusAtValidation: SERVICE_STATUSES.granted,
      },
    })
    expect(byId(result.checks, 'qualification.qscd')).toMatchObject({ status: 'warning', reason: 'the trusted list says QCNoQSCD' })
  })

  it('finds a certificate without QC statements from a listed CA (AXA FRANCE VIE) not qualified', () => {
    const result = qualifyCertificate(pem('qualification/AXA-FRANCE-VIE__b500d1a6.pem'), {
      trustedLists: [fr],
      at: new Date('2015-01-05T00:00:00Z'),
    })
    expect(result).toMatchObject({ qualification: 'NOT_QUALIFIED', atIssuance: 'NOT_QUALIFIED', source: 'trusted-list' })
    expect(byId(result.checks, 'qualification.qcCompliance')).toMatchObject({
      status: 'warning',
      reason: 'the certificate has no QC statements',
    })
  })

  it('finds a certificate without QC statements from an unlisted CA (notaries server) not qualified, from the certificate', () => {
    const result = qualifyCertificate(pem('qualification/Serveur-de-signature-p12-pp01__dcfe534a.pem'), {
      trustedLists: [fr],
      at: new Date('2015-11-03T00:00:00Z'),
    })
    expect(result).toMatchObject({ qualification: 'NOT_QUALIFIED', source: 'certificate', trustedListConsulted: true })
  })

  it('follows the service history: a pre-eIDAS RGS*** certificate is qualified while accredited, not after withdrawal', () => {
    const der = pem('qualification/Laurent-Voillot-2310001153vl__a97de5b1.pem')
    const then = qualifyCertificate(der, { trustedLists: [fr], at: new Date('2015-09-25T00:00:00Z') })
    expect(then).toMatchObject({ qualification: 'QC_FOR_ESIG_QSCD', atIssuance: 'QC_FOR_ESIG_QSCD', source: 'trusted-list' })
    expect(then.service?.statusAtValidation).toBe(SERVICE_STATUSES.accredited)
    // No QcType and no TL type qualifier: a Directive 1999/93 service issued QCs for signatures only.
    expect(byId(then.checks, 'qualification.type')?.reason).toMatch(/pre-eIDAS service/)

    const later = qualifyCertificate(der, { trustedLists: [fr], at: new Date('2023-03-01T00:00:00Z') })
    expect(later).toMatchObject({ qualification: 'NOT_QUALIFIED', atIssuance: 'QC_FOR_ESIG_QSCD', source: 'trusted-list' })
    expect(later.service?.statusAtValidation).toBe(SERVICE_STATUSES.withdrawn)
    expect(byId(later.checks, 'qualification.tl.status')).toMatchObject({
      status: 'warning',
      reason: expect.stringMatching(/was withdrawn at 2023-03-01/),
    })
  })

  it('refuses bytes that are not a certificate', () => {
    expect(() => qualifyCertificate(new Uint8Array([1, 2, 3]), { trustedLists: [fr], at: new Date() })).toThrow(
      expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }),
    )
  })
})
