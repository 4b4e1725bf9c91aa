// The PDF object model (ISO 32000-1 §7.3) as plain tagged values, so that parsed objects can be copied,
// edited and written back without a class hierarchy. Arrays are plain JS arrays; numbers are JS numbers.

export interface PdfName {
  readonly kind: 'name'
  /** Decoded (#xx escapes resolved), one char per byte. */
  readonly name: string
}

export interface PdfString {
  readonly kind: 'string'
  readonly bytes: Uint8Array
  /** Written as `<hex>` rather than `(literal)`. */
  readonly hex: boolean
  /** File offsets of the opening delimiter and just past the closing one, when parsed from the file itself. */
  readonly start?: number
  readonly end?: number
}

export interface PdfRef {
  readonly kind: 'ref'
  readonly num: number
  readonly gen: number
}

export interface PdfDict {
  readonly kind: 'dict'
  readonly entries: Map<string, PdfObject>
}

export interface PdfStream {
  readonly kind: 'stream'
  readonly dict: PdfDict
  /** The encoded bytes between `stream` and `endstream`. */
  readonly data: Uint8Array
}

export type PdfObject = null | boolean | number | PdfName | PdfString | PdfRef | PdfDict | PdfStream | PdfObject[]

export function pdfName(name: string): PdfName {
  return { kind: 'name', name }
}

export function pdfRef(num: number, gen = 0): PdfRef {
  return { kind: 'ref', num, gen }
}

export function pdfDict(entries: Iterable<readonly [string, PdfObject]> = []): PdfDict {
  return { kind: 'dict', entries: new Map(entries) }
}

export function pdfBytesString(bytes: Uint8Array, hex = true): PdfString {
  return { kind: 'string', bytes, hex }
}

export function isName(value: PdfObject | undefined, name?: string): value is PdfName {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    value.kind === 'name' &&
    (name === undefined || value.name === name)
  )
}

export function isDict(value: PdfObject | undefined): value is PdfDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'dict'
}

export function isRef(value: PdfObject | undefined): value is PdfRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'ref'
}

export function isString(value: PdfObject | undefined): value is PdfString {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'string'
}

export function isStream(value: PdfObject | undefined): value is PdfStream {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'stream'
}

export function isInteger(value: PdfObject | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value)
}

export function sameRef(a: PdfRef, b: PdfRef): boolean {
  return a.num === b.num && a.gen === b.gen
}

/** The dictionary of a dict or a stream, else undefined. */
export function dictOf(value: PdfObject | undefined): PdfDict | undefined {
  if (isDict(value)) return value
  if (isStream(value)) return value.dict
  return undefined
}
