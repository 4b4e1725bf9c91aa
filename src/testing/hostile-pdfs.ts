/**
 * Builds the hostile and legitimate PDFs of `fixtures/hostile/pdf/`: signed test PDFs, then incremental updates
 * written by hand as an attacker would (the incremental-saving and shadow attacks of Mladenov, Mainka, Meyer zu
 * Selhausen, Grothe and Schwenk, CCS 2019 / NDSS 2021; the evil-annotation and sneaky-signature attacks of Mainka et
 * al., IEEE S&P 2021; pyHanko's coverage anomalies), and the updates a legitimate workflow makes (LTV, document
 * time-stamps, a second signature, form filling, a comment). `scripts/build-hostile-pdfs.ts` writes them.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'
import { signCms } from '../cms/sign.js'
import { extendToLt } from '../pades/extend-lt.js'
import { timestampPdfParts } from '../pades/document-timestamp.js'
import { type PdfDict, type PdfObject, type PdfRef, dictOf, isRef, pdfBytesString, pdfDict, pdfName, pdfRef } from '../pades/pdf/objects.js'
import { prepareSignature, byteRangeParts } from '../pades/pdf/prepare-signature.js'
import { readPdf } from '../pades/pdf/read-pdf.js'
import { type RevisionObject, revisionId, streamBody, writeRevision } from '../pades/pdf/revision.js'
import { pdfTextString, serializeObject } from '../pades/pdf/serialize.js'
import { signPdf } from '../pades/sign-pdf.js'
import { defaultSha256Algorithm } from '../signer/algorithms.js'
import type { KeySigner } from '../signer/key-signer.js'
import type { TestPki } from './pki.js'
import { startPkiTsa } from './tsa.js'

/** One file of the hostile corpus, with the verdict `sceau verify` must give and why. */
export interface HostilePdf {
  readonly name: string
  readonly pdf: Uint8Array
  /** The document verdict expected. */
  readonly expected: 'TOTAL_PASSED' | 'TOTAL_FAILED'
  /** Passed with a warning: `--strict` turns it INDETERMINATE. */
  readonly warning?: boolean
  /** What `sceau verify` must name (an object, a byte range). */
  readonly names: string
  readonly why: string
}

/** What the builder needs: the test PKI, a signer of it, and the PDF to start from ({@link basePdf} by default). */
export interface HostileInputs {
  readonly pki: TestPki
  readonly signer: KeySigner
  readonly base?: Uint8Array
}

/**
 * A small two-page PDF (a "délibération" with an amount), written by hand with a classic cross-reference table,
 * so that the corpus stays a few kilobytes a file.
 */
export function basePdf(): Uint8Array {
  const page1 =
    'BT /F1 18 Tf 72 760 Td (Deliberation n 2026-042) Tj ET\nBT /F1 14 Tf 72 720 Td (Objet : achat de materiel informatique) Tj ET\nBT /F1 14 Tf 72 690 Td (Montant : 12 500 EUR TTC) Tj ET'
  const page2 = 'BT /F1 14 Tf 72 760 Td (Fait a Nice, le 15 janvier 2026) Tj ET'
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R /Lang (fr-FR) >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>',
    '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 7 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>',
    `<< /Length ${page1.length} >>\nstream\n${page1}\nendstream`,
    `<< /Length ${page2.length} >>\nstream\n${page2}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Title (Deliberation 2026-042) /Producer (sceau hostile corpus) >>',
  ]
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
  const offsets: number[] = []
  objects.forEach((object, index) => {
    offsets.push(out.length)
    out += `${index + 1} 0 obj\n${object}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n\r\n`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 8 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

/** An incremental update written by hand: `objects` (bodies by object number) replace or add objects of `pdf`. */
export function update(
  pdf: Uint8Array,
  objects: ReadonlyMap<number, RevisionObject>,
  options: { readonly size?: number; readonly root?: PdfRef } = {},
): Uint8Array {
  const doc = readPdf(pdf)
  const view = options.root ? { ...doc, rootRef: options.root } : doc
  const { appended } = writeRevision(view, objects, {
    size: options.size ?? doc.size,
    id: revisionId(doc.trailer, pdf, `update ${objects.size}`),
  })
  return Buffer.concat([pdf, appended])
}

const body = (value: PdfObject): RevisionObject => ({ gen: 0, body: serializeObject(value) })
const stream = (text: string, dict: PdfDict = pdfDict()): RevisionObject => ({
  gen: 0,
  body: streamBody(dict, Buffer.from(text, 'latin1')),
})

/** Page 1's first content stream reference and the page itself. */
function firstPage(pdf: Uint8Array): { doc: ReturnType<typeof readPdf>; page: PdfRef; dict: PdfDict; content: PdfRef } {
  const doc = readPdf(pdf)
  const page = doc.pages[0]
  if (!page) throw new Error('the base PDF has no page')
  const contents = page.dict.entries.get('Contents')
  const content = Array.isArray(contents) ? contents[0] : contents
  if (!isRef(content)) throw new Error('page 1 has no indirect /Contents')
  return { doc, page: page.ref, dict: page.dict, content }
}

const FAKE = 'BT /F1 24 Tf 72 700 Td (Montant : 1 000 000 EUR) Tj ET'

/** Builds every file of the corpus. */
export async function buildHostilePdfs(inputs: HostileInputs): Promise<HostilePdf[]> {
  const { pki, signer } = inputs
  const base = inputs.base ?? basePdf()
  const signingTime = new Date(pki.now.getTime() + 60_000)
  const sign = async (pdf: Uint8Array, options: Parameters<typeof signPdf>[2] = {}): Promise<Uint8Array> =>
    (await signPdf(pdf, signer, { signingTime, ...options })).pdf
  const signed = await sign(base)
  const files: HostilePdf[] = []
  const add = (file: HostilePdf): void => void files.push(file)

  // ---- hostile: each must be TOTAL_FAILED with the object or byte range named

  {
    const { content } = firstPage(signed)
    add({
      name: 'content-replaced.pdf',
      pdf: update(signed, new Map([[content.num, stream(FAKE)]])),
      expected: 'TOTAL_FAILED',
      names: `object ${content.num} 0: content stream of page 1`,
      why: "Incremental saving attack (Mladenov et al., CCS 2019): a later revision redefines page 1's content stream object; the signature still covers its own revision intact (pdfsig: valid).",
    })
  }
  {
    const { doc, page, dict } = firstPage(signed)
    const fresh = doc.size
    const repointed = pdfDict(dict.entries)
    repointed.entries.set('Contents', pdfRef(fresh))
    add({
      name: 'content-repointed.pdf',
      pdf: update(
        signed,
        new Map([
          [page.num, body(repointed)],
          [fresh, stream(FAKE)],
        ]),
        { size: fresh + 1 },
      ),
      expected: 'TOTAL_FAILED',
      names: `object ${fresh} 0 (in place of object`,
      why: 'Incremental saving attack: page 1 now points at a new content stream.',
    })
  }
  {
    const { doc, dict } = firstPage(signed)
    const parentRef = dict.entries.get('Parent')
    const parent = isRef(parentRef) ? dictOf(doc.getObject(parentRef)) : undefined
    if (!isRef(parentRef) || !parent) throw new Error('page 1 has no indirect /Parent')
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
    const objects = new Map([
      [parentRef.num, body(pages)],
      [pageRef.num, body(page)],
      [contentRef.num, stream('BT /F1 24 Tf 72 700 Td (Annexe : avenant non signe) Tj ET')],
    ])
    add({
      name: 'page-added.pdf',
      pdf: update(signed, objects, { size: doc.size + 2 }),
      expected: 'TOTAL_FAILED',
      names: `object ${pageRef.num} 0: page ${doc.pages.length + 1} added after signing`,
      why: 'A page added in a later revision (DSS PAdESWithAddedPageTest; pyHanko rejects it as modification level OTHER).',
    })
  }
  {
    const { doc, content } = firstPage(signed)
    const root = pdfRef(doc.size)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set(
      'OpenAction',
      pdfDict([
        ['S', pdfName('JavaScript')],
        ['JS', pdfTextString("app.alert('signed!')")],
      ]),
    )
    add({
      name: 'new-root.pdf',
      pdf: update(
        signed,
        new Map([
          [root.num, body(catalog)],
          [content.num, stream(FAKE)],
        ]),
        { size: doc.size + 1, root },
      ),
      expected: 'TOTAL_FAILED',
      names: `object ${root.num} 0: catalog /OpenAction`,
      why: 'A later revision names a new catalog (trailer /Root) with an /OpenAction script, and replaces page 1 content.',
    })
  }
  {
    const { doc, page, dict } = firstPage(signed)
    const annot = pdfRef(doc.size)
    const appearance = pdfRef(doc.size + 1)
    const withAnnot = pdfDict(dict.entries)
    withAnnot.entries.set('Annots', [...annotsOf(doc, dict), annot])
    const freeText = pdfDict([
      ['Type', pdfName('Annot')],
      ['Subtype', pdfName('FreeText')],
      ['Rect', [60, 680, 560, 740]],
      ['F', 4],
      ['P', page],
      ['DA', pdfTextString('/Helv 24 Tf 0 g')],
      ['Contents', pdfTextString('Montant : 1 000 000 EUR')],
      ['AP', pdfDict([['N', appearance]])],
    ])
    const ap = pdfDict([
      ['Type', pdfName('XObject')],
      ['Subtype', pdfName('Form')],
      ['BBox', [0, 0, 500, 60]],
      [
        'Resources',
        pdfDict([
          [
            'Font',
            pdfDict([
              [
                'Helv',
                pdfDict([
                  ['Type', pdfName('Font')],
                  ['Subtype', pdfName('Type1')],
                  ['BaseFont', pdfName('Helvetica')],
                ]),
              ],
            ]),
          ],
        ]),
      ],
    ])
    add({
      name: 'overlay-annotation.pdf',
      pdf: update(
        signed,
        new Map([
          [page.num, body(withAnnot)],
          [annot.num, body(freeText)],
          [appearance.num, stream('1 1 1 rg 0 0 500 60 re f BT 0 g /Helv 24 Tf 10 20 Td (Montant : 1 000 000 EUR) Tj ET', ap)],
        ]),
        {
          size: doc.size + 2,
        },
      ),
      expected: 'TOTAL_FAILED',
      names: `object ${annot.num} 0: new /FreeText annotation that draws over the signed page`,
      why: 'Evil annotation attack (Mainka et al., IEEE S&P 2021): an opaque FreeText annotation painted over the signed text after an approval signature.',
    })
  }
  {
    const { doc, page, dict } = firstPage(signed)
    const field = pdfRef(doc.size)
    const appearance = pdfRef(doc.size + 1)
    const withWidget = pdfDict(dict.entries)
    withWidget.entries.set('Annots', [...annotsOf(doc, dict), field])
    const widget = pdfDict([
      ['Type', pdfName('Annot')],
      ['Subtype', pdfName('Widget')],
      ['FT', pdfName('Sig')],
      ['T', pdfTextString('Visa')],
      ['Rect', [60, 680, 560, 740]],
      ['F', 4],
      ['P', page],
      ['AP', pdfDict([['N', appearance]])],
    ])
    const form = pdfDict(doc.acroForm?.dict.entries ?? [])
    const fields = form.entries.get('Fields')
    form.entries.set('Fields', [...(Array.isArray(fields) ? fields : []), field])
    const catalog = pdfDict(doc.catalog.entries)
    const objects = new Map<number, RevisionObject>([
      [page.num, body(withWidget)],
      [field.num, body(widget)],
      [
        appearance.num,
        stream(
          '1 1 1 rg 0 0 500 60 re f BT 0 g /Helv 24 Tf 10 20 Td (Montant : 1 000 000 EUR) Tj ET',
          pdfDict([
            ['Type', pdfName('XObject')],
            ['Subtype', pdfName('Form')],
            ['BBox', [0, 0, 500, 60]],
          ]),
        ),
      ],
    ])
    if (doc.acroForm?.ref) objects.set(doc.acroForm.ref.num, body(form))
    else {
      catalog.entries.set('AcroForm', form)
      objects.set(doc.rootRef.num, body(catalog))
    }
    add({
      name: 'sneaky-signature.pdf',
      pdf: update(signed, objects, { size: doc.size + 2 }),
      expected: 'TOTAL_FAILED',
      names: `object ${field.num} 0: new signature field "Visa" draws on page 1 but holds no signature`,
      why: 'Sneaky signature attack (Mainka et al., IEEE S&P 2021): an unsigned signature field whose appearance paints over the signed page.',
    })
  }
  {
    const replaced = firstPage(signed)
    const attacked = update(signed, new Map([[replaced.content.num, stream(FAKE)]]))
    const doc = readPdf(attacked)
    const dss = pdfRef(doc.size)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', dss)
    add({
      name: 'dss-lists-changed-content.pdf',
      pdf: update(
        attacked,
        new Map([
          [doc.rootRef.num, body(catalog)],
          [
            dss.num,
            body(
              pdfDict([
                ['Type', pdfName('DSS')],
                ['Certs', [replaced.content]],
              ]),
            ),
          ],
        ]),
        {
          size: doc.size + 1,
        },
      ),
      expected: 'TOTAL_FAILED',
      names: `object ${replaced.content.num} 0: content stream of page 1`,
      why: 'Shadow attack variant: the replaced content stream is listed in a new DSS so that a role-based check takes it for validation data.',
    })
  }
  {
    // The signed revision already lists page 1's content stream in its DSS: a DSS-only object it is not.
    const { doc, content } = firstPage(base)
    const dss = pdfRef(doc.size)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', dss)
    const prepared = update(
      base,
      new Map([
        [doc.rootRef.num, body(catalog)],
        [
          dss.num,
          body(
            pdfDict([
              ['Type', pdfName('DSS')],
              ['Certs', [content]],
            ]),
          ),
        ],
      ]),
      {
        size: doc.size + 1,
      },
    )
    const preparedSigned = await sign(prepared)
    add({
      name: 'dss-signed-lists-content.pdf',
      pdf: update(preparedSigned, new Map([[content.num, stream(FAKE)]])),
      expected: 'TOTAL_FAILED',
      names: `object ${content.num} 0: content stream of page 1`,
      why: 'Shadow attack (Mladenov et al., NDSS 2021): the signed revision lists the page content in its DSS, so that a later rewrite of it passes for DSS validation data.',
    })
  }
  {
    const { doc } = firstPage(signed)
    const dss = pdfRef(doc.size)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', dss)
    catalog.entries.set(
      'OpenAction',
      pdfDict([
        ['S', pdfName('URI')],
        ['URI', pdfBytesString(Buffer.from('https://example.invalid/'), false)],
      ]),
    )
    add({
      name: 'dss-reaches-catalog.pdf',
      pdf: update(
        signed,
        new Map([
          [doc.rootRef.num, body(catalog)],
          [
            dss.num,
            body(
              pdfDict([
                ['Type', pdfName('DSS')],
                ['Certs', [doc.rootRef]],
              ]),
            ),
          ],
        ]),
        {
          size: doc.size + 1,
        },
      ),
      expected: 'TOTAL_FAILED',
      names: `object ${doc.rootRef.num} 0: catalog /OpenAction`,
      why: 'A DSS whose /Certs reaches the catalog: what the DSS reaches is not validation data, and the catalog change (/OpenAction) is judged as such.',
    })
  }
  {
    // Shadow "hide-and-replace" through /Info: the signed revision draws text with a font that is also the
    // document information dictionary; a later revision "updates the metadata" and remaps the digits.
    const { doc, page, dict } = firstPage(base)
    const info = doc.infoRef
    const resourcesRef = dict.entries.get('Resources')
    const resources = isRef(resourcesRef) ? dictOf(doc.getObject(resourcesRef)) : dictOf(resourcesRef)
    if (!info || !resources) throw new Error('the base PDF has no /Info or no page resources')
    const fonts = pdfDict(dictOf(doc.resolve(resources.entries.get('Font')))?.entries ?? [])
    fonts.entries.set('FX', info)
    const newResources = pdfDict(resources.entries)
    newResources.entries.set('Font', fonts)
    const amount = pdfRef(doc.size)
    const contents = dict.entries.get('Contents')
    const newPage = pdfDict(dict.entries)
    newPage.entries.set('Contents', [...(Array.isArray(contents) ? contents : [contents ?? null]), amount])
    newPage.entries.set('Resources', newResources)
    const fontInfo = pdfDict(dictOf(doc.getObject(info))?.entries ?? [])
    fontInfo.entries.set('Type', pdfName('Font'))
    fontInfo.entries.set('Subtype', pdfName('Type1'))
    fontInfo.entries.set('BaseFont', pdfName('Helvetica'))
    const objects = new Map([
      [page.num, body(newPage)],
      [amount.num, stream('BT /FX 18 Tf 72 40 Td (Montant : 1 500 EUR) Tj ET')],
      [info.num, body(fontInfo)],
    ])
    const prepared = update(base, objects, { size: doc.size + 1 })
    const preparedSigned = await sign(prepared)
    const remapped = pdfDict(fontInfo.entries)
    remapped.entries.set('Encoding', pdfDict([['Differences', [49, pdfName('nine')]]]))
    remapped.entries.set('ModDate', pdfTextString('D:20260101000000Z'))
    add({
      name: 'info-aliased-font.pdf',
      pdf: update(preparedSigned, new Map([[info.num, body(remapped)]])),
      expected: 'TOTAL_FAILED',
      names: `object ${info.num} 0: font /FX of page 1`,
      why: 'Shadow attack through an alias (Mladenov et al., NDSS 2021): the font page 1 draws the amount with is also the /Info dictionary; a later "metadata update" adds an /Encoding that turns every 1 into a 9.',
    })
  }
  {
    add({
      name: 'tail-uncovered.pdf',
      pdf: await signLeavingTail(base, inputs, signingTime),
      expected: 'TOTAL_FAILED',
      names: 'not at the end of a revision (%%EOF)',
      why: "pyHanko's coverage anomaly tail-uncovered.pdf: the /ByteRange stops before the signed revision's cross-reference table and trailer, which anyone can then rewrite.",
    })
  }
  {
    add({
      name: 'bytes-after-eof.pdf',
      pdf: Buffer.concat([signed, Buffer.from('\n5 0 obj\n<< /Type /Catalog /Pages 42 0 R /OpenAction 9 0 R >>\nendobj\n', 'latin1')]),
      expected: 'TOTAL_FAILED',
      names: 'after the last %%EOF belong to no revision',
      why: 'Bytes after the last %%EOF that no signature covers: readers that rebuild a damaged cross-reference table would take the object there.',
    })
  }
  {
    const doc = readPdf(signed)
    const sigRef = doc.signatures[0]?.sigRef
    const sig = sigRef && dictOf(doc.getObject(sigRef))
    if (!sigRef || !sig) throw new Error('no signature dictionary')
    const spoofed = pdfDict(sig.entries)
    spoofed.entries.set('Reason', pdfTextString('Bon pour accord sans reserve'))
    add({
      name: 'signature-dictionary-rewritten.pdf',
      pdf: update(signed, new Map([[sigRef.num, body(spoofed)]])),
      expected: 'TOTAL_FAILED',
      names: `object ${sigRef.num} 0`,
      why: 'The signature dictionary rewritten after signing (its /Reason spoofed, DSS PAdESSpoofingAttackReplacementTest): what the signature panel shows is no longer what was signed.',
    })
  }

  // ---- legitimate: each must pass

  const verifyAt = new Date(pki.now.getTime() + 120_000)
  const ltOptions = { trustedCertificates: [pki.root.certificate], crls: [pki.crl, pki.rootCrl], fetch: false, at: verifyAt }
  const lt = Buffer.concat([signed, (await extendToLt(signed, ltOptions)).appended])
  add({
    name: 'b-lt.pdf',
    pdf: lt,
    expected: 'TOTAL_PASSED',
    names: 'DSS updated with validation data',
    why: 'PAdES B-LT: a DSS revision after the signature (EN 319 142-1 §5.4).',
  })
  const tsa = await startPkiTsa(pki)
  try {
    const stamped = await timestampPdfParts(lt, { url: tsa.url })
    add({
      name: 'b-lta.pdf',
      pdf: Buffer.concat([stamped.original, stamped.appended]),
      expected: 'TOTAL_PASSED',
      names: 'new invisible signature widget',
      why: 'PAdES B-LTA: a document time-stamp after the DSS.',
    })
  } finally {
    await tsa.close()
  }
  add({
    name: 'two-signatures.pdf',
    pdf: await sign(signed, { rect: [50, 50, 250, 100], reason: 'Visa du comptable' }),
    expected: 'TOTAL_PASSED',
    names: 'new visible signature widget',
    why: 'A second, visible signature after the first.',
  })

  const form = withTextField(base)
  const certified = await sign(form.pdf, { certify: 2 })
  add({
    name: 'certified-p2-form-filled.pdf',
    pdf: fillTextField(certified, form.field, '1 500 EUR'),
    expected: 'TOTAL_PASSED',
    names: 'field "Montant" filled in after signing',
    why: 'A certification with DocMDP P=2 allows filling in forms (ISO 32000-1 §12.8.2.2): the text field is filled in a later revision.',
  })
  add({
    name: 'certified-p2-annotation.pdf',
    pdf: addComment(certified),
    expected: 'TOTAL_FAILED',
    names: 'new /Text annotation',
    why: 'P=2 allows form filling and signing, not annotations (P=3 does).',
  })
  add({
    name: 'annotation-after-approval.pdf',
    pdf: addComment(signed),
    expected: 'TOTAL_PASSED',
    warning: true,
    names: 'new /Text annotation',
    why: 'A sticky note after an approval signature: a comment, not a change of the signed page (a warning, as pyHanko and DSS report annotation changes).',
  })
  return files
}

function annotsOf(doc: ReturnType<typeof readPdf>, page: PdfDict): PdfObject[] {
  const annots = doc.resolve(page.entries.get('Annots'))
  return Array.isArray(annots) ? annots : []
}

/** A sticky note (/Text annotation) on page 1 in a new revision. */
function addComment(pdf: Uint8Array): Uint8Array {
  const { doc, page, dict } = firstPage(pdf)
  const note = pdfRef(doc.size)
  const withNote = pdfDict(dict.entries)
  withNote.entries.set('Annots', [...annotsOf(doc, dict), note])
  const text = pdfDict([
    ['Type', pdfName('Annot')],
    ['Subtype', pdfName('Text')],
    ['Rect', [500, 740, 520, 760]],
    ['F', 4],
    ['P', page],
    ['Contents', pdfTextString('Vu, transmis au service financier')],
    ['Name', pdfName('Comment')],
  ])
  return update(
    pdf,
    new Map([
      [page.num, body(withNote)],
      [note.num, body(text)],
    ]),
    { size: doc.size + 1 },
  )
}

/** The base PDF with a text field "Montant" on page 1, in a revision of its own (before any signature). */
function withTextField(pdf: Uint8Array): { pdf: Uint8Array; field: PdfRef } {
  const { doc, page, dict } = firstPage(pdf)
  const field = pdfRef(doc.size)
  const font = pdfRef(doc.size + 1)
  const appearance = pdfRef(doc.size + 2)
  const withField = pdfDict(dict.entries)
  withField.entries.set('Annots', [...annotsOf(doc, dict), field])
  const text = pdfDict([
    ['Type', pdfName('Annot')],
    ['Subtype', pdfName('Widget')],
    ['FT', pdfName('Tx')],
    ['T', pdfTextString('Montant')],
    ['V', pdfTextString('')],
    ['Rect', [72, 40, 272, 60]],
    ['F', 4],
    ['P', page],
    ['DA', pdfTextString('/Helv 12 Tf 0 g')],
    ['AP', pdfDict([['N', appearance]])],
  ])
  const catalog = pdfDict(doc.catalog.entries)
  catalog.entries.set(
    'AcroForm',
    pdfDict([
      ['Fields', [field]],
      ['DA', pdfTextString('/Helv 12 Tf 0 g')],
      ['DR', pdfDict([['Font', pdfDict([['Helv', font]])]])],
    ]),
  )
  const objects = new Map<number, RevisionObject>([
    [page.num, body(withField)],
    [field.num, body(text)],
    [
      font.num,
      body(
        pdfDict([
          ['Type', pdfName('Font')],
          ['Subtype', pdfName('Type1')],
          ['BaseFont', pdfName('Helvetica')],
        ]),
      ),
    ],
    [appearance.num, stream('/Tx BMC EMC', fieldAppearance(font))],
    [doc.rootRef.num, body(catalog)],
  ])
  return { pdf: update(pdf, objects, { size: doc.size + 3 }), field }
}

function fieldAppearance(font: PdfRef): PdfDict {
  return pdfDict([
    ['Type', pdfName('XObject')],
    ['Subtype', pdfName('Form')],
    ['BBox', [0, 0, 200, 20]],
    ['Resources', pdfDict([['Font', pdfDict([['Helv', font]])]])],
  ])
}

/** Fills the text field: a new value and a new appearance stream, as a form filler writes them. */
function fillTextField(pdf: Uint8Array, field: PdfRef, value: string): Uint8Array {
  const doc = readPdf(pdf)
  const dict = dictOf(doc.getObject(field))
  const fontRef = dictOf(doc.resolve(dictOf(doc.resolve(doc.acroForm?.dict.entries.get('DR')))?.entries.get('Font')))?.entries.get('Helv')
  if (!dict || !isRef(fontRef)) throw new Error('no text field to fill')
  const appearance = pdfRef(doc.size)
  const filled = pdfDict(dict.entries)
  filled.entries.set('V', pdfTextString(value))
  filled.entries.set('AP', pdfDict([['N', appearance]]))
  return update(
    pdf,
    new Map([
      [field.num, body(filled)],
      [appearance.num, stream(`/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (${value}) Tj ET EMC`, fieldAppearance(fontRef))],
    ]),
    { size: doc.size + 1 },
  )
}

/**
 * Signs the existing, empty signature field `field` of `pdf` in a new revision (sceau's signer always makes a new
 * field; other tools sign fields prepared earlier).
 */
export async function signExistingField(pdf: Uint8Array, field: PdfRef, inputs: Pick<HostileInputs, 'signer'>): Promise<Uint8Array> {
  const doc = readPdf(pdf)
  const dict = dictOf(doc.getObject(field))
  if (!dict) throw new Error(`object ${field.num} is no field`)
  const sigRef = pdfRef(doc.size)
  const signedField = pdfDict(dict.entries)
  signedField.entries.set('V', sigRef)
  const placeholder = '[0 0000000000 0000000000 0000000000]'
  const sig = `<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ${placeholder} /Contents <${'0'.repeat(16384)}>>>`
  const { appended } = writeRevision(
    doc,
    new Map([
      [field.num, body(signedField)],
      [sigRef.num, { gen: 0, body: sig }],
    ]),
    {
      size: doc.size + 1,
      id: revisionId(doc.trailer, pdf, `sign ${field.num}`),
    },
  )
  const whole = Buffer.concat([pdf, appended])
  const text = whole.toString('latin1')
  const range = text.indexOf(placeholder, pdf.length)
  const lt = text.indexOf('/Contents <', range) + '/Contents '.length
  const gt = lt + 2 + 16384
  const byteRange: [number, number, number, number] = [0, lt, gt, whole.length - gt]
  whole.write(`[${byteRange.join(' ')}`.padEnd(placeholder.length - 1, ' ') + ']', range, 'latin1')
  const digest = createHash('sha256').update(whole.subarray(0, lt)).update(whole.subarray(gt)).digest()
  const { der } = await signCms({
    signer: inputs.signer,
    algorithm: defaultSha256Algorithm(inputs.signer),
    contentDigest: new Uint8Array(digest),
  })
  whole.write(Buffer.from(der).toString('hex'), lt + 1, 'latin1')
  return whole
}

/** Signs `pdf` with a /ByteRange that stops before the signed revision's xref table and trailer. */
async function signLeavingTail(pdf: Uint8Array, inputs: HostileInputs, signingTime: Date): Promise<Uint8Array> {
  const prepared = prepareSignature(pdf, { contentsSize: 8192, signingTime, name: 'TEST' })
  const appended = Buffer.from(prepared.appended)
  const whole = Buffer.concat([pdf, appended])
  const xref = whole.lastIndexOf('\nxref\n') + 1
  const [a, b, c] = prepared.byteRange
  const byteRange: [number, number, number, number] = [a, b, c, xref - c]
  const text = whole.toString('latin1')
  const at = text.indexOf('/ByteRange [', pdf.length) + '/ByteRange '.length
  const end = text.indexOf(']', at) + 1
  // The bracket must close where the placeholder's did: pad inside it.
  const written = `[${byteRange.join(' ')}`.padEnd(end - at - 1, ' ') + ']'
  appended.write(written, at - pdf.length, 'latin1')
  const hasher = createHash('sha256')
  for (const part of byteRangeParts(pdf, appended, byteRange)) hasher.update(part)
  const { der } = await signCms({
    signer: inputs.signer,
    algorithm: 'RSASSA-PKCS1-v1_5-SHA256',
    contentDigest: new Uint8Array(hasher.digest()),
  })
  appended.write(Buffer.from(der).toString('hex'), prepared.contentsStart - pdf.length, 'latin1')
  return Buffer.concat([pdf, appended])
}
