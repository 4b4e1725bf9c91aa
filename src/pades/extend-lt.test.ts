import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testSigner } from '../testing/signers.js'
import { postDer } from '../policy/http-fetch.js'
import { startOcspResponder } from '../testing/ocsp-responder.js'
import { startPkiTsa } from '../testing/tsa.js'
import { readTlv } from '../x509/der.js'
import { describeCertificate } from '../x509/describe.js'
import { timestampPdfParts } from './document-timestamp.js'
import { extendToLt } from './extend-lt.js'
import { readDss } from './pdf/dss.js'
import { readPdf } from './pdf/read-pdf.js'
import { signPdf } from './sign-pdf.js'
import { verifyPdf } from './verify-pdf.js'

const POLICY_PDF = new URL('../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)

let pki: TestPki
let signer: KeySigner
let signed: Uint8Array

beforeAll(async () => {
  pki = await createTestPki()
  signer = testSigner(pki)
  signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer, { signingTime: pki.now })).pdf
}, 60_000)

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

// No CRL, no intermediate: only what the PDF itself carries can make the verdict.
function verifyAlone(pdf: Uint8Array) {
  return verifyPdf(pdf, { anchors: [pki.root.certificate], revocation: { fetchCrls: false }, at: new Date(pki.now.getTime() + 60_000) })
}

describe('extendToLt', () => {
  it('stores the chain and both CRLs under the VRI key of the signature; verifyPdf then needs nothing else', async () => {
    const { appended, missing } = await extendToLt(signed, {
      trustedCertificates: [pki.root.certificate],
      crls: [pki.crl, pki.rootCrl],
      fetch: false,
      at: new Date(pki.now.getTime() + 60_000),
    })
    expect(missing).toEqual([])
    const lt = Buffer.concat([signed, appended])
    const doc = readPdf(lt)
    const dss = readDss(doc)
    const leaf = pki.leaf('signature-rsa2048').certificate
    expect(dss?.certificates.map(hex).sort()).toEqual([leaf, pki.intermediate.certificate, pki.root.certificate].map(hex).sort())
    expect(dss?.crls.map(hex).sort()).toEqual([pki.crl, pki.rootCrl].map(hex).sort())

    const contents = doc.signatures[0]?.contents ?? new Uint8Array()
    const der = contents.subarray(0, readTlv(contents, 0)?.end)
    expect(der.length).toBeLessThan(contents.length)
    const key = createHash('sha1').update(der).digest('hex').toUpperCase()
    expect([...(dss?.vri.keys() ?? [])]).toEqual([key])
    expect(dss?.vri.get(key)?.crls.map(hex).sort()).toEqual([pki.crl, pki.rootCrl].map(hex).sort())

    const before = await verifyAlone(signed)
    expect(before.indication).toBe('INDETERMINATE')
    expect(before.signatures[0]?.certificate?.subIndication).toBe('TRY_LATER')
    const after = await verifyAlone(lt)
    expect(after.indication, JSON.stringify(after.signatures[0]?.checks.filter((check) => check.status !== 'pass'))).toBe('TOTAL_PASSED')
    expect(after.signatures[0]?.checks).toContainEqual({
      id: 'pdf.dss',
      status: 'pass',
      reason: 'DSS with 3 certificates, 2 CRLs, 0 OCSP responses',
    })
    expect(after.signatures[0]?.bytesAfter).toBe(appended.length)
  })

  it('B-T: the time-stamping authority is covered too, so the time-stamp verifies from the DSS alone', async () => {
    const tsa = await startPkiTsa(pki)
    let bt: Uint8Array
    try {
      bt = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer, { timestamp: { url: tsa.url } })).pdf
    } finally {
      await tsa.close()
    }
    const { appended, missing } = await extendToLt(bt, {
      trustedCertificates: [pki.root.certificate],
      crls: [pki.crl, pki.rootCrl],
      fetch: false,
    })
    expect(missing).toEqual([])
    const lt = Buffer.concat([bt, appended])
    const dss = readDss(readPdf(lt))
    expect(dss?.certificates.map(hex)).toContain(hex(pki.leaf('tsa-rsa2048').certificate))
    expect([...(dss?.vri.values() ?? [])][0]?.certificates.map(hex)).toContain(hex(pki.leaf('tsa-rsa2048').certificate))
    const report = await verifyPdf(lt, { anchors: [pki.root.certificate], revocation: { fetchCrls: false } })
    expect(report.signatures[0]?.checks.find((check) => check.id === 'timestamp')?.status).toBe('pass')
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('B-LTA: a document time-stamp over the B-LT file (DSS included) verifies, and the signature stays intact', async () => {
    const tsa = await startPkiTsa(pki)
    let lta: Buffer
    try {
      const { appended } = await extendToLt(signed, {
        trustedCertificates: [pki.root.certificate],
        crls: [pki.crl, pki.rootCrl],
        fetch: false,
      })
      const lt = Buffer.concat([signed, appended])
      const stamped = await timestampPdfParts(lt, { url: tsa.url })
      lta = Buffer.concat([stamped.original, stamped.appended])
    } finally {
      await tsa.close()
    }
    expect(lta.toString('latin1')).toContain('/Type /DocTimeStamp')
    const dir = mkdtempSync(join(tmpdir(), 'sceau-lta-'))
    try {
      writeFileSync(join(dir, 'lta.pdf'), lta)
      expect(spawnSync('qpdf', ['--check', join(dir, 'lta.pdf')]).status).toBe(0)
      const pdfsig = spawnSync('pdfsig', [join(dir, 'lta.pdf')], { encoding: 'utf8' }).stdout
      expect(/Signature Validation: (.*)/.exec(pdfsig)?.[1]).toBe('Signature is Valid.')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const report = await verifyAlone(lta)
    const [signature, stamp] = report.signatures
    expect(signature?.checks.find((check) => check.id === 'pdf.changes')?.status).toBe('pass')
    expect(stamp).toMatchObject({ documentTimestamp: true, coversWholeDocument: true, indication: 'TOTAL_PASSED' })
    expect(stamp?.timestamp).toEqual(expect.any(String))
    expect(report.indication, JSON.stringify(report.signatures.map((s) => s.checks.filter((c) => c.status !== 'pass')))).toBe(
      'TOTAL_PASSED',
    )

    // One changed byte of the covered file breaks the document time-stamp's imprint.
    const changed = Buffer.from(lta)
    changed[200] = (changed[200] as number) ^ 0x01
    const broken = await verifyAlone(changed)
    expect(broken.signatures[1]).toMatchObject({ indication: 'TOTAL_FAILED' })
  })

  it('stores OCSP responses, and verifyPdf judges the signer by the stored response alone', async () => {
    const serial = describeCertificate(pki.leaf('signature-rsa2048').certificate).serialNumber
    const responder = await startOcspResponder({ issuer: pki.intermediate, statuses: new Map([[serial, 'good']]) })
    let extended: Awaited<ReturnType<typeof extendToLt>>
    try {
      extended = await extendToLt(signed, {
        trustedCertificates: [pki.root.certificate],
        crls: [pki.rootCrl],
        fetch: false,
        ocsp: true,
        postOcsp: (_url, body) => postDer(responder.url, body, { contentType: 'application/ocsp-request' }),
        at: new Date(pki.now.getTime() + 60_000),
      })
    } finally {
      await responder.close()
    }
    expect(extended.missing).toEqual([])
    const lt = Buffer.concat([signed, extended.appended])
    expect(readDss(readPdf(lt))?.ocsps).toHaveLength(1)
    const report = await verifyAlone(lt)
    expect(report.indication, JSON.stringify(report.signatures[0]?.checks.filter((check) => check.status !== 'pass'))).toBe('TOTAL_PASSED')
    expect(report.signatures[0]?.certificate?.revocation.sources).toContain('ocsp (given)')
  })

  it('fetches the CRLs the certificates name when none is given', async () => {
    const asked: string[] = []
    const crls = new Map([
      [pki.urls.crl, pki.crl],
      [pki.urls.rootCrl, pki.rootCrl],
    ])
    const getCrl = (url: string): Promise<Uint8Array> => {
      asked.push(url)
      const crl = crls.get(url)
      return crl ? Promise.resolve(crl) : Promise.reject(new Error(`no CRL at ${url}`))
    }
    const { appended, missing } = await extendToLt(signed, { trustedCertificates: [pki.root.certificate], getCrl })
    expect(missing).toEqual([])
    expect(asked.sort()).toEqual([pki.urls.crl, pki.urls.rootCrl].sort())
    const report = await verifyAlone(Buffer.concat([signed, appended]))
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('names the certificates it found no revocation data for', async () => {
    const { missing } = await extendToLt(signed, { trustedCertificates: [pki.root.certificate], crls: [pki.crl], fetch: false })
    expect(missing).toHaveLength(1)
    // Without the root's CRL, the intermediate's own revocation status is unknown.
    expect(missing[0]).toBe(describeCertificate(pki.intermediate.certificate).subject)
  })
})
