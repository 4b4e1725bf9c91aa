import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../../signer/key-signer.js'
import { createTestPki, type TestPki } from '../../testing/pki.js'
import { testSigner } from '../../testing/signers.js'
import { extendToLt } from '../extend-lt.js'
import { signPdf } from '../sign-pdf.js'
import { verifyPdf } from '../verify-pdf.js'
import { changesAfter } from './changes.js'
import { appendDss } from './dss.js'
import { type PdfObject, isDict, isRef, pdfDict, pdfName, pdfRef } from './objects.js'
import { readPdf } from './read-pdf.js'
import { type RevisionObject, revisionId, streamBody, writeRevision } from './revision.js'
import { serializeObject } from './serialize.js'

const POLICY_PDF = new URL('../../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)

let pki: TestPki
let rsa: KeySigner
let ec: KeySigner
let dir: string
let counter = 0

beforeAll(async () => {
  pki = await createTestPki()
  rsa = testSigner(pki)
  ec = testSigner(pki, 'signature-ec-p256', { chain: false })
  dir = mkdtempSync(join(tmpdir(), 'sceau-changes-'))
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function verify(pdf: Uint8Array) {
  return verifyPdf(pdf, {
    anchors: [pki.root.certificate],
    intermediates: [pki.intermediate.certificate],
    revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
    at: new Date(pki.now.getTime() + 60_000),
  })
}

function pdfsig(pdf: Uint8Array): string[] {
  const path = join(dir, `f${counter++}.pdf`)
  writeFileSync(path, pdf)
  const run = spawnSync('pdfsig', [path], { encoding: 'utf8' })
  return [...run.stdout.matchAll(/Signature Validation: (.*)/g)].map((match) => (match[1] ?? '').trim())
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

/** The changes made after the first signature of `pdf`. */
function changesAfterFirst(pdf: Uint8Array) {
  const full = readPdf(pdf)
  const [, , c = 0, d = 0] = full.signatures[0]?.byteRange ?? []
  return changesAfter(full, readPdf(pdf.subarray(0, c + d)))
}

/** An incremental update written by hand, as an attacker would: `objects` replace or add objects of `pdf`. */
function update(pdf: Uint8Array, objects: Map<number, RevisionObject>, size = readPdf(pdf).size): Uint8Array {
  const doc = readPdf(pdf)
  const { appended } = writeRevision(doc, objects, { size, id: revisionId(doc.trailer, pdf, 'attack') })
  return Buffer.concat([pdf, appended])
}

function contentStream(text: string): string {
  return streamBody(pdfDict([['Filter', pdfName('FlateDecode')]]), deflateSync(Buffer.from(`BT /F1 24 Tf 72 700 Td (${text}) Tj ET`)))
}

/** Replaces the first content stream of page 1 with another text, keeping its object number. */
function replacePageContent(pdf: Uint8Array): { pdf: Uint8Array; num: number } {
  const doc = readPdf(pdf)
  const contents: PdfObject | undefined = doc.pages[0]?.dict.entries.get('Contents')
  const first = Array.isArray(contents) ? contents[0] : contents
  if (!isRef(first)) throw new Error('page 1 has no indirect /Contents')
  return { pdf: update(pdf, new Map([[first.num, { gen: first.gen, body: contentStream('Montant : 1 000 000 EUR') }]])), num: first.num }
}

describe('changesAfter', () => {
  for (const [name, make] of shapes) {
    it(`${name}: a second, visible signature changes nothing suspicious`, async () => {
      const once = (await signPdf(make(), rsa)).pdf
      const twice = (await signPdf(once, ec, { rect: [50, 50, 250, 100], reason: 'Visa' })).pdf
      const changes = changesAfterFirst(twice)
      expect(changes.suspicious).toEqual([])
      expect(changes.allowed).toContainEqual(expect.stringMatching(/new signature dictionary/))
      expect(changes.allowed).toContainEqual(expect.stringMatching(/appearance of a new signature widget/))
      const report = await verify(twice)
      expect(report.signatures[0]?.changesAfter?.suspicious).toEqual([])
      expect(report.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'pass' }))
      expect(report.signatures[1]?.changesAfter).toBeUndefined()
    })

    it(`${name}: a DSS revision changes nothing suspicious`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const { appended } = appendDss(signed, { certificates: [pki.intermediate.certificate], crls: [pki.crl], ocsps: [] })
      const changes = changesAfterFirst(Buffer.concat([signed, appended]))
      expect(changes.suspicious).toEqual([])
      expect(changes.allowed).toContainEqual(expect.stringMatching(/DSS validation data/))
    })

    it(`${name}: an LT extension (DSS with /VRI) then another signature change nothing suspicious; verifyPdf passes pdf.changes`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const { appended } = await extendToLt(signed, {
        trustedCertificates: [pki.root.certificate],
        crls: [pki.crl, pki.rootCrl],
        fetch: false,
        at: new Date(pki.now.getTime() + 60_000),
      })
      const lt = Buffer.concat([signed, appended])
      const again = (await signPdf(lt, ec)).pdf
      expect(changesAfterFirst(again).suspicious).toEqual([])
      const report = await verify(again)
      expect(report.indication).toBe('TOTAL_PASSED')
      expect(report.signatures[0]?.checks).toContainEqual(
        expect.objectContaining({ id: 'pdf.changes', status: 'pass', reason: expect.stringContaining('DSS validation data') }),
      )
    })

    it(`${name}: a page content replaced after signing is suspicious, though the signature still verifies`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const attacked = replacePageContent(signed)
      const changes = changesAfterFirst(attacked.pdf)
      expect(changes.suspicious).toEqual([
        expect.stringMatching(new RegExp(`^object ${attacked.num} .*content stream of page 1 replaced after signing`)),
      ])
      // The attack: the signature covers its own revision, which is intact, so pdfsig calls it valid.
      expect(pdfsig(attacked.pdf)).toEqual(['Signature is Valid.'])
      const report = await verify(attacked.pdf)
      const signature = report.signatures[0]
      expect(signature?.indication).toBe('TOTAL_PASSED')
      expect(signature?.checks).toContainEqual(
        expect.objectContaining({ id: 'pdf.changes', status: 'warning', reason: expect.stringContaining(`object ${attacked.num}`) }),
      )
    })
  }

  it('fails a DocMDP P=2 certification whose page content was replaced afterwards', async () => {
    const certified = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { certify: 2 })).pdf
    const attacked = replacePageContent(certified)
    expect(pdfsig(attacked.pdf)).toEqual(['Signature is Valid.'])
    const report = await verify(attacked.pdf)
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' })
    expect(report.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'fail' }))
    expect(report.indication).toBe('TOTAL_FAILED')
  })

  it('does not take a replaced content stream for validation data because a new DSS lists it', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const attacked = replacePageContent(signed)
    const doc = readPdf(attacked.pdf)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', pdfDict([['Certs', [pdfRef(attacked.num)]]]))
    const hidden = update(attacked.pdf, new Map([[doc.rootRef.num, { gen: doc.rootRef.gen, body: serializeObject(catalog) }]]))
    expect(changesAfterFirst(hidden).suspicious).toEqual([
      expect.stringMatching(new RegExp(`^object ${attacked.num} .*content stream of page 1 replaced after signing`)),
    ])
  })

  it('finds a page added after signing', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const doc = readPdf(signed)
    const parentRef = doc.pages[0]?.dict.entries.get('Parent')
    const parent = isRef(parentRef) ? doc.getObject(parentRef) : undefined
    if (!isRef(parentRef) || !isDict(parent)) throw new Error('page 1 has no indirect /Parent')
    const pageRef = pdfRef(doc.size)
    const contentRef = pdfRef(doc.size + 1)
    const kids = parent.entries.get('Kids')
    const count = parent.entries.get('Count')
    const pages = pdfDict(parent.entries)
    pages.entries.set('Kids', [...(Array.isArray(kids) ? kids : []), pageRef])
    pages.entries.set('Count', (typeof count === 'number' ? count : 0) + 1)
    const page = pdfDict([
      ['Type', pdfName('Page')],
      ['Parent', parentRef],
      ['MediaBox', [0, 0, 595, 842]],
      ['Contents', contentRef],
    ])
    const objects = new Map<number, RevisionObject>([
      [parentRef.num, { gen: parentRef.gen, body: serializeObject(pages) }],
      [pageRef.num, { gen: 0, body: serializeObject(page) }],
      [contentRef.num, { gen: 0, body: contentStream('Annexe ajoutee') }],
    ])
    const attacked = update(signed, objects, doc.size + 2)
    expect(readPdf(attacked).pages).toHaveLength(doc.pages.length + 1)
    const changes = changesAfterFirst(attacked)
    expect(changes.suspicious).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^object ${parentRef.num} \\(/Pages\\).*replaced after signing \\(/Kids, /Count changed\\)`)),
        expect.stringMatching(new RegExp(`^object ${pageRef.num} \\(/Page\\).*new object`)),
      ]),
    )
  })
})
