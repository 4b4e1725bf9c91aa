import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../testing/pki.js'
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
