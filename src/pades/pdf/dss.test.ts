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
import { deflateSync } from 'node:zlib'
import { changesBetween } from './changes.js'
import { MAX_DECODED_BYTES, decodeStream } from './decode-stream.js'
import { appendDss, readDss, vriKey } from './dss.js'
import { pdfDict, pdfName, pdfRef } from './objects.js'
import { readPdf } from './read-pdf.js'
import { revisionId, streamBody, writeRevision } from './revision.js'
import { serializeObject } from './serialize.js'

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

/** A CRL of `count` revoked serials, issued by the test PKI's intermediate with `openssl ca -gencrl`. */
function bigCrl(count: number): Uint8Array {
  const ca = mkdtempSync(join(dir, 'ca-'))
  writeFileSync(join(ca, 'key.der'), pki.intermediate.privateKey)
  execFileSync('openssl', ['pkey', '-inform', 'DER', '-in', join(ca, 'key.der'), '-out', join(ca, 'key.pem')])
  writeFileSync(join(ca, 'cert.der'), pki.intermediate.certificate)
  execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(ca, 'cert.der'), '-out', join(ca, 'cert.pem')])
  const lines = Array.from(
    { length: count },
    (_, i) => `R\t351231235959Z\t260101000000Z,keyCompromise\t${(0x100000 + i).toString(16).toUpperCase()}\tunknown\t/CN=revoked ${i}`,
  )
  writeFileSync(join(ca, 'index.txt'), `${lines.join('\n')}\n`)
  writeFileSync(join(ca, 'crlnumber'), '1000\n')
  const config = [
    '[ca]',
    'default_ca = test',
    '[test]',
    `database = ${join(ca, 'index.txt')}`,
    `crlnumber = ${join(ca, 'crlnumber')}`,
    'default_md = sha256',
    'default_crl_days = 7',
  ]
  writeFileSync(join(ca, 'ca.cnf'), `${config.join('\n')}\n`)
  execFileSync(
    'openssl',
    [
      'ca',
      '-gencrl',
      '-config',
      join(ca, 'ca.cnf'),
      '-keyfile',
      join(ca, 'key.pem'),
      '-cert',
      join(ca, 'cert.pem'),
      '-out',
      join(ca, 'crl.pem'),
    ],
    { stdio: 'pipe' },
  )
  execFileSync('openssl', ['crl', '-in', join(ca, 'crl.pem'), '-outform', 'DER', '-out', join(ca, 'crl.der')])
  return new Uint8Array(readFileSync(join(ca, 'crl.der')))
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

  it('reads a DSS holding a CRL of 5,000 entries (made by openssl ca) whole, as validation data', async () => {
    const crl = bigCrl(5000)
    expect(crl.length).toBeGreaterThan(100_000)
    const { pdf: signed } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer)
    const lt = Buffer.concat([signed, appendDss(signed, { certificates: [], crls: [crl], ocsps: [] }).appended])
    expect(hexes(readDss(readPdf(lt))?.crls ?? [])).toEqual(hexes([crl]))
    const [, , c = 0, d = 0] = readPdf(lt).signatures[0]?.byteRange ?? []
    const { changes } = changesBetween(readPdf(lt.subarray(0, c + d)), readPdf(lt))
    expect(changes.map((change) => change.level)).toEqual(['structure'])
  })

  it('bounds DSS reading by decoded bytes: a stream that inflates past the bound is skipped, not read', async () => {
    const { pdf: signed } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer)
    const bomb = deflateSync(Buffer.alloc(MAX_DECODED_BYTES + 1))
    expect(() => decodeStream({ kind: 'stream', dict: pdfDict([['Filter', pdfName('FlateDecode')]]), data: bomb })).toThrow(
      /inflates to more than/,
    )
    const doc = readPdf(signed)
    const dssRef = pdfRef(doc.size)
    const bombRef = pdfRef(doc.size + 1)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', dssRef)
    const objects = new Map([
      [doc.rootRef.num, { gen: 0, body: serializeObject(catalog) }],
      [
        dssRef.num,
        {
          gen: 0,
          body: serializeObject(
            pdfDict([
              ['CRLs', [bombRef]],
              ['Certs', []],
            ]),
          ),
        },
      ],
      [bombRef.num, { gen: 0, body: streamBody(pdfDict([['Filter', pdfName('FlateDecode')]]), bomb) }],
    ])
    const { appended } = writeRevision(doc, objects, { size: doc.size + 2, id: revisionId(doc.trailer, signed, 'bomb') })
    expect(readDss(readPdf(Buffer.concat([signed, appended])))?.crls).toEqual([])
  })

  it('reads no DSS from a PDF without one', async () => {
    const { pdf } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), signer)
    expect(readDss(readPdf(pdf))).toBeUndefined()
  })
})
