import 'reflect-metadata'
import { createHash, webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { rawCertificate } from '../testing/raw-certificate.js'
import { startOcspResponder } from '../testing/ocsp-responder.js'
import { describeCertificate } from '../x509/describe.js'
import { readCertificates } from '../x509/pem.js'
import { checkCertificate, type CheckCertificateOptions } from './check-certificate.js'
import { CrlCache } from './crl-cache.js'
import { postDer } from './http-fetch.js'
import { parseTrustedList } from './trusted-list/index.js'

let pki: TestPki
let base: CheckCertificateOptions

beforeAll(async () => {
  pki = await createTestPki()
  base = {
    at: pki.now,
    anchors: [pki.root.certificate],
    intermediates: [pki.intermediate.certificate],
    revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
  }
})

const leaf = (name: string): Uint8Array => pki.leaf(name).certificate

describe('checkCertificate on the test PKI', () => {
  it('passes an agent signature certificate, saying the trusted list was not consulted', async () => {
    const report = await checkCertificate(leaf('signature-rsa2048'), base)
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.qualification).toMatchObject({ value: 'QC_FOR_ESIG_QSCD', source: 'certificate', trustedListConsulted: false })
    expect(report.chain.map((element) => element.subject)).toEqual([
      describeCertificate(leaf('signature-rsa2048')).subject,
      describeCertificate(pki.intermediate.certificate).subject,
      describeCertificate(pki.root.certificate).subject,
    ])
    expect(report.revocation).toEqual({ status: 'pass', sources: ['crl (given)'] })
    // The leaf's status from the intermediate's CRL, the intermediate's from the root's.
    expect(report.checks.filter((check) => check.id === 'revocation.crl').map((check) => check.status)).toEqual(['pass', 'pass'])
    expect(report.warnings.join('\n')).toMatch(/trusted list/i)
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  it('names a revoked certificate plainly', async () => {
    const report = await checkCertificate(leaf('revoked-rsa2048'), base)
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'REVOKED' })
    expect(report.checks.find((check) => check.status === 'fail')?.reason).toMatch(/revoked.*keyCompromise/)
  })

  it('names an expired certificate plainly', async () => {
    const report = await checkCertificate(leaf('expired-rsa2048'), base)
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'EXPIRED' })
    expect(report.checks.some((check) => check.status === 'fail' && /expired/.test(check.reason))).toBe(true)
  })

  it('refuses an authentication-only certificate for a signature, as a constraint of the profile (EN 319 102-1)', async () => {
    const report = await checkCertificate(leaf('authentication-rsa2048'), base)
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' })
    expect(report.checks.find((check) => check.id === 'profile.keyUsage')).toMatchObject({ status: 'indeterminate' })
  })

  it('is indeterminate when an intermediate CA has no revocation data', async () => {
    const report = await checkCertificate(leaf('signature-rsa2048'), { ...base, revocation: { crls: [pki.crl], fetchCrls: false } })
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' })
    expect(report.checks.find((check) => check.status === 'indeterminate')?.subject).toBe(
      describeCertificate(pki.intermediate.certificate).subject,
    )
  })

  it('is indeterminate without revocation data, and passes only when the caller waives the check', async () => {
    const none = await checkCertificate(leaf('signature-ec-p256'), { ...base, revocation: { fetchCrls: false } })
    expect(none).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' })
    const waived = await checkCertificate(leaf('signature-ec-p256'), { ...base, revocation: { waive: true } })
    expect(waived.indication).toBe('TOTAL_PASSED')
    expect(waived.revocation.status).toBe('waived')
    expect(waived.warnings).toContain('revocation not checked: waived by the caller')
  })

  it('turns a trusted list whose signature fails or cannot be checked into NO_CERTIFICATE_CHAIN_FOUND, whatever the list’s own finding', async () => {
    const report = await checkCertificate(leaf('signature-rsa2048'), {
      ...base,
      trustedListChecks: [
        {
          id: 'tl.signature.value',
          status: 'indeterminate',
          subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
          reason: 'rsa-sha1 not supported',
        },
        { id: 'tl.signature.signer', status: 'fail', subIndication: 'SIG_CRYPTO_FAILURE', reason: 'does not verify' },
      ],
    })
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' })
    expect(report.checks.filter((check) => check.id.startsWith('tl.')).map((check) => [check.status, check.subIndication])).toEqual([
      ['indeterminate', 'NO_CERTIFICATE_CHAIN_FOUND'],
      ['indeterminate', 'NO_CERTIFICATE_CHAIN_FOUND'],
    ])
  })

  it('is indeterminate without a path to a trust anchor', async () => {
    const report = await checkCertificate(leaf('signature-rsa2048'), { ...base, anchors: [leaf('signature-ec-p256')] })
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' })
  })

  it('fetches the CRL named by the distribution point when none is given', async () => {
    const asked: string[] = []
    const report = await checkCertificate(leaf('revoked-rsa2048'), {
      ...base,
      revocation: { getCrl: async (url) => (asked.push(url), url === pki.urls.rootCrl ? pki.rootCrl : pki.crl) },
    })
    expect(asked).toEqual([pki.urls.crl, pki.urls.rootCrl])
    expect(report.subIndication).toBe('REVOKED')
  })

  it('downloads a CRL once for a batch of checks, thanks to the cache', async () => {
    const asked: string[] = []
    const crlCache = new CrlCache()
    const getCrl = async (url: string) => (asked.push(url), url === pki.urls.rootCrl ? pki.rootCrl : pki.crl)
    for (const name of ['signature-rsa2048', 'signature-ec-p256', 'revoked-rsa2048']) {
      await checkCertificate(leaf(name), { ...base, revocation: { getCrl, crlCache } })
    }
    expect(asked).toEqual([pki.urls.crl, pki.urls.rootCrl])
    expect(crlCache.size).toBe(2)
    // After the CRL's nextUpdate the cache lets go and the CRL is fetched again.
    await checkCertificate(leaf('signature-rsa2048'), {
      ...base,
      at: new Date(pki.now.getTime() + 8 * 86_400_000),
      revocation: { getCrl, crlCache },
    })
    expect(asked.filter((url) => url === pki.urls.crl)).toHaveLength(2)
  })

  it('asks OCSP when told to, against a real responder on 127.0.0.1', async () => {
    const serial = describeCertificate(leaf('signature-rsa2048')).serialNumber
    const responder = await startOcspResponder({ issuer: pki.intermediate, statuses: new Map([[serial, 'good']]) })
    try {
      const report = await checkCertificate(leaf('signature-rsa2048'), {
        ...base,
        intermediates: [pki.intermediate.certificate],
        revocation: {
          fetchCrls: false,
          ocsp: true,
          postOcsp: (_url, body) => postDer(responder.url, body, { contentType: 'application/ocsp-request' }),
        },
      })
      expect(report.checks.find((check) => check.id === 'revocation.ocsp' && check.subject?.includes('signature-rsa2048'))?.status).toBe(
        'pass',
      )
    } finally {
      await responder.close()
    }
  })
})

describe('checkCertificate with OCSP responses at hand (a PDF DSS)', () => {
  it('uses a stored response for the certificate it is about, and only for that one', async () => {
    const serial = describeCertificate(leaf('signature-rsa2048')).serialNumber
    const responder = await startOcspResponder({ issuer: pki.intermediate, statuses: new Map([[serial, 'good']]) })
    let stored: Uint8Array | undefined
    try {
      // Ask once over the network, keep the DER answer, as extendToLt does for a DSS.
      await checkCertificate(leaf('signature-rsa2048'), {
        ...base,
        intermediates: [pki.intermediate.certificate],
        revocation: {
          fetchCrls: false,
          ocsp: true,
          postOcsp: async (_url, body) => (stored = await postDer(responder.url, body, { contentType: 'application/ocsp-request' })),
        },
      })
    } finally {
      await responder.close()
    }
    if (stored === undefined) throw new Error('the responder gave no answer')
    const offline = { fetchCrls: false, ocspResponses: [stored] }
    const report = await checkCertificate(leaf('signature-rsa2048'), {
      ...base,
      intermediates: [pki.intermediate.certificate],
      revocation: offline,
    })
    const ocsp = report.checks.find((check) => check.id === 'revocation.ocsp' && check.subject?.includes('signature-rsa2048'))
    expect(ocsp?.status).toBe('pass')
    expect(report.revocation.sources).toContain('ocsp (given)')
    const other = await checkCertificate(leaf('signature-ec-p256'), {
      ...base,
      intermediates: [pki.intermediate.certificate],
      revocation: offline,
    })
    expect(other.checks.find((check) => check.id === 'revocation.ocsp' && check.subject?.includes('signature-ec-p256'))).toBeUndefined()
  })
})

describe('checkCertificate on real French data', () => {
  it('qualifies an ANTS agent certificate from the French trusted list and accepts it for Hélios', async () => {
    const tl = parseTrustedList(readFileSync(new URL('../../fixtures/tl/FR-TL-seq112-2023-02-23.xml', import.meta.url)))
    const [jorry] = readCertificates(
      readFileSync(new URL('../../fixtures/policy/Mathieu-JORRY-3310003898jm__3727ba76.pem', import.meta.url)),
    )
    const report = await checkCertificate(jorry!, {
      at: new Date('2023-03-01T12:00:00Z'),
      trustedLists: [tl],
      revocation: { waive: true },
      profile: 'rgs2-signature',
    })
    expect(report.qualification).toMatchObject({ value: 'QC_FOR_ESIG_QSCD', source: 'trusted-list', trustedListConsulted: true })
    expect(report.chain).toHaveLength(2)
    expect(report.indication).toBe('TOTAL_PASSED')
  })
})

describe('checkCertificate on what it cannot fully read', () => {
  const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
  const HOUR = 3_600_000
  const DAY = 24 * HOUR
  const CA = [
    { oid: '2.5.29.19', critical: true, value: hex('30030101ff') },
    { oid: '2.5.29.15', critical: true, value: hex('03020106') },
  ]

  it('judges a certificate whose QcType is a bare OID (Certum QCA 2017) instead of refusing it', async () => {
    const certum = rawCertificate({
      subject: 'C=FR, O=Commune TEST, CN=Camille DUPONT-TEST, 2.5.4.42=Camille, 2.5.4.4=DUPONT-TEST',
      issuer: pki.intermediate,
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + 365 * DAY),
      extensions: [
        { oid: '2.5.29.15', critical: true, value: hex('03020640') },
        { oid: '1.3.6.1.5.5.7.1.3', value: hex('30273008060604008e4601013011060604008e460106060704008e460106013008060604008e460104') },
      ],
    }).certificate
    const qes = await checkCertificate(certum, { ...base, profile: 'eidas-qes' })
    expect(qes).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' })
    expect(qes.checks.find((check) => check.id === 'qualification.type')).toMatchObject({
      status: 'warning',
      reason: expect.stringContaining('QcType could not be read'),
    })
    expect(qes.checks.find((check) => check.id === 'profile.qualification')?.reason).toContain('QcType could not be read')
    const none = await checkCertificate(certum, { ...base, profile: 'none' })
    expect(none.indication).toBe('TOTAL_PASSED')
  })

  it('reports bytes that are not a certificate as INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND when asked, and throws otherwise', async () => {
    const truncated = leaf('signature-rsa2048').subarray(0, 300)
    const tampered = new Uint8Array(leaf('signature-rsa2048'))
    tampered[1] = 0x83 // the outer length now claims more bytes than there are
    for (const bytes of [truncated, tampered, new TextEncoder().encode('MIIB…')]) {
      const report = await checkCertificate(bytes, { ...base, onMalformed: 'report' })
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', chain: [] })
      expect(report.checks).toEqual([
        {
          id: 'certificate.malformed',
          status: 'indeterminate',
          subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
          reason: `the ${bytes.length} bytes given as the certificate cannot be read: the bytes are not a DER X.509 certificate`,
        },
      ])
      expect(report.certificate.fingerprintSha256).toBe(createHash('sha256').update(bytes).digest('hex'))
      expect(JSON.parse(JSON.stringify(report))).toEqual(report)
      await expect(checkCertificate(bytes, base)).rejects.toSatisfy((err) => isSceauError(err, 'CERTIFICATE_MALFORMED'))
    }
  })

  it('uses the CRLs it can read and names the one it cannot', async () => {
    const damaged = pki.crl.subarray(0, pki.crl.length - 5)
    const report = await checkCertificate(leaf('signature-rsa2048'), {
      ...base,
      revocation: { crls: [damaged, pki.crl, pki.rootCrl], fetchCrls: false },
    })
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.checks.find((check) => check.id === 'revocation.crl.unreadable')).toMatchObject({
      status: 'warning',
      reason: expect.stringMatching(/^CRL #1 given cannot be read \(/),
    })
    const only = await checkCertificate(leaf('signature-rsa2048'), { ...base, revocation: { crls: [damaged], fetchCrls: false } })
    expect(only).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' })
  })

  it('says OUT_OF_BOUNDS_NOT_REVOKED for an expired CA whose CRL shows it was not revoked (EN 319 102-1 §5.2.6.4)', async () => {
    const now = pki.now
    const ca = rawCertificate({
      subject: 'CN=TEST expired CA, O=sceau TEST, C=FR',
      issuer: pki.root,
      notBefore: new Date(now.getTime() - 10 * DAY),
      notAfter: new Date(now.getTime() - HOUR),
      extensions: CA,
    })
    const leafCert = rawCertificate({
      subject: 'CN=TEST leaf of an expired CA, O=sceau TEST, C=FR',
      issuer: ca,
      notBefore: new Date(now.getTime() - 5 * DAY),
      notAfter: new Date(now.getTime() + 10 * DAY),
      extensions: [],
    }).certificate
    // The root's CRL, issued while the CA was valid and still fresh: the CA is not on it.
    const rootCrl = await signCrl(pki.root, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, new Date(now.getTime() - 2 * HOUR))
    const caCrl = await signCrl(ca, { name: 'ECDSA', hash: 'SHA-256' }, new Date(now.getTime() - 2 * HOUR))
    const report = await checkCertificate(leafCert, {
      ...base,
      intermediates: [ca.certificate],
      revocation: { crls: [rootCrl, caCrl], fetchCrls: false },
      profile: 'none',
    })
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED' })
    expect(
      report.checks.find((check) => check.id === 'validity.notAfter' && check.subject === 'CN=TEST expired CA, O=sceau TEST, C=FR'),
    ).toMatchObject({
      status: 'indeterminate',
      subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED',
      reason: expect.stringMatching(/; not revoked$/),
    })
    // Without the root's CRL nothing shows the CA was not revoked.
    const unknown = await checkCertificate(leafCert, {
      ...base,
      intermediates: [ca.certificate],
      revocation: { crls: [caCrl], fetchCrls: false },
      profile: 'none',
    })
    expect(unknown.subIndication).toBe('OUT_OF_BOUNDS_NO_POE')
  })
})

/** An empty CRL in `issuer`'s name, issued at `thisUpdate`, fresh for 7 days. */
async function signCrl(
  issuer: { certificate: Uint8Array; privateKey: Uint8Array },
  algorithm: { name: string; hash: string },
  thisUpdate: Date,
): Promise<Uint8Array> {
  const importAlgorithm = algorithm.name === 'ECDSA' ? { name: 'ECDSA', namedCurve: 'P-256' } : algorithm
  const signingKey = await webcrypto.subtle.importKey('pkcs8', Uint8Array.from(issuer.privateKey), importAlgorithm, false, ['sign'])
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(Uint8Array.from(issuer.certificate)).subjectName,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 7 * 86_400_000),
    signingAlgorithm: algorithm,
    signingKey: signingKey as CryptoKey,
    entries: [],
  })
  return new Uint8Array(crl.rawData)
}
