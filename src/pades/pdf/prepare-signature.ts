// Appends an incremental update (§7.5.6) that adds an empty signature: the /Sig dictionary with a zero-filled
// /Contents and its final /ByteRange, the merged field and widget (with a drawn appearance when it is visible),
// the page and AcroForm that now point to them, the catalog's /Perms for a certification, and a cross-reference
// section of the same kind as the file's last one (revision.ts). The original bytes are left untouched, which is
// what lets earlier signatures keep verifying.

import { SceauError } from '../../errors.js'
import { appearanceStream } from './appearance.js'
import { type PdfDict, type PdfObject, type PdfRef, dictOf, isInteger, isName, isRef, pdfDict, pdfName, pdfRef } from './objects.js'
import { readPdf } from './read-pdf.js'
import { type RevisionObject, revisionId, writeRevision } from './revision.js'
import { pdfDate, pdfTextString, serializeName, serializeObject } from './serialize.js'

export interface PrepareSignatureOptions {
  /** Name of the new field; by default the first free `SignatureN`. */
  readonly fieldName?: string
  /** 0-based page index carrying the widget; default 0. */
  readonly page?: number
  /** Widget rectangle in user space; default `[0, 0, 0, 0]`, an invisible signature. */
  readonly rect?: readonly [number, number, number, number]
  /** Bytes reserved for the DER CMS: /Contents holds twice as many hex zeros. */
  readonly contentsSize: number
  /** Default `ETSI.CAdES.detached` (PAdES baseline). */
  readonly subFilter?: string
  /** Written as /M. */
  readonly signingTime: Date
  readonly reason?: string
  readonly location?: string
  readonly contactInfo?: string
  readonly name?: string
  /**
   * Makes this a certification signature (DocMDP, ISO 32000-1 §12.8.2.2): the changes allowed afterwards are
   * 1 none, 2 filling in forms and signing, 3 that plus annotations. Only the first signature of a PDF can certify.
   */
  readonly certify?: 1 | 2 | 3
}

export interface PreparedSignature {
  /** The new revision, to write after the original bytes; offsets below count from the start of the original. */
  readonly appended: Uint8Array
  /** The original bytes followed by the new revision (a copy, made when read). */
  readonly pdf: Uint8Array
  /** Already written into `pdf`: everything but `<hex>` of /Contents, delimiters included. */
  readonly byteRange: readonly [number, number, number, number]
  /** Offset of the first hex digit of /Contents. */
  readonly contentsStart: number
  /** Offset of the closing `>` of /Contents (exclusive end of the hex digits). */
  readonly contentsEnd: number
}

// Ten digits cover files up to 9.3 GiB; the final values are written in place, padded with spaces.
const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]'
// Print (4) + Locked (128): the widget prints and cannot be moved or deleted.
const WIDGET_FLAGS = 132

/**
 * Adds an empty signature field to a PDF, ready for the CMS to be written between `contentsStart` and `contentsEnd`.
 *
 * @example
 * ```ts
 * const prepared = prepareSignature(pdf, { contentsSize: 16384, signingTime: new Date() })
 * const signedBytes = concatBytes([
 *   prepared.pdf.subarray(0, prepared.byteRange[1]),
 *   prepared.pdf.subarray(prepared.byteRange[2]),
 * ]) // hash this, build the CMS, then write its hex at contentsStart
 * ```
 */
export function prepareSignature(input: Uint8Array, options: PrepareSignatureOptions): PreparedSignature {
  if (!Number.isInteger(options.contentsSize) || options.contentsSize <= 0) {
    throw new SceauError('USAGE', `contentsSize must be a positive integer, got ${options.contentsSize}`)
  }
  const doc = readPdf(input)
  if (doc.encrypted) {
    throw new SceauError('PDF_ENCRYPTED', 'the PDF is encrypted: sceau cannot sign it; decrypt it first (e.g. qpdf --decrypt)')
  }
  if (options.certify !== undefined) {
    if (![1, 2, 3].includes(options.certify)) throw new SceauError('USAGE', `certify must be 1, 2 or 3, got ${String(options.certify)}`)
    // A certification states what may change after it; one made after another signature would judge changes it never saw.
    if (doc.signatures.length > 0) {
      throw new SceauError('USAGE', `the PDF already has ${doc.signatures.length} signature(s): only the first signature can certify it`)
    }
  }
  const certification = dictOf(doc.resolve(dictOf(doc.resolve(doc.catalog.entries.get('Perms')))?.entries.get('DocMDP')))
  if (certification && docMdpPermissions(certification, doc.resolve.bind(doc)) === 1) {
    throw new SceauError(
      'USAGE',
      'the PDF is certified with no changes allowed (DocMDP P=1): a new signature would break the certification',
    )
  }
  const pageIndex = options.page ?? 0
  const page = doc.pages[pageIndex]
  if (!page)
    throw new SceauError('USAGE', `page ${pageIndex} does not exist: the PDF has ${doc.pages.length} page(s)`, {
      details: { page: pageIndex },
    })
  const taken = new Set(doc.fields.map((field) => field.name))
  const fieldName = options.fieldName ?? freeFieldName(taken)
  if (taken.has(fieldName)) throw new SceauError('USAGE', `the PDF already has a field named "${fieldName}"`, { details: { fieldName } })

  let next = doc.size
  const sigRef = pdfRef(next++)
  const fieldRef = pdfRef(next++)
  const rect = options.rect ?? [0, 0, 0, 0]
  const width = Math.abs(rect[2] - rect[0])
  const height = Math.abs(rect[3] - rect[1])
  const appearanceRef = width > 0 && height > 0 ? pdfRef(next++) : undefined

  const objects = new Map<number, RevisionObject>()
  const put = (ref: PdfRef, body: string): void => void objects.set(ref.num, { gen: ref.gen, body })

  put(sigRef, signatureDictionary(options))
  const field = pdfDict([
    ['Type', pdfName('Annot')],
    ['Subtype', pdfName('Widget')],
    ['FT', pdfName('Sig')],
    ['T', pdfTextString(fieldName)],
    ['V', sigRef],
    ['Rect', [...rect]],
    ['F', WIDGET_FLAGS],
    ['P', page.ref],
  ])
  if (appearanceRef) {
    field.entries.set('AP', pdfDict([['N', appearanceRef]]))
    const text = { name: options.name ?? fieldName, signingTime: options.signingTime, reason: options.reason, location: options.location }
    put(appearanceRef, appearanceStream(width, height, text))
  }
  put(fieldRef, serializeObject(field))

  // The widget joins the page's /Annots; an indirect /Annots array is updated where it lives.
  const annots = page.dict.entries.get('Annots')
  const annotsArray = isRef(annots) ? doc.getObject(annots) : undefined
  if (isRef(annots) && Array.isArray(annotsArray)) {
    put(annots, serializeObject([...annotsArray, fieldRef]))
  } else {
    const updated = pdfDict(page.dict.entries)
    updated.entries.set('Annots', Array.isArray(annots) ? [...annots, fieldRef] : [fieldRef])
    put(page.ref, serializeObject(updated))
  }

  // The field joins /Fields; /SigFlags 3 = SignaturesExist + AppendOnly (§12.7.2).
  const acroForm = pdfDict(doc.acroForm?.dict.entries ?? [])
  const fields = acroForm.entries.get('Fields')
  const fieldsArray = isRef(fields) ? doc.getObject(fields) : undefined
  if (isRef(fields) && Array.isArray(fieldsArray)) put(fields, serializeObject([...fieldsArray, fieldRef]))
  else acroForm.entries.set('Fields', Array.isArray(fields) ? [...fields, fieldRef] : [fieldRef])
  const sigFlags = acroForm.entries.get('SigFlags')
  acroForm.entries.set('SigFlags', (isInteger(sigFlags) ? sigFlags : 0) | 3)
  const catalog = pdfDict(doc.catalog.entries)
  if (doc.acroForm?.ref) put(doc.acroForm.ref, serializeObject(acroForm))
  else catalog.entries.set('AcroForm', acroForm)
  // Readers find the certification through the catalog (§12.8.4), not by walking the fields.
  if (options.certify !== undefined) {
    const perms = pdfDict(dictOf(doc.resolve(catalog.entries.get('Perms')))?.entries ?? [])
    perms.entries.set('DocMDP', sigRef)
    catalog.entries.set('Perms', perms)
  }
  if (!doc.acroForm?.ref || options.certify !== undefined) put(doc.rootRef, serializeObject(catalog))

  const { appended, offsets } = writeRevision(doc, objects, {
    size: next,
    id: revisionId(doc.trailer, input, `${options.signingTime.toISOString()} ${fieldName}`),
  })
  const sigOffset = offsets.get(sigRef.num) ?? 0
  const total = input.length + appended.length

  const sigBody = objects.get(sigRef.num)?.body ?? ''
  const sigBodyStart = sigOffset + `${sigRef.num} ${sigRef.gen} obj\n`.length
  const placeholderAt = sigBodyStart + sigBody.indexOf(BYTE_RANGE_PLACEHOLDER)
  const lt = sigBodyStart + sigBody.indexOf('/Contents <') + '/Contents '.length
  const gt = lt + 1 + 2 * options.contentsSize
  const byteRange: [number, number, number, number] = [0, lt, gt + 1, total - (gt + 1)]
  const written = `[${byteRange.join(' ')}`
  appended.write(`${written.padEnd(BYTE_RANGE_PLACEHOLDER.length - 1, ' ')}]`, placeholderAt - input.length, 'latin1')
  return {
    appended,
    byteRange,
    contentsStart: lt + 1,
    contentsEnd: gt,
    get pdf(): Uint8Array {
      return Buffer.concat([input, appended])
    },
  }
}

/**
 * The /P of a signature dictionary's DocMDP reference (§12.8.2.2): which changes its certification allows, or
 * undefined when the signature does not certify.
 */
export function docMdpPermissions(sig: PdfDict, resolve: (value: PdfObject | undefined) => PdfObject): 1 | 2 | 3 | undefined {
  const references = resolve(sig.entries.get('Reference'))
  for (const item of Array.isArray(references) ? references : []) {
    const reference = dictOf(resolve(item))
    if (!reference || !isName(resolve(reference.entries.get('TransformMethod')), 'DocMDP')) continue
    const p = resolve(dictOf(resolve(reference.entries.get('TransformParams')))?.entries.get('P'))
    // §12.8.2.2: an absent or out-of-range /P counts as 2.
    return p === 1 || p === 3 ? p : 2
  }
  return undefined
}

function freeFieldName(taken: ReadonlySet<string>): string {
  let n = 1
  while (taken.has(`Signature${n}`)) n++
  return `Signature${n}`
}

function signatureDictionary(options: PrepareSignatureOptions): string {
  // A document time-stamp (PAdES B-LTA) has its own type and no claimed time: the token is the time.
  const documentTimestamp = options.subFilter === 'ETSI.RFC3161'
  const parts = [
    documentTimestamp ? '/Type /DocTimeStamp' : '/Type /Sig',
    '/Filter /Adobe.PPKLite',
    `/SubFilter ${serializeName(options.subFilter ?? 'ETSI.CAdES.detached')}`,
    `/ByteRange ${BYTE_RANGE_PLACEHOLDER}`,
    `/Contents <${'0'.repeat(2 * options.contentsSize)}>`,
    ...(documentTimestamp ? [] : [`/M ${serializeObject(pdfDate(options.signingTime))}`]),
  ]
  const optional: [string, string | undefined][] = [
    ['Name', options.name],
    ['Reason', options.reason],
    ['Location', options.location],
    ['ContactInfo', options.contactInfo],
  ]
  for (const [key, text] of optional) if (text !== undefined) parts.push(`/${key} ${serializeObject(pdfTextString(text))}`)
  if (options.certify !== undefined) {
    parts.push(
      `/Reference [<</Type /SigRef /TransformMethod /DocMDP /TransformParams <</Type /TransformParams /P ${options.certify} /V /1.2>>>>]`,
    )
  }
  return `<<${parts.join(' ')}>>`
}

/**
 * The bytes a /ByteRange names when the signed file is `original` followed by `appended` (the /Contents gap lies in
 * the appended revision): views, no copy.
 */
export function byteRangeParts(
  original: Uint8Array,
  appended: Uint8Array,
  byteRange: readonly [number, number, number, number],
): Uint8Array[] {
  const [a, b, c, d] = byteRange
  return [
    original.subarray(a, Math.min(a + b, original.length)),
    appended.subarray(0, a + b - original.length),
    appended.subarray(c - original.length, c + d - original.length),
  ]
}
