import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../../signer/key-signer.js'
import { createTestPki, type TestPki } from '../../testing/pki.js'
import { readTlv } from '../../x509/der.js'
import { signPdf } from '../sign-pdf.js'
import { appendDss, readDss, vriKey } from './dss.js'
import { readPdf } from './read-pdf.js'

const POLICY_PDF = new URL('../../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)

let pki: TestPki
let signer: KeySigner
let dir: string
let counter = 0

beforeAll(async () => {
  pki = await createTestPki()
  const leaf = pki.leaf('signature-rsa2048')
  signer = KeySigner.fromPkcs8({ key: leaf.privateKey, certificate: leaf.certificate, chain: [pki.intermediate.certificate] })
  dir = mkdtempSync(join(tmpdir(), 'sceau-dss-'))
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(bytes: Uint8Array): string {
  const path = join(dir, `f${counter++}.pdf`)
  writeFileSync(path, bytes)
  return path
}

function qpdfCheck(pdf: Uint8Array): { status: number | null; out: string } {
  const run = spawnSync('qpdf', ['--check', file(pdf)], { encoding: 'utf8' })
  return { status: run.status, out: `${run.stdout}${run.stderr}` }
}

function pdfsig(pdf: Uint8Array): string[] {
  const run = spawnSync('pdfsig', [file(pdf)], { encoding: 'utf8' })
  return [...run.stdout.matchAll(/Signature Validation: (.*)/g)].map((match) => (match[1] ?? '').trim())
}

function hexes(list: readonly Uint8Array[]): string[] {
  return list.map((bytes) => Buffer.from(bytes).toString('hex'))
}

const shapes: [string, () => Uint8Array][] = [
  ['an xref table', () => new Uint8Array(readFileSync(POLICY_PDF))],
  [
    'an xref stream and object streams',
    () => {
      const out = join(dir, `objstm${counter++}.pdf`)
      execFileSync('qpdf', ['--object-streams=generate', '--compress-streams=y', POLICY_PDF.pathname, out])
      return new Uint8Array(readFileSync(out))
    },
  ],
]

describe('appendDss', () => {
  for (const [name, make] of shapes) {
    it(`${name}: qpdf and pdfsig accept the DSS revision, readDss gives the bytes back, a second DSS merges`, async () => {
      const { pdf: signed } = await signPdf(make(), signer, { signingTime: new Date('2026-03-02T09:30:00Z') })
      const contents = readPdf(signed).signatures[0]?.contents ?? new Uint8Array()
      const first = { certificates: [pki.intermediate.certificate, pki.root.certificate], crls: [pki.crl], ocsps: [] }
      const { appended } = appendDss(signed, {
        ...first,
        vri: [{ signatureContents: contents, certificates: [pki.intermediate.certificate], crls: [pki.crl], ocsps: [] }],
      })
      const once = Buffer.concat([signed, appended])
      expect(once.subarray(0, signed.length).equals(Buffer.from(signed))).toBe(true)
      expect(readPdf(once).lastSection).toBe(readPdf(signed).lastSection)
      const check = qpdfCheck(once)
      expect(check.status, check.out).toBe(0)
      expect(check.out).toContain('No syntax or stream encoding errors found')
      expect(pdfsig(once)).toEqual(['Signature is Valid.'])

      const dss = readDss(readPdf(once))
      expect(dss && hexes(dss.certificates)).toEqual(hexes(first.certificates))
      expect(dss && hexes(dss.crls)).toEqual(hexes(first.crls))
      expect(dss?.ocsps).toEqual([])
      // The DER header gives the CMS length: stripping trailing zeros would also eat a signature that ends in 00.
      const der = contents.subarray(0, readTlv(contents, 0)?.end)
      expect(der.length).toBeLessThan(contents.length)
      const key = createHash('sha1').update(der).digest('hex').toUpperCase()
      expect(vriKey(contents)).toBe(key)
      expect(dss && hexes(dss.vri.get(key)?.certificates ?? [])).toEqual(hexes([pki.intermediate.certificate]))

      // Again with one entry already stored and one new: the stored one is referenced, not written twice.
      const ocsp = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01])
      const second = appendDss(once, { certificates: [pki.root.certificate], crls: [pki.rootCrl, pki.crl], ocsps: [ocsp] })
      const twice = Buffer.concat([once, second.appended])
      expect(qpdfCheck(twice).status).toBe(0)
      expect(pdfsig(twice)).toEqual(['Signature is Valid.'])
      const merged = readDss(readPdf(twice))
      expect(merged && hexes(merged.certificates)).toEqual(hexes(first.certificates))
      expect(merged && hexes(merged.crls)).toEqual(hexes([pki.crl, pki.rootCrl]))
      expect(merged && hexes(merged.ocsps)).toEqual(hexes([ocsp]))
      expect(merged?.vri.get(key)).toBeDefined()
    })
  }

  it('reads no DSS from a PDF without one', async () => {
    const { pdf } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer)
    expect(readDss(readPdf(pdf))).toBeUndefined()
  })
})
