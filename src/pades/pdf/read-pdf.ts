// Reads what a signer needs from a PDF: the newest trailer and catalog, the pages, the AcroForm and the signature
// fields already there, resolving objects lazily through the cross-reference data (object streams included).

import { decodeStream } from './decode-stream.js'
import {
  type PdfDict,
  type PdfObject,
  type PdfRef,
  type PdfString,
  dictOf,
  isDict,
  isInteger,
  isName,
  isRef,
  isStream,
  isString,
} from './objects.js'
import { SceauError } from '../../errors.js'
import { type IndirectObject, malformed, parseIndirectObject, parseObject } from './parse.js'
import { recoverXref } from './recover-xref.js'
import { type Xref, readXref } from './xref.js'

export interface PdfPage {
  readonly ref: PdfRef
  readonly dict: PdfDict
  /** Own or inherited /MediaBox. */
  readonly mediaBox: readonly number[] | undefined
}

export interface PdfField {
  /** Fully qualified name: partial names of the ancestors joined with dots. */
  readonly name: string
  readonly ref: PdfRef
  /** Own or inherited /FT. */
  readonly type: string | undefined
}

export interface PdfSignatureField extends PdfField {
  readonly sigRef: PdfRef | undefined
  readonly byteRange: readonly number[]
  /** The decoded /Contents: the DER CMS followed by the unused zero padding. */
  readonly contents: Uint8Array
  /** File offsets of `<` and just past `>` of /Contents, when the signature dictionary sits uncompressed in the file. */
  readonly contentsStart: number | undefined
  readonly contentsEnd: number | undefined
}

export interface PdfDocument {
  readonly bytes: Uint8Array
  readonly trailer: PdfDict
  readonly rootRef: PdfRef
  readonly catalog: PdfDict
  readonly infoRef: PdfRef | undefined
  readonly info: PdfDict | undefined
  readonly encrypted: boolean
  /** Trailer /Size: one more than the highest object number in use. */
  readonly size: number
  readonly startxref: number
  readonly lastSection: 'table' | 'stream'
  /** Offsets of the cross-reference sections, newest first (the /Prev chain). */
  readonly sections: readonly number[]
  /** Why the cross-reference data was rebuilt by scanning, when {@link ReadPdfOptions.recover} had to. */
  readonly recovered?: string
  readonly pages: readonly PdfPage[]
  /** The catalog's /AcroForm, and its object reference when it is indirect. */
  readonly acroForm: { readonly ref: PdfRef | undefined; readonly dict: PdfDict } | undefined
  readonly fields: readonly PdfField[]
  /** Fields of type /Sig that carry a value (a signature dictionary). */
  readonly signatures: readonly PdfSignatureField[]
  getObject(ref: PdfRef): PdfObject
  resolve(value: PdfObject | undefined): PdfObject
  /** The in-use reference of object `num` in this revision (its generation from the cross-reference data), if any. */
  refTo(num: number): PdfRef | undefined
}

// Bounds on tree walks, so that a cyclic or adversarial page or field tree cannot hang the reader.
const MAX_TREE_DEPTH = 64

/** Options of {@link readPdf}. */
export interface ReadPdfOptions {
  /**
   * When the cross-reference data cannot be read, locate the objects by scanning the file, as PDF readers do. For
   * verification only: an incremental update must never be written on top of a guessed cross-reference table.
   */
  readonly recover?: boolean
  /**
   * Objects already parsed from the same bytes, by file offset: revisions of one file (prefixes of the same bytes)
   * share the objects they have in common, so that comparing many revisions parses each object once.
   */
  readonly parsed?: Map<number, IndirectObject>
}

/**
 * Parses the structure of a PDF for signing.
 *
 * @example
 * ```ts
 * const pdf = readPdf(await readFile('in.pdf'))
 * console.log(pdf.pages.length, pdf.signatures.map((s) => s.name))
 * ```
 */
export function readPdf(bytes: Uint8Array, options: ReadPdfOptions = {}): PdfDocument {
  if (!Buffer.from(bytes.subarray(0, 1024)).includes('%PDF-')) throw malformed('no %PDF- header in the first 1024 bytes')
  let xref: Xref
  try {
    xref = readXref(bytes)
  } catch (err) {
    if (options.recover !== true || !(err instanceof SceauError)) throw err
    xref = recoverXref(bytes, err.message)
  }
  const resolver = new Resolver(bytes, xref, options.parsed)
  const trailer = xref.trailer
  const rootRef = trailer.entries.get('Root')
  if (!isRef(rootRef)) throw malformed('trailer without an indirect /Root')
  const catalog = resolver.getObject(rootRef)
  if (!isDict(catalog)) throw malformed('/Root is not a dictionary')
  const infoRef = trailer.entries.get('Info')
  const info = isRef(infoRef) ? resolver.getObject(infoRef) : null
  const size = trailer.entries.get('Size')
  // A loop, not Math.max(...keys): a spread of a few hundred thousand object numbers overflows the stack.
  let highest = 0
  for (const num of xref.entries.keys()) if (num > highest) highest = num
  const acroFormValue = catalog.entries.get('AcroForm')
  const acroFormDict = resolver.resolve(acroFormValue)
  const acroForm = isDict(acroFormDict) ? { ref: isRef(acroFormValue) ? acroFormValue : undefined, dict: acroFormDict } : undefined
  const fields = acroForm ? readFields(resolver, acroForm.dict) : []
  return {
    bytes,
    trailer,
    rootRef,
    catalog,
    infoRef: isRef(infoRef) ? infoRef : undefined,
    info: isDict(info) ? info : undefined,
    encrypted: trailer.entries.has('Encrypt'),
    size: Math.max(isInteger(size) ? size : 0, highest + 1),
    startxref: xref.startxref,
    lastSection: xref.lastSection,
    sections: xref.sections,
    ...(xref.recovered === undefined ? {} : { recovered: xref.recovered }),
    pages: readPages(resolver, catalog),
    acroForm,
    fields,
    signatures: fields.flatMap((field) => readSignature(resolver, field) ?? []),
    getObject: (ref) => resolver.getObject(ref),
    resolve: (value) => resolver.resolve(value),
    refTo: (num) => {
      const entry = xref.entries.get(num)
      return entry === undefined ? undefined : { kind: 'ref', num, gen: entry.kind === 'offset' ? entry.gen : 0 }
    },
  }
}

class Resolver {
  private readonly cache = new Map<number, PdfObject>()
  private readonly objectStreams = new Map<number, { data: Uint8Array; offsets: number[] }>()
  private readonly resolving = new Set<number>()

  constructor(
    private readonly bytes: Uint8Array,
    private readonly xref: Xref,
    private readonly parsed: Map<number, IndirectObject> = new Map(),
  ) {}

  resolve(value: PdfObject | undefined): PdfObject {
    return isRef(value) ? this.getObject(value) : (value ?? null)
  }

  getObject(ref: PdfRef): PdfObject {
    const cached = this.cache.get(ref.num)
    if (cached !== undefined) return cached
    const entry = this.xref.entries.get(ref.num)
    if (!entry || this.resolving.has(ref.num)) return null
    this.resolving.add(ref.num)
    try {
      let value: PdfObject
      if (entry.kind === 'offset') {
        if (entry.gen !== ref.gen) return null
        let object = this.parsed.get(entry.offset)
        if (object === undefined || object.end > this.bytes.length) {
          object = parseIndirectObject(this.bytes, entry.offset, (length) => this.getObject(length))
          // A stream whose /Length is indirect is read with this revision's length object, which a later
          // revision may redefine: it is not shared.
          const value = object.value
          if (!(isStream(value) && isRef(value.dict.entries.get('Length')))) this.parsed.set(entry.offset, object)
        }
        if (object.num !== ref.num) throw malformed(`the xref points object ${ref.num} at object ${object.num}`, entry.offset)
        value = object.value
      } else {
        value = this.fromObjectStream(entry.stream, entry.index, ref.num)
      }
      this.cache.set(ref.num, value)
      return value
    } finally {
      this.resolving.delete(ref.num)
    }
  }

  private fromObjectStream(streamNum: number, index: number, num: number): PdfObject {
    let objStm = this.objectStreams.get(streamNum)
    if (!objStm) {
      const stream = this.getObject({ kind: 'ref', num: streamNum, gen: 0 })
      if (!isStream(stream) || !isName(stream.dict.entries.get('Type'), 'ObjStm'))
        throw malformed(`object ${streamNum} is not an object stream`)
      const n = stream.dict.entries.get('N')
      const first = stream.dict.entries.get('First')
      if (!isInteger(n) || !isInteger(first)) throw malformed(`object stream ${streamNum} without /N or /First`)
      const data = decodeStream(stream)
      const offsets: number[] = []
      let at = 0
      for (let i = 0; i < 2 * n; i++) {
        const parsed = parseObject(data, at, { offsets: false })
        if (!isInteger(parsed.value)) throw malformed(`bad header in object stream ${streamNum}`)
        offsets.push(parsed.value)
        at = parsed.end
      }
      objStm = { data, offsets: offsets.map((value, i) => (i % 2 === 1 ? first + value : value)) }
      this.objectStreams.set(streamNum, objStm)
    }
    const storedNum = objStm.offsets[2 * index]
    const offset = objStm.offsets[2 * index + 1]
    if (storedNum !== num || offset === undefined) throw malformed(`object ${num} is not at index ${index} of object stream ${streamNum}`)
    return parseObject(objStm.data, offset, { offsets: false }).value
  }
}

function readPages(resolver: Resolver, catalog: PdfDict): PdfPage[] {
  const pages: PdfPage[] = []
  const seen = new Set<number>()
  const walk = (ref: PdfObject | undefined, mediaBox: readonly number[] | undefined, depth: number): void => {
    if (!isRef(ref) || seen.has(ref.num) || depth > MAX_TREE_DEPTH) return
    seen.add(ref.num)
    const node = resolver.getObject(ref)
    if (!isDict(node)) return
    const own = resolver.resolve(node.entries.get('MediaBox'))
    const box = Array.isArray(own) && own.every((n) => typeof n === 'number') ? (own as number[]) : mediaBox
    const kids = resolver.resolve(node.entries.get('Kids'))
    if (isName(node.entries.get('Type'), 'Pages') || (Array.isArray(kids) && !isName(node.entries.get('Type'), 'Page'))) {
      if (Array.isArray(kids)) for (const kid of kids) walk(kid, box, depth + 1)
    } else {
      pages.push({ ref, dict: node, mediaBox: box })
    }
  }
  walk(catalog.entries.get('Pages'), undefined, 0)
  return pages
}

function readFields(resolver: Resolver, acroForm: PdfDict): PdfField[] {
  const fields: PdfField[] = []
  const seen = new Set<number>()
  const walk = (list: PdfObject, parentName: string, parentType: string | undefined, depth: number): void => {
    const items = resolver.resolve(list)
    if (!Array.isArray(items) || depth > MAX_TREE_DEPTH) return
    for (const ref of items) {
      if (!isRef(ref) || seen.has(ref.num)) continue
      seen.add(ref.num)
      const field = resolver.getObject(ref)
      if (!isDict(field)) continue
      const partial = field.entries.get('T')
      const ft = field.entries.get('FT')
      const type = isName(ft) ? ft.name : parentType
      // A kid without /T is a widget of its parent, not a field of its own.
      if (!isString(partial)) continue
      const name = parentName === '' ? textOf(partial) : `${parentName}.${textOf(partial)}`
      fields.push({ name, ref, type })
      walk(field.entries.get('Kids') ?? null, name, type, depth + 1)
    }
  }
  walk(acroForm.entries.get('Fields') ?? null, '', undefined, 0)
  return fields
}

function readSignature(resolver: Resolver, field: PdfField): PdfSignatureField | undefined {
  if (field.type !== 'Sig') return undefined
  const dict = dictOf(resolver.getObject(field.ref))
  const value = dict?.entries.get('V')
  const sig = resolver.resolve(value)
  if (!isDict(sig)) return undefined
  const byteRange = resolver.resolve(sig.entries.get('ByteRange'))
  const contents: PdfObject = resolver.resolve(sig.entries.get('Contents'))
  const string: PdfString | undefined = isString(contents) ? contents : undefined
  // The parser records offsets only for strings read from the file itself, never from an object stream.
  const direct = string?.start !== undefined
  return {
    ...field,
    sigRef: isRef(value) ? value : undefined,
    byteRange: Array.isArray(byteRange) ? byteRange.filter((n): n is number => typeof n === 'number') : [],
    contents: string?.bytes ?? new Uint8Array(),
    contentsStart: direct ? string?.start : undefined,
    contentsEnd: direct ? string?.end : undefined,
  }
}

/** Decodes a PDF text string: UTF-16BE with a BOM, else PDFDocEncoding (read as Latin-1, which covers what names use). */
export function textOf(value: PdfString): string {
  const bytes = value.bytes
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)))
      .swap16()
      .toString('utf16le')
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return Buffer.from(bytes.subarray(3)).toString('utf8')
  return Buffer.from(bytes).toString('latin1')
}
