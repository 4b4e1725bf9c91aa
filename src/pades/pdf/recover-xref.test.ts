import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from '../../testing/pki.js'
import { testSigner, testTrust } from '../../testing/signers.js'
import { signPdf } from '../sign-pdf.js'
import { verifyPdf } from '../verify-pdf.js'
import { readPdf } from './read-pdf.js'

const POLICY_PDF = new URL('../../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)

let pki: TestPki
let signed: Uint8Array

beforeAll(async () => {
  pki = await createTestPki()
  signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), testSigner(pki))).pdf
}, 60_000)

/** The file with `extra` inserted at `at`: every offset after it, the xref's included, is off by its length. */
function shifted(pdf: Uint8Array, at: number, extra: string): Buffer {
  return Buffer.concat([pdf.subarray(0, at), Buffer.from(extra, 'latin1'), pdf.subarray(at)])
}

describe('a damaged cross-reference table', () => {
  it('is refused for signing and rebuilt by scanning for verification', () => {
    const damaged = shifted(signed, 1000, '\n% a stray comment\n')
    expect(() => readPdf(damaged)).toThrow(/startxref or \/Prev points/)
    const doc = readPdf(damaged, { recover: true })
    expect(doc.recovered).toMatch(/startxref or \/Prev points/)
    expect(doc.pages).toHaveLength(10)
    expect(doc.signatures.map((signature) => signature.name)).toEqual(['Signature1'])
  })

  it('still lets the signature be judged: bytes inserted in the signed range are a verdict, not an error', async () => {
    // DSS's pdf-signed-corrupted.pdf: the signature can be located, and the signed bytes no longer match it.
    const report = await verifyPdf(shifted(signed, 1000, '\n% a stray comment\n'), testTrust(pki))
    expect(report.indication).toBe('TOTAL_FAILED')
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pdf.xref', status: 'warning' }))
    expect(report.signatures[0]?.checks.find((check) => check.status === 'fail')).toBeDefined()
  })
})
