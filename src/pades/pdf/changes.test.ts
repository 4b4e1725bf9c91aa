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
import { signExistingField } from '../../testing/hostile-pdfs.js'
import { changesBetween, type ChangeLevel } from './changes.js'
import { fieldLocks, lockedBy } from './form-fields.js'
import { appendDss } from './dss.js'
import { type PdfObject, type PdfRef, isDict, isRef, pdfDict, pdfName, pdfRef } from './objects.js'
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

/** The changes made after the first signature of `pdf`, as `level: reason` lines. */
function changesAfterFirst(pdf: Uint8Array): { all: string[]; levels: Set<ChangeLevel>; other: string[] } {
  const full = readPdf(pdf)
  const [, , c = 0, d = 0] = full.signatures[0]?.byteRange ?? []
  const { changes, complete } = changesBetween(readPdf(pdf.subarray(0, c + d)), full)
  expect(complete).toBe(true)
  return {
    all: changes.map((change) => `${change.level}: ${change.reason}`),
    levels: new Set(changes.map((change) => change.level)),
    other: changes.filter((change) => change.level === 'other').map((change) => change.reason),
  }
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

describe('changesBetween', () => {
  for (const [name, make] of shapes) {
    it(`${name}: a second, visible signature is signing, nothing else`, async () => {
      const once = (await signPdf(make(), rsa)).pdf
      const twice = (await signPdf(once, ec, { rect: [50, 50, 250, 100], reason: 'Visa' })).pdf
      const changes = changesAfterFirst(twice)
      expect(changes.other).toEqual([])
      expect(changes.all).toContainEqual(
        expect.stringMatching(/^signing: .*new visible signature widget of field "Signature2" on page 1, signed/),
      )
      const report = await verify(twice)
      expect(report.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'pass' }))
      expect(report.signatures[1]?.changesAfter).toBeUndefined()
    })

    it(`${name}: a DSS revision is validation data only`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const { appended } = appendDss(signed, { certificates: [pki.intermediate.certificate], crls: [pki.crl], ocsps: [] })
      const changes = changesAfterFirst(Buffer.concat([signed, appended]))
      expect([...changes.levels]).toEqual(['structure'])
      expect(changes.all).toContainEqual(expect.stringMatching(/DSS updated with validation data/))
    })

    it(`${name}: an LT extension (DSS with /VRI) then another signature pass pdf.changes`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const { appended } = await extendToLt(signed, {
        trustedCertificates: [pki.root.certificate],
        crls: [pki.crl, pki.rootCrl],
        fetch: false,
        at: new Date(pki.now.getTime() + 60_000),
      })
      const again = (await signPdf(Buffer.concat([signed, appended]), ec)).pdf
      expect(changesAfterFirst(again).other).toEqual([])
      const report = await verify(again)
      expect(report.indication).toBe('TOTAL_PASSED')
      expect(report.signatures[0]?.checks).toContainEqual(
        expect.objectContaining({ id: 'pdf.changes', status: 'pass', reason: expect.stringContaining('DSS updated') }),
      )
    })

    it(`${name}: a page content replaced after signing fails the signature, though pdfsig calls it valid`, async () => {
      const signed = (await signPdf(make(), rsa)).pdf
      const attacked = replacePageContent(signed)
      expect(changesAfterFirst(attacked.pdf).other).toEqual([
        `object ${attacked.num} 0: content stream of page 1 changed after signing (stream data differs)`,
      ])
      // The attack: the signature covers its own revision, which is intact, so pdfsig calls it valid.
      expect(pdfsig(attacked.pdf)).toEqual(['Signature is Valid.'])
      const report = await verify(attacked.pdf)
      expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' })
      expect(report.signatures[0]?.changesAfter).toContainEqual(
        expect.objectContaining({ object: attacked.num, level: 'other', status: 'fail' }),
      )
    })
  }

  it('fails a DocMDP P=2 certification whose page content was replaced afterwards', async () => {
    const certified = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { certify: 2 })).pdf
    const attacked = replacePageContent(certified)
    expect(pdfsig(attacked.pdf)).toEqual(['Signature is Valid.'])
    const report = await verify(attacked.pdf)
    expect(report.signatures[0]).toMatchObject({
      indication: 'TOTAL_FAILED',
      subIndication: 'FORMAT_FAILURE',
      certification: { permissions: 2 },
    })
    expect(report.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({
        id: 'pdf.changes',
        status: 'fail',
        reason: expect.stringContaining('the certification (DocMDP P=2) does not allow'),
      }),
    )
  })

  it('a DSS after a P=1 or P=2 certification is no change; a signature after P=2 is allowed', async () => {
    const base = new Uint8Array(readFileSync(POLICY_PDF))
    for (const [permissions, status] of [
      [2, 'pass'],
      [1, 'fail'],
    ] as const) {
      const certified = (await signPdf(base, rsa, { certify: permissions })).pdf
      const { appended } = appendDss(certified, { certificates: [pki.intermediate.certificate], crls: [pki.crl], ocsps: [] })
      const lt = Buffer.concat([certified, appended])
      expect((await verify(lt)).signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'pass' }))
      if (permissions === 1) continue // sceau refuses to sign a P=1 document (judge-changes.test.ts covers the rule)
      const again = (await signPdf(lt, ec)).pdf
      expect((await verify(again)).signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status }))
    }
  })

  it('does not take a replaced content stream for validation data because a new DSS lists it', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const attacked = replacePageContent(signed)
    const doc = readPdf(attacked.pdf)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', pdfDict([['Certs', [pdfRef(attacked.num)]]]))
    const hidden = update(attacked.pdf, new Map([[doc.rootRef.num, { gen: doc.rootRef.gen, body: serializeObject(catalog) }]]))
    expect(changesAfterFirst(hidden).other).toEqual(
      expect.arrayContaining([
        `object ${attacked.num} 0: content stream of page 1 changed after signing (stream data differs)`,
        expect.stringMatching(
          new RegExp(`^object ${attacked.num} 0: changed after signing and listed in /DSS /Certs, but it was not validation data`),
        ),
      ]),
    )
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
    expect(changesAfterFirst(attacked).other).toEqual(
      expect.arrayContaining([
        `object ${pageRef.num} 0: page ${doc.pages.length + 1} added after signing`,
        `object ${parentRef.num} 0: catalog /Pages /Count changed after signing (${doc.pages.length} became ${doc.pages.length + 1})`,
      ]),
    )
  })
})

describe('signature fields prepared in one revision and signed in another', () => {
  /** Adds an empty signature field "Visa" with a visible appearance on page 1 (the revision before it is signed). */
  function withEmptySignatureField(pdf: Uint8Array): { pdf: Uint8Array; field: PdfRef } {
    const doc = readPdf(pdf)
    const page = doc.pages[0]
    if (!page) throw new Error('no page')
    const field = pdfRef(doc.size)
    const appearance = pdfRef(doc.size + 1)
    const annots = doc.resolve(page.dict.entries.get('Annots'))
    const withWidget = pdfDict(page.dict.entries)
    withWidget.entries.set('Annots', [...(Array.isArray(annots) ? annots : []), field])
    const widget = pdfDict([
      ['Type', pdfName('Annot')],
      ['Subtype', pdfName('Widget')],
      ['FT', pdfName('Sig')],
      ['T', { kind: 'string', bytes: Buffer.from('Visa'), hex: false }],
      ['Rect', [300, 50, 500, 100]],
      ['F', 4],
      ['P', page.ref],
      ['AP', pdfDict([['N', appearance]])],
    ])
    const form = pdfDict(doc.acroForm?.dict.entries ?? [])
    const fields = form.entries.get('Fields')
    form.entries.set('Fields', [...(Array.isArray(fields) ? fields : []), field])
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('AcroForm', form)
    const objects = new Map<number, RevisionObject>([
      [page.ref.num, { gen: page.ref.gen, body: serializeObject(withWidget) }],
      [field.num, { gen: 0, body: serializeObject(widget) }],
      [
        appearance.num,
        {
          gen: 0,
          body: streamBody(
            pdfDict([
              ['Type', pdfName('XObject')],
              ['Subtype', pdfName('Form')],
              ['BBox', [0, 0, 200, 50]],
            ]),
            Buffer.from('0 0 1 rg 0 0 200 50 re S'),
          ),
        },
      ],
    ])
    if (doc.acroForm?.ref) throw new Error('expected a PDF without an indirect AcroForm')
    objects.set(doc.rootRef.num, { gen: doc.rootRef.gen, body: serializeObject(catalog) })
    return { pdf: update(pdf, objects, doc.size + 2), field }
  }

  it('an empty visible signature field added after a signature is a sneaky signature until it is signed', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const prepared = withEmptySignatureField(signed)
    const sneaky = await verify(prepared.pdf)
    expect(sneaky.signatures[0]?.changesAfter).toContainEqual(
      expect.objectContaining({
        level: 'overlay',
        status: 'fail',
        reason: expect.stringContaining('new signature field "Visa" draws on page 1 but holds no signature'),
      }),
    )
    const visa = await signExistingField(prepared.pdf, prepared.field, { signer: ec })
    const report = await verify(visa)
    expect(report.signatures.map((signature) => signature.field)).toEqual(['Signature1', 'Visa'])
    expect(report.signatures[0]?.changesAfter).toContainEqual(
      expect.objectContaining({ level: 'signing', status: 'pass', reason: expect.stringContaining('signed in a later revision') }),
    )
    expect(report.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'pass' }))
    expect(pdfsig(visa)).toEqual(['Signature is Valid.', 'Signature is Valid.'])
  })
})

describe('the structure tree (tagged PDF)', () => {
  it('structure added after signing is form filling (a warning after an approval signature), not content', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const doc = readPdf(signed)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set(
      'StructTreeRoot',
      pdfDict([
        ['Type', pdfName('StructTreeRoot')],
        ['K', []],
      ]),
    )
    const tagged = update(signed, new Map([[doc.rootRef.num, { gen: 0, body: serializeObject(catalog) }]]))
    const changes = changesAfterFirst(tagged)
    expect(changes.other).toEqual([])
    expect(changes.levels.has('form-filling')).toBe(true)
    expect((await verify(tagged)).signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'warning' }))
  })

  it('a page resource the structure tree also reaches is still compared as a resource', async () => {
    const base = new Uint8Array(readFileSync(POLICY_PDF))
    const doc = readPdf(base)
    const resources = doc.pages[0]?.dict.entries.get('Resources')
    if (!isRef(resources)) throw new Error('page 1 has no indirect /Resources')
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set(
      'StructTreeRoot',
      pdfDict([
        ['Type', pdfName('StructTreeRoot')],
        ['K', [resources]],
      ]),
    )
    const signed = (await signPdf(update(base, new Map([[doc.rootRef.num, { gen: 0, body: serializeObject(catalog) }]])), rsa)).pdf
    const later = readPdf(signed)
    const changed = pdfDict((later.getObject(resources) as { entries: Map<string, PdfObject> }).entries)
    changed.entries.set('ExtGState', pdfDict([['GS9', pdfDict([['ca', 0]])]]))
    const attacked = update(signed, new Map([[resources.num, { gen: 0, body: serializeObject(changed) }]]))
    expect(changesAfterFirst(attacked).other).toContain(
      `object ${resources.num} 0: resources of page 1 /ExtGState changed after signing (added)`,
    )
  })
})

describe('objects registered as form fields in the signed revision', () => {
  /** `pdf` with an AcroForm whose /Fields lists `entries` (made before signing, as a shadow attack prepares it). */
  function withFields(pdf: Uint8Array, entries: PdfObject[]): Uint8Array {
    const doc = readPdf(pdf)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('AcroForm', pdfDict([['Fields', entries]]))
    return update(pdf, new Map([[doc.rootRef.num, { gen: 0, body: serializeObject(catalog) }]]))
  }

  it('a content stream listed in /Fields is still compared as page content', async () => {
    const base = new Uint8Array(readFileSync(POLICY_PDF))
    const contents = readPdf(base).pages[0]?.dict.entries.get('Contents')
    if (!isRef(contents)) throw new Error('page 1 has no indirect /Contents')
    const signed = (await signPdf(withFields(base, [contents]), rsa)).pdf
    const attacked = replacePageContent(signed)
    expect(changesAfterFirst(attacked.pdf).other).toContain(
      `object ${attacked.num} 0: content stream of page 1 changed after signing (stream data differs)`,
    )
  })

  it('a name tree node registered as a signature field does not let a script in through its /Kids', async () => {
    const base = new Uint8Array(readFileSync(POLICY_PDF))
    const doc = readPdf(base)
    const node = pdfRef(doc.size)
    const names = (kids: PdfObject[]): string =>
      serializeObject(
        pdfDict([
          ['FT', pdfName('Sig')],
          ['T', { kind: 'string', bytes: Buffer.from('JS'), hex: false }],
          ['Kids', kids],
        ]),
      )
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('Names', pdfDict([['JavaScript', node]]))
    catalog.entries.set('AcroForm', pdfDict([['Fields', [node]]]))
    const prepared = update(
      base,
      new Map([
        [doc.rootRef.num, { gen: 0, body: serializeObject(catalog) }],
        [node.num, { gen: 0, body: names([]) }],
      ]),
      doc.size + 1,
    )
    const signed = (await signPdf(prepared, rsa)).pdf
    const later = readPdf(signed)
    const script = pdfDict([
      [
        'Names',
        [
          { kind: 'string', bytes: Buffer.from('open'), hex: false },
          pdfDict([
            ['S', pdfName('JavaScript')],
            ['JS', { kind: 'string', bytes: Buffer.from('app.alert(1)'), hex: false }],
          ]),
        ],
      ],
    ])
    const attacked = update(
      signed,
      new Map([
        [node.num, { gen: 0, body: names([pdfRef(later.size)]) }],
        [later.size, { gen: 0, body: serializeObject(script) }],
      ]),
      later.size + 1,
    )
    expect(changesAfterFirst(attacked).other).toContainEqual(
      expect.stringMatching(new RegExp(`^object ${node.num} 0: catalog /Names /JavaScript /Kids changed after signing`)),
    )
  })
})

describe('FieldMDP locks', () => {
  it('locks the fields an /Include lists, every field but those an /Exclude lists, all with /All', () => {
    const locks = [
      { by: 'S1', action: 'Include' as const, fields: ['Montant', 'Adresse'] },
      { by: 'S2', action: 'Exclude' as const, fields: ['Commentaire'] },
    ]
    expect(lockedBy(locks.slice(0, 1), 'Montant')).toBe('S1')
    expect(lockedBy(locks.slice(0, 1), 'Adresse.Rue')).toBe('S1')
    expect(lockedBy(locks.slice(0, 1), 'Commentaire')).toBeUndefined()
    expect(lockedBy(locks.slice(1), 'Commentaire')).toBeUndefined()
    expect(lockedBy(locks.slice(1), 'Montant')).toBe('S2')
    expect(lockedBy([{ by: 'S3', action: 'All', fields: [] }], 'Anything')).toBe('S3')
  })

  it("reads the locks of a signed field's /Lock dictionary", async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    const doc = readPdf(signed)
    const field = doc.signatures[0]
    if (!field) throw new Error('no signature')
    const dict = pdfDict((doc.getObject(field.ref) as { entries: Map<string, PdfObject> }).entries)
    dict.entries.set(
      'Lock',
      pdfDict([
        ['Type', pdfName('SigFieldLock')],
        ['Action', pdfName('Include')],
        ['Fields', [{ kind: 'string', bytes: Buffer.from('Montant'), hex: false }]],
      ]),
    )
    const locked = readPdf(update(signed, new Map([[field.ref.num, { gen: field.ref.gen, body: serializeObject(dict) }]])))
    expect(fieldLocks(locked)).toEqual([{ by: 'Signature1', action: 'Include', fields: ['Montant'] }])
  })
})
