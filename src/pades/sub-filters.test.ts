import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basePdf } from '../testing/hostile-pdfs.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testTrust } from '../testing/signers.js'
import { derToPem } from '../x509/pem.js'
import { byteRangeParts, prepareSignature } from './pdf/prepare-signature.js'
import { verifyPdf } from './verify-pdf.js'

// PDF signatures whose CMS is made by OpenSSL (`openssl cms -sign -nodetach`, which encapsulates its input): the
// adbe.pkcs7.sha1 form (ISO 32000-1 §12.8.3.3.1), and the same encapsulation where the sub-filter says detached.

let pki: TestPki
let dir: string

beforeAll(async () => {
  pki = await createTestPki()
  dir = mkdtempSync(join(tmpdir(), 'sceau-subfilter-'))
  const leaf = pki.leaf('signature-rsa2048')
  writeFileSync(join(dir, 'key.der'), leaf.privateKey)
  execFileSync('openssl', ['pkey', '-inform', 'DER', '-in', join(dir, 'key.der'), '-out', join(dir, 'key.pem')])
  writeFileSync(join(dir, 'cert.pem'), derToPem(leaf.certificate))
  writeFileSync(join(dir, 'chain.pem'), derToPem(pki.intermediate.certificate))
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A PDF signed with `subFilter`, whose CMS encapsulates `content(byte ranges)`, signed by OpenSSL. */
function signWithOpenssl(subFilter: string, content: (covered: Buffer) => Buffer): Buffer {
  const input = basePdf()
  const prepared = prepareSignature(input, { contentsSize: 8192, signingTime: new Date(pki.now.getTime() + 30_000), subFilter })
  const appended = Buffer.from(prepared.appended)
  const covered = Buffer.concat(byteRangeParts(input, appended, prepared.byteRange))
  writeFileSync(join(dir, 'content.bin'), content(covered))
  execFileSync('openssl', [
    'cms',
    '-sign',
    '-nodetach',
    '-binary',
    '-cades',
    '-md',
    'sha256',
    '-signer',
    join(dir, 'cert.pem'),
    '-inkey',
    join(dir, 'key.pem'),
    '-certfile',
    join(dir, 'chain.pem'),
    '-in',
    join(dir, 'content.bin'),
    '-outform',
    'DER',
    '-out',
    join(dir, 'cms.der'),
  ])
  appended.write(readFileSync(join(dir, 'cms.der')).toString('hex'), prepared.contentsStart - input.length, 'latin1')
  return Buffer.concat([input, appended])
}

const sha1 = (data: Buffer): Buffer => createHash('sha1').update(data).digest()

describe('PDF signature sub-filters', () => {
  it('adbe.pkcs7.sha1: the encapsulated SHA-1 digest of the byte ranges is verified, and SHA-1 judged by the dated constraints', async () => {
    const pdf = signWithOpenssl('adbe.pkcs7.sha1', sha1)
    const report = await verifyPdf(pdf, testTrust(pki))
    const signature = report.signatures[0]
    expect(signature?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.sha1-content', status: 'pass' }))
    // SHA-1 was acceptable until 2012-08-01 (ETSI TS 119 312): today nothing proves the signature older.
    expect(signature?.checks).toContainEqual(
      expect.objectContaining({ id: 'pdf.sha1-constraints', status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE' }),
    )
    expect(signature).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE' })
    expect(signature?.checks.filter((check) => check.status === 'fail')).toEqual([])
  })

  it('adbe.pkcs7.sha1: an encapsulated digest of other bytes is a HASH_FAILURE', async () => {
    const report = await verifyPdf(
      signWithOpenssl('adbe.pkcs7.sha1', (covered) => sha1(Buffer.concat([covered, Buffer.from('x')]))),
      testTrust(pki),
    )
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
  })

  it('ETSI.CAdES.detached with the byte ranges encapsulated (eContent) is a FORMAT_FAILURE', async () => {
    const report = await verifyPdf(
      signWithOpenssl('ETSI.CAdES.detached', (covered) => covered),
      testTrust(pki),
    )
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' })
    expect(report.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({ id: 'pdf.econtent', status: 'fail', reason: expect.stringContaining('encapsulates') }),
    )
    // The digest and the signature themselves are intact: only the format is wrong.
    expect(report.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'cms.message-digest', status: 'pass' }))
  })
})
