// The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): certificates, CRLs and OCSP
// responses kept in the PDF so that a signature can be validated later without the network (PAdES B-LT). It is
// written as a further incremental update, which leaves every signature's byte range untouched; ISO 32000-2 counts
// a DSS update among the changes that keep earlier signatures valid.

import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import * as asn1js from 'asn1js'
import { SceauError } from '../../errors.js'
import { MAX_DECODED_BYTES, decodeStream } from './decode-stream.js'
import { type PdfDict, type PdfObject, type PdfRef, dictOf, isDict, isRef, isStream, pdfDict, pdfName, pdfRef } from './objects.js'
import { type PdfDocument, readPdf } from './read-pdf.js'
import { type RevisionObject, revisionId, streamBody, writeRevision } from './revision.js'
import { serializeObject } from './serialize.js'

/** Validation data, DER. */
export interface DssData {
  readonly certificates: readonly Uint8Array[]
  readonly crls: readonly Uint8Array[]
  readonly ocsps: readonly Uint8Array[]
}

/** The validation data used for one signature: written as its /VRI entry. */
export interface DssSignatureData extends DssData {
  /** The DER CMS of the signature (its /Contents, with or without the zero padding). */
  readonly signatureContents: Uint8Array
}

/** What {@link readDss} finds. */
export interface ReadDss extends DssData {
  /** /VRI entries by key (upper-case hex SHA-1 of the signature's DER CMS). */
  readonly vri: ReadonlyMap<string, DssData>
}

type Kind = 'certificates' | 'crls' | 'ocsps'
const KINDS: readonly Kind[] = ['certificates', 'crls', 'ocsps']
const DSS_KEYS: Readonly<Record<Kind, string>> = { certificates: 'Certs', crls: 'CRLs', ocsps: 'OCSPs' }
const VRI_KEYS: Readonly<Record<Kind, string>> = { certificates: 'Cert', crls: 'CRL', ocsps: 'OCSP' }

/**
 * Reads the Document Security Store of the newest revision, or undefined when the catalog has none.
 *
 * @example
 * ```ts
 * const dss = readDss(readPdf(pdf))
 * console.log(dss?.certificates.length, dss?.crls.length, dss?.ocsps.length)
 * ```
 */
export function readDss(doc: PdfDocument): ReadDss | undefined {
  const dss = doc.resolve(doc.catalog.entries.get('DSS'))
  if (!isDict(dss)) return undefined
  // Bounded by bytes, not by entries: a legitimate DSS may hold one CRL of thousands of entries, and the /VRI
  // dictionaries name the same streams again, which are decoded once.
  const budget = { left: MAX_DSS_BYTES }
  const decoded = new Map<number, Uint8Array>()
  const read = (dict: PdfDict, keys: Readonly<Record<Kind, string>>): DssData => {
    const out = { certificates: [] as Uint8Array[], crls: [] as Uint8Array[], ocsps: [] as Uint8Array[] }
    for (const kind of KINDS) for (const { bytes } of streamsOf(doc, dict.entries.get(keys[kind]), budget, decoded)) out[kind].push(bytes)
    return out
  }
  const vri = new Map<string, DssData>()
  const vriDict = doc.resolve(dss.entries.get('VRI'))
  if (isDict(vriDict)) {
    for (const [key, value] of vriDict.entries) {
      const entry = doc.resolve(value)
      if (isDict(entry)) vri.set(key, read(entry, VRI_KEYS))
    }
  }
  return { ...read(dss, DSS_KEYS), vri }
}

/**
 * Appends an incremental update that adds validation data to the PDF's Document Security Store, creating the
 * store or merging with the one there: entries already stored (same bytes) are referenced, not written again.
 * `vri` adds a /VRI entry per signature, keyed by the SHA-1 of its DER CMS, naming the data that validates it.
 *
 * @throws SceauError `PDF_ENCRYPTED` for an encrypted PDF; `INPUT_MALFORMED` when the PDF cannot be read.
 *
 * @example
 * ```ts
 * const { appended } = appendDss(signed, { certificates: [intermediate], crls: [crl], ocsps: [] })
 * await writeFile('signed-lt.pdf', Buffer.concat([signed, appended]))
 * ```
 */
export function appendDss(
  pdf: Uint8Array,
  data: DssData & { readonly vri?: readonly DssSignatureData[] },
): { readonly appended: Uint8Array } {
  const doc = readPdf(pdf)
  if (doc.encrypted) {
    throw new SceauError('PDF_ENCRYPTED', 'the PDF is encrypted: sceau cannot add a Document Security Store to it')
  }
  const dssValue = doc.catalog.entries.get('DSS')
  const dss = pdfDict(dictOf(doc.resolve(dssValue))?.entries ?? [])
  let next = doc.size
  const objects = new Map<number, RevisionObject>()

  // Existing streams by content, so that data already stored is referenced rather than duplicated.
  const stored = new Map<string, PdfRef>()
  const arrays = { certificates: [] as PdfObject[], crls: [] as PdfObject[], ocsps: [] as PdfObject[] }
  for (const kind of KINDS) {
    for (const { ref, bytes } of streamsOf(doc, dss.entries.get(DSS_KEYS[kind]))) {
      arrays[kind].push(ref)
      stored.set(contentKey(kind, bytes), ref)
    }
  }
  const refOf = (kind: Kind, bytes: Uint8Array): PdfRef => {
    const key = contentKey(kind, bytes)
    const known = stored.get(key)
    if (known) return known
    const ref = pdfRef(next++)
    const compressed = deflateSync(bytes)
    objects.set(ref.num, { gen: 0, body: streamBody(pdfDict([['Filter', pdfName('FlateDecode')]]), compressed) })
    stored.set(key, ref)
    arrays[kind].push(ref)
    return ref
  }
  for (const kind of KINDS) for (const bytes of data[kind]) refOf(kind, bytes)

  if (data.vri && data.vri.length > 0) {
    const vri = pdfDict(dictOf(doc.resolve(dss.entries.get('VRI')))?.entries ?? [])
    for (const signature of data.vri) {
      const key = vriKey(signature.signatureContents)
      const entry = pdfDict(dictOf(doc.resolve(vri.entries.get(key)))?.entries ?? [])
      for (const kind of KINDS) {
        const existing = doc.resolve(entry.entries.get(VRI_KEYS[kind]))
        const refs = Array.isArray(existing) ? existing.filter(isRef) : []
        for (const bytes of signature[kind]) {
          const ref = refOf(kind, bytes)
          if (!refs.some((other) => other.num === ref.num)) refs.push(ref)
        }
        if (refs.length > 0) entry.entries.set(VRI_KEYS[kind], refs)
      }
      vri.entries.set(key, entry)
    }
    dss.entries.set('VRI', vri)
  }
  for (const kind of KINDS) if (arrays[kind].length > 0) dss.entries.set(DSS_KEYS[kind], arrays[kind])
  dss.entries.set('Type', pdfName('DSS'))

  // An indirect /DSS is updated where it lives and the catalog stays as it is; otherwise the catalog is rewritten.
  if (isRef(dssValue)) {
    objects.set(dssValue.num, { gen: dssValue.gen, body: serializeObject(dss) })
  } else {
    const dssRef = pdfRef(next++)
    objects.set(dssRef.num, { gen: 0, body: serializeObject(dss) })
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('DSS', dssRef)
    objects.set(doc.rootRef.num, { gen: doc.rootRef.gen, body: serializeObject(catalog) })
  }
  const unique = createHash('sha256')
  for (const body of objects.values()) unique.update(body.body, 'latin1')
  const { appended } = writeRevision(doc, objects, { size: next, id: revisionId(doc.trailer, pdf, `DSS ${unique.digest('hex')}`) })
  return { appended }
}

/**
 * The /VRI key of a signature: the upper-case hex SHA-1 of its DER CMS, without the zero padding of /Contents
 * (ETSI EN 319 142-1 §5.4.2.3). The DER header gives the length, so a signature ending in zero bytes is kept whole.
 */
export function vriKey(signatureContents: Uint8Array): string {
  return createHash('sha1').update(derPrefix(signatureContents)).digest('hex').toUpperCase()
}

function derPrefix(bytes: Uint8Array): Uint8Array {
  const first = bytes[1]
  if (bytes[0] !== 0x30 || first === undefined) return bytes
  if (first < 0x80) return bytes.subarray(0, Math.min(bytes.length, 2 + first))
  const octets = first & 0x7f
  // 0x80 is BER's indefinite length: the end-of-contents octets are zeros too, so only a parse finds the end.
  if (octets === 0 || octets > 4) {
    const end = asn1js.fromBER(bytes).offset
    return end > 0 ? bytes.subarray(0, end) : bytes
  }
  let length = 0
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[2 + i] ?? 0)
  return bytes.subarray(0, Math.min(bytes.length, 2 + octets + length))
}

function contentKey(kind: Kind, bytes: Uint8Array): string {
  return `${kind} ${createHash('sha256').update(bytes).digest('hex')}`
}

// Decoded bytes read from one DSS at most: far above any real validation data, far below what exhausts memory.
const MAX_DSS_BYTES = 256 * 1024 * 1024

/**
 * The stream objects an array of references points to, with their decoded bytes; anything else, and any stream that
 * cannot be decoded within what is left of `budget`, is skipped (the DSS is extra evidence, never a reason to refuse
 * a file).
 */
function streamsOf(
  doc: PdfDocument,
  value: PdfObject | undefined,
  budget = { left: MAX_DSS_BYTES },
  decoded = new Map<number, Uint8Array>(),
): { ref: PdfRef; bytes: Uint8Array }[] {
  const items = doc.resolve(value)
  if (!Array.isArray(items)) return []
  const out: { ref: PdfRef; bytes: Uint8Array }[] = []
  for (const item of items) {
    if (!isRef(item)) continue
    const known = decoded.get(item.num)
    if (known) {
      out.push({ ref: item, bytes: known })
      continue
    }
    const stream = doc.getObject(item)
    if (!isStream(stream) || budget.left <= 0) continue
    let bytes: Uint8Array
    try {
      bytes = decodeStream(stream, Math.min(budget.left, MAX_DECODED_BYTES))
    } catch (err) {
      if (err instanceof SceauError) continue
      throw err
    }
    budget.left -= bytes.length
    decoded.set(item.num, bytes)
    out.push({ ref: item, bytes })
  }
  return out
}
