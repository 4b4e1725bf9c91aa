// A BER walker for CMS: it finds elements where they lie, without building a tree of the whole input, so that a
// SignedData carrying tens of megabytes of CRLs is read by walking past them (they stay bytes, for the policy layer
// to parse when it needs them). The cost is bounded by the input's length and the nesting depth, never by how many
// elements there are — asn1js's default parse stops at 10,000 nodes, which one CRL of 20,000 entries exceeds.
// Indefinite lengths and constructed strings (X.690 §8.1.3.6, §8.7.3) are read, since CMS allows BER
// (RFC 5652 §1.2); only the signed attributes must be DER, and {@link toDer} re-encodes them when they are not.

import { concatBytes } from '../bytes.js'
import { SceauError } from '../errors.js'

/** Nesting deeper than this is hostile: real CMS structures nest a few dozen levels at most. */
export const MAX_BER_DEPTH = 100

/** One element: its identifier, and where its header, contents and end lie in the input. */
export interface BerElement {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number
  readonly constructed: boolean
  readonly tagNumber: number
  /** Offset of the identifier octets. */
  readonly start: number
  /** Offset of the first content octet. */
  readonly contentStart: number
  /** Offset just past the last content octet (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number
  /** Offset just past the element. */
  readonly end: number
  /** True for an indefinite length (BER). */
  readonly indefinite: boolean
}

/** Universal tag numbers the CMS reader looks for. */
export const UNIVERSAL = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
} as const

/**
 * Reads the element at `offset`, which must end by `limit`. An indefinite length is followed to its end-of-contents
 * octets. Throws `INPUT_MALFORMED` naming `what` when the bytes are not BER.
 *
 * @example
 * ```ts
 * const contentInfo = readBer(cms, 0, cms.length, 'ContentInfo')
 * const [contentType, content] = berChildren(cms, contentInfo, 'ContentInfo')
 * ```
 */
export function readBer(bytes: Uint8Array, offset: number, limit: number, what: string): BerElement {
  return readAt(bytes, offset, limit, what, 0)
}

/** The elements inside a constructed element, in order. */
export function berChildren(bytes: Uint8Array, element: BerElement, what: string): BerElement[] {
  if (!element.constructed) fail(what, 'is not constructed')
  const children: BerElement[] = []
  let offset = element.contentStart
  while (offset < element.contentEnd) {
    const child = readAt(bytes, offset, element.contentEnd, what, 1)
    children.push(child)
    offset = child.end
  }
  return children
}

/** The element's bytes exactly as written (an indefinite length with its end-of-contents octets). */
export function berBytes(bytes: Uint8Array, element: BerElement): Uint8Array {
  return bytes.subarray(element.start, element.end)
}

/** The contents of a primitive element. */
export function berContents(bytes: Uint8Array, element: BerElement, what: string): Uint8Array {
  if (element.constructed) fail(what, 'is constructed where a primitive value is expected')
  return bytes.subarray(element.contentStart, element.contentEnd)
}

/** The octets of an OCTET STRING (or of an implicitly tagged one): primitive, or BER constructed from segments. */
export function berOctets(bytes: Uint8Array, element: BerElement, what: string): Uint8Array {
  if (!element.constructed) return bytes.subarray(element.contentStart, element.contentEnd)
  return concatBytes(berChildren(bytes, element, what).map((segment) => berOctets(bytes, segment, what)))
}

/** The dotted form of an OBJECT IDENTIFIER element. */
export function berOid(bytes: Uint8Array, element: BerElement | undefined, what: string): string {
  if (!isTag(element, 0, UNIVERSAL.oid) || element.constructed) return fail(what, 'is not an OBJECT IDENTIFIER')
  const contents = bytes.subarray(element.contentStart, element.contentEnd)
  if (contents.length === 0 || (contents.at(-1) ?? 0) & 0x80) return fail(what, 'is a malformed OBJECT IDENTIFIER')
  const arcs: number[] = []
  let value = 0
  for (const octet of contents) {
    value = value * 128 + (octet & 0x7f)
    if (value > Number.MAX_SAFE_INTEGER / 128) return fail(what, 'has an OBJECT IDENTIFIER arc too large')
    if ((octet & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 40 ? 0 : value < 80 ? 1 : 2, value < 80 ? value % 40 : value - 80)
      else arcs.push(value)
      value = 0
    }
  }
  return arcs.join('.')
}

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2): its OID, and the DER of its parameters when present. */
export interface AlgorithmIdentifierDer {
  readonly oid: string
  readonly parameters?: Uint8Array
}

/** Reads an AlgorithmIdentifier SEQUENCE. */
export function berAlgorithm(bytes: Uint8Array, element: BerElement | undefined, what: string): AlgorithmIdentifierDer {
  if (!isTag(element, 0, UNIVERSAL.sequence)) return fail(what, 'is not an AlgorithmIdentifier')
  const [algorithm, parameters, extra] = berChildren(bytes, element, what)
  if (extra !== undefined) fail(what, 'has fields after its parameters')
  const oid = berOid(bytes, algorithm, what)
  return parameters === undefined ? { oid } : { oid, parameters: toDer(bytes, parameters) }
}

/** True when the element has this class and number. */
export function isTag(element: BerElement | undefined, tagClass: number, tagNumber: number): element is BerElement {
  return element !== undefined && element.tagClass === tagClass && element.tagNumber === tagNumber
}

/**
 * The DER encoding of a BER element (X.690 §10): definite lengths in the fewest octets, constructed strings made
 * primitive, the elements of a universal SET sorted (§10.3, §11.6). Values themselves are kept: BER and DER only
 * differ there for BOOLEAN, which CMS attributes do not use. RFC 5652 §5.4 computes the signature over the DER of
 * the signed attributes, whatever bytes the SignerInfo stored.
 */
export function toDer(bytes: Uint8Array, element: BerElement): Uint8Array {
  return encode(bytes, element, 0)
}

function encode(bytes: Uint8Array, element: BerElement, depth: number): Uint8Array {
  if (depth > MAX_BER_DEPTH) fail('element', `nests deeper than ${MAX_BER_DEPTH} levels`)
  const universal = element.tagClass === 0
  if (!element.constructed) return withHeader(element, false, bytes.subarray(element.contentStart, element.contentEnd))
  if (universal && STRING_TAGS.has(element.tagNumber)) return withHeader(element, false, flattenString(bytes, element, depth))
  const children = berChildren(bytes, element, 'element').map((child) => encode(bytes, child, depth + 1))
  if (universal && element.tagNumber === UNIVERSAL.set) children.sort(compareDer)
  return withHeader(element, true, concatBytes(children))
}

// Universal string types that BER may send in segments (X.690 §8.7.3, §8.23): DER sends them whole.
const STRING_TAGS = new Set([3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30])

function flattenString(bytes: Uint8Array, element: BerElement, depth: number): Uint8Array {
  if (depth > MAX_BER_DEPTH) fail('string', `nests deeper than ${MAX_BER_DEPTH} levels`)
  const segments = berChildren(bytes, element, 'string').map((segment) =>
    segment.constructed ? flattenString(bytes, segment, depth + 1) : bytes.subarray(segment.contentStart, segment.contentEnd),
  )
  if (element.tagNumber !== UNIVERSAL.bitString) return concatBytes(segments)
  // A BIT STRING segment starts with its count of unused bits; only the last segment may have any (§8.6.4).
  const last = segments.at(-1)
  return concatBytes([[last?.[0] ?? 0], ...segments.map((segment) => segment.subarray(1))])
}

/** The X.690 §11.6 order of two encodings. */
function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

function withHeader(element: BerElement, constructed: boolean, contents: Uint8Array): Uint8Array {
  const first = (element.tagClass << 6) | (constructed ? 0x20 : 0)
  const identifier: number[] = []
  if (element.tagNumber < 31) identifier.push(first | element.tagNumber)
  else {
    const number = [element.tagNumber & 0x7f]
    for (let rest = Math.floor(element.tagNumber / 128); rest > 0; rest = Math.floor(rest / 128)) number.unshift((rest & 0x7f) | 0x80)
    identifier.push(first | 0x1f, ...number)
  }
  const length: number[] = []
  if (contents.length < 0x80) length.push(contents.length)
  else {
    for (let rest = contents.length; rest > 0; rest = Math.floor(rest / 256)) length.unshift(rest % 256)
    length.unshift(0x80 | length.length)
  }
  return concatBytes([identifier, length, contents])
}

function readAt(bytes: Uint8Array, offset: number, limit: number, what: string, depth: number): BerElement {
  if (depth > MAX_BER_DEPTH) fail(what, `nests deeper than ${MAX_BER_DEPTH} levels`)
  let position = offset
  const next = (): number => {
    if (position >= limit) fail(what, 'is truncated')
    return bytes[position++] as number
  }
  const first = next()
  const tagClass = first >> 6
  const constructed = (first & 0x20) !== 0
  let tagNumber = first & 0x1f
  if (tagNumber === 0x1f) {
    // High tag number form (X.690 §8.1.2.4): base-128 digits, the last without its top bit.
    tagNumber = 0
    for (let octets = 0; ; octets++) {
      if (octets === 4) fail(what, 'has a tag number too large')
      const octet = next()
      tagNumber = tagNumber * 128 + (octet & 0x7f)
      if ((octet & 0x80) === 0) break
    }
  }
  const lengthOctet = next()
  if (lengthOctet === 0x80) {
    if (!constructed) fail(what, 'has an indefinite length on a primitive element')
    const contentStart = position
    let cursor = contentStart
    for (;;) {
      if (cursor + 2 <= limit && bytes[cursor] === 0 && bytes[cursor + 1] === 0) {
        return { tagClass, constructed, tagNumber, start: offset, contentStart, contentEnd: cursor, end: cursor + 2, indefinite: true }
      }
      if (cursor >= limit) fail(what, 'has an indefinite length without end-of-contents')
      cursor = readAt(bytes, cursor, limit, what, depth + 1).end
    }
  }
  let length = lengthOctet
  if (lengthOctet & 0x80) {
    const octets = lengthOctet & 0x7f
    // 0xff is reserved (X.690 §8.1.3.5); past 6 octets a length is beyond any input sceau reads.
    if (octets > 6) fail(what, 'has an unreadable length')
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + next()
  }
  const contentStart = position
  const end = contentStart + length
  if (end > limit) fail(what, `claims ${length} bytes, past the end of its container`)
  return { tagClass, constructed, tagNumber, start: offset, contentStart, contentEnd: end, end, indefinite: false }
}

function fail(what: string, why: string): never {
  throw new SceauError('INPUT_MALFORMED', `CMS: ${what} ${why}`)
}
