// Character data as every canonical form writes it (Canonical XML 1.0 §2.3, shared by 1.1 and exc-c14n): values
// read from the document's bytes (references expanded, line ends normalised, XML 1.0 §2.11 and §3.3.3) and
// escaped for the output. The streaming canonicaliser writes straight from the bytes; the node-set one escapes
// strings.

import { isAscii } from 'node:buffer'
import { byteTable, decodeBytes, undefinedByte, type DocumentEncoding } from './encoding.js'
import { malformed, type RawAttribute } from './scanner.js'
import type { ByteSink } from './sink.js'

/**
 * The normalised value of a CDATA attribute (no DTD: every attribute is CDATA), XML 1.0 §3.3.3. `bytes` holds the
 * document from offset `base` (a scanner's window).
 */
export function attributeValue(bytes: Buffer, encoding: DocumentEncoding, attribute: RawAttribute, base = 0): string {
  const start = attribute.valueStart - base
  const end = attribute.valueEnd - base
  const raw = decodeBytes(bytes, start, end, encoding)
  if (!hasByte(bytes, start, end, NORMALISED)) return raw
  return raw.replace(/\r\n|[\r\n\t]|&([^;&]*);?/g, (match: string, reference: string | undefined) => {
    if (reference === undefined) return ' '
    if (!match.endsWith(';')) throw malformed(`"&" not starting a reference in attribute ${attribute.name}`, attribute.valueStart)
    return String.fromCodePoint(expandReference(reference, attribute.valueStart))
  })
}

/**
 * The string value of character data `bytes[start, end)` (relative to `bytes`): line ends normalised, and for text
 * (not CDATA) references expanded. What the node-set path builds its text nodes from.
 */
export function characterData(
  bytes: Buffer,
  start: number,
  end: number,
  encoding: DocumentEncoding,
  cdata: boolean,
  offset: number,
): string {
  const raw = decodeBytes(bytes, start, end, encoding).replace(/\r\n?/g, '\n')
  if (cdata || raw.indexOf('&') < 0) return raw
  return raw.replace(/&([^;&]*);?/g, (match: string, reference: string) => {
    if (!match.endsWith(';') || reference.length > 32) throw malformed('"&" not starting a reference', offset)
    return String.fromCodePoint(expandReference(reference, offset))
  })
}

/** 1 for the bytes attribute-value normalisation rewrites: '&', TAB, LF, CR. */
const NORMALISED = flags([0x26, 0x09, 0x0a, 0x0d])

/**
 * Writes the canonical form of an attribute value straight from its bytes: what {@link attributeValue} then
 * escaping would give, without decoding to a string (most values are copied as they are).
 */
export function writeAttributeValue(
  sink: ByteSink,
  bytes: Buffer,
  base: number,
  encoding: DocumentEncoding,
  attribute: RawAttribute,
): void {
  const special = encoding === 'utf8' ? UTF8_VALUE_SPECIAL : SINGLE_BYTE_VALUE_SPECIAL
  const latin1 = encoding === 'latin1'
  const end = attribute.valueEnd - base
  let i = attribute.valueStart - base
  let run = i
  while (i < end) {
    const byte = bytes[i] as number
    if (special[byte] === 0) {
      i++
      continue
    }
    if (run < i) sink.writeBytes(bytes, run, i)
    i++
    if (byte >= 0x80) {
      if (latin1) {
        sink.writeByte(0xc0 | (byte >> 6))
        sink.writeByte(0x80 | (byte & 0x3f))
      } else writeHighByte(sink, encoding, byte)
    } else if (byte === 0x22) {
      sink.writeString('&quot;')
    } else if (byte === 0x26) {
      let semicolon = i
      while (semicolon < end && bytes[semicolon] !== 0x3b && bytes[semicolon] !== 0x26) semicolon++
      if (bytes[semicolon] !== 0x3b || semicolon >= end) {
        throw malformed(`"&" not starting a reference in attribute ${attribute.name}`, attribute.valueStart)
      }
      const code = expandReference(bytes.toString('latin1', i, semicolon), attribute.valueStart)
      const escaped = ATTRIBUTE_ESCAPES[String.fromCharCode(code)]
      sink.writeString(escaped !== undefined && code < 0x80 ? escaped : String.fromCodePoint(code))
      i = semicolon + 1
    } else {
      // TAB, LF, CR and CR LF each become one space (XML 1.0 §3.3.3).
      if (byte === 0x0d && bytes[i] === 0x0a && i < end) i++
      sink.writeByte(0x20)
    }
    run = i
  }
  if (run < end) sink.writeBytes(bytes, run, end)
}

/** Writes the UTF-8 form of a byte over 0x7F of a single-byte encoding other than ISO-8859-1. */
function writeHighByte(sink: ByteSink, encoding: DocumentEncoding, byte: number): void {
  const utf8 = byteTable(encoding).utf8
  const at = byte * 4
  const length = utf8[at + 3] as number
  if (length === 0) throw undefinedByte(encoding, byte)
  for (let k = 0; k < length; k++) sink.writeByte(utf8[at + k] as number)
}

/** 1 for the bytes of a raw attribute value that differ in its canonical form (normalised or escaped). */
const UTF8_VALUE_SPECIAL = flags([0x26, 0x09, 0x0a, 0x0d, 0x22])
/** The same in a single-byte document, where every byte over 0x7F becomes two or three in UTF-8. */
const SINGLE_BYTE_VALUE_SPECIAL = flags([0x26, 0x09, 0x0a, 0x0d, 0x22, ...Array.from({ length: 128 }, (_, k) => 0x80 + k)])

function flags(members: number[]): Uint8Array {
  const table = new Uint8Array(256)
  for (const byte of members) table[byte] = 1
  return table
}

function hasByte(bytes: Buffer, start: number, end: number, table: Uint8Array): boolean {
  for (let i = start; i < end; i++) if (table[bytes[i] as number] === 1) return true
  return false
}

const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/

/** An attribute value escaped as C14N §2.3 asks (`&amp; &lt; &quot; &#x9; &#xA; &#xD;`). */
export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] as string)
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' }

const TEXT_SPECIAL = /[&<>\r]/

/** A text node's value escaped as C14N §2.3 asks (`&amp; &lt; &gt; &#xD;`). */
export function escapeText(value: string): string {
  if (!TEXT_SPECIAL.test(value)) return value
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'))
}

const PREDEFINED: Record<string, number> = { amp: 0x26, lt: 0x3c, gt: 0x3e, quot: 0x22, apos: 0x27 }

/** The code point of `&reference;`. Only the five predefined entities exist without a DTD. */
export function expandReference(reference: string, offset: number): number {
  let code: number | undefined
  if (reference.startsWith('#x')) code = /^#x[0-9a-fA-F]{1,6}$/.test(reference) ? parseInt(reference.slice(2), 16) : undefined
  else if (reference.startsWith('#')) code = /^#[0-9]{1,7}$/.test(reference) ? parseInt(reference.slice(1), 10) : undefined
  else {
    code = PREDEFINED[reference]
    if (code === undefined) throw malformed(`unknown entity reference &${reference}; (no DTD is processed)`, offset)
  }
  if (code === undefined || !isXmlChar(code)) throw malformed(`invalid character reference &${reference};`, offset)
  return code
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  )
}

/** True when `bytes[start, end)` is only XML whitespace. */
export function isAllSpace(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i]
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x09 && byte !== 0x0d) return false
  }
  return true
}

const LONG_TEXT = 512

/**
 * Writes character data (text or CDATA content) escaped as C14N §2.3 asks, copying plain runs in bulk. Pieces of
 * one text come in order; a CR ending a piece at the window end pairs with an LF starting the next.
 */
export class TextWriter {
  /** 1 for bytes that cannot be copied as they are. */
  private readonly special = new Uint8Array(256)
  /** Absolute offset just past a CR written as LF without seeing the byte after it; -1 when none. */
  private crEnd = -1
  private readonly utf8: boolean
  private readonly latin1: boolean

  constructor(
    private readonly encoding: DocumentEncoding,
    private readonly sink: ByteSink,
  ) {
    for (const byte of [0x26, 0x3c, 0x3e, 0x0d]) this.special[byte] = 1
    this.utf8 = encoding === 'utf8'
    this.latin1 = encoding === 'latin1'
    if (!this.utf8) this.special.fill(1, 0x80)
  }

  /** Writes the document's bytes `[start, end)` (absolute offsets), `bytes` holding them from offset `base`. */
  write(bytes: Buffer, base: number, start: number, end: number, cdata: boolean): void {
    const { special, sink } = this
    let i = start - base
    const last = end - base
    if (this.crEnd === start && bytes[i] === 0x0a) i++
    this.crEnd = -1
    if (last - i >= LONG_TEXT) {
      // Attachments are megabytes of base64: native scans prove a run needs no change, then it is copied whole.
      const view = bytes.subarray(i, last)
      if (
        (this.utf8 || isAscii(view)) &&
        view.indexOf(0x26) < 0 &&
        view.indexOf(0x3c) < 0 &&
        view.indexOf(0x3e) < 0 &&
        view.indexOf(0x0d) < 0
      ) {
        sink.writeBytes(bytes, i, last)
        return
      }
    }
    let run = i
    while (i < last) {
      const byte = bytes[i] as number
      if (special[byte] === 0) {
        i++
        continue
      }
      if (run < i) sink.writeBytes(bytes, run, i)
      i++
      if (byte >= 0x80) {
        if (this.latin1) {
          sink.writeByte(0xc0 | (byte >> 6))
          sink.writeByte(0x80 | (byte & 0x3f))
        } else writeHighByte(sink, this.encoding, byte)
      } else if (byte === 0x0d) {
        const next = bytes[i]
        if (next !== 0x0a) sink.writeByte(0x0a)
        if (next === undefined) this.crEnd = end
      } else if (byte === 0x26 && !cdata) {
        const semicolon = bytes.indexOf(0x3b, i)
        if (semicolon < 0 || semicolon > last || semicolon - i > 32) throw malformed('"&" not starting a reference', base + i - 1)
        this.writeCodePoint(expandReference(bytes.toString('latin1', i, semicolon), base + i - 1))
        i = semicolon + 1
      } else if (byte === 0x3c && !cdata) {
        throw malformed('"<" in text', base + i - 1)
      } else {
        sink.writeString(byte === 0x26 ? '&amp;' : byte === 0x3c ? '&lt;' : '&gt;')
      }
      run = i
    }
    if (run < last) sink.writeBytes(bytes, run, last)
  }

  private writeCodePoint(code: number): void {
    if (code === 0x26) this.sink.writeString('&amp;')
    else if (code === 0x3c) this.sink.writeString('&lt;')
    else if (code === 0x3e) this.sink.writeString('&gt;')
    else if (code === 0x0d) this.sink.writeString('&#xD;')
    else this.sink.writeString(String.fromCodePoint(code))
  }
}
