// A pull tokenizer over the bytes of an XML document. It never decodes text content: text and CDATA come out as
// byte ranges so a consumer can stream them (PES_PJ holds megabytes of base64). Markup characters are ASCII, so
// the same byte scan serves UTF-8 and Latin-1 documents.

import { SceauError } from '../errors.js'
import type { DocumentEncoding } from './encoding.js'

/** One attribute as byte ranges; `name` is decoded because every consumer compares it. */
export interface RawAttribute {
  name: string
  valueStart: number
  valueEnd: number
}

/** What {@link XmlScanner.next} returns. Ranges are byte offsets into the document, end exclusive. */
export type XmlToken =
  | { kind: 'start'; name: string; attributes: RawAttribute[]; selfClosing: boolean; start: number; end: number }
  | { kind: 'end'; name: string; start: number; end: number }
  | { kind: 'text'; start: number; end: number }
  | { kind: 'cdata'; start: number; end: number }
  | { kind: 'pi'; target: string; dataStart: number; dataEnd: number }
  | { kind: 'eof' }

const LT = 0x3c
const GT = 0x3e
const SLASH = 0x2f
const QUESTION = 0x3f
const BANG = 0x21
const EQUALS = 0x3d
const NAME_CACHE_SIZE = 1024

/** Tokenizes `bytes` from `offset`. Comments are skipped; a DOCTYPE is refused (sceau never processes DTDs). */
export class XmlScanner {
  private position: number

  constructor(
    private readonly bytes: Buffer,
    private readonly encoding: DocumentEncoding,
    offset: number,
  ) {
    this.position = offset
  }

  next(): XmlToken {
    const bytes = this.bytes
    for (;;) {
      const start = this.position
      if (start >= bytes.length) return { kind: 'eof' }
      if (bytes[start] !== LT) {
        let end = bytes.indexOf(LT, start)
        if (end < 0) end = bytes.length
        this.position = end
        return { kind: 'text', start, end }
      }
      const second = bytes[start + 1]
      if (second === SLASH) return this.endTag(start)
      if (second === QUESTION) return this.processingInstruction(start)
      if (second === BANG) {
        if (this.startsWith(start, '<!--')) {
          const end = bytes.indexOf('-->', start + 4, 'latin1')
          if (end < 0) throw malformed('comment is not closed', start)
          this.position = end + 3
          continue
        }
        if (this.startsWith(start, '<![CDATA[')) {
          const end = bytes.indexOf(']]>', start + 9, 'latin1')
          if (end < 0) throw malformed('CDATA section is not closed', start)
          this.position = end + 3
          return { kind: 'cdata', start: start + 9, end }
        }
        if (this.startsWith(start, '<!DOCTYPE')) {
          throw malformed('DOCTYPE declarations are refused: sceau never processes DTDs (entity expansion risks)', start)
        }
        throw malformed('unexpected markup declaration', start)
      }
      return this.startTag(start)
    }
  }

  private startTag(start: number): XmlToken {
    const bytes = this.bytes
    let i = start + 1
    const nameEnd = this.nameEnd(i)
    if (nameEnd === i) throw malformed('element name expected after "<"', start)
    const name = this.name(i, nameEnd)
    i = nameEnd
    const attributes: RawAttribute[] = []
    for (;;) {
      const afterSpace = this.skipSpace(i)
      const byte = bytes[afterSpace]
      if (byte === undefined) throw malformed(`start tag <${name}> is truncated`, start)
      if (byte === GT) {
        this.position = afterSpace + 1
        return { kind: 'start', name, attributes, selfClosing: false, start, end: this.position }
      }
      if (byte === SLASH) {
        if (bytes[afterSpace + 1] !== GT) throw malformed(`"/" not followed by ">" in <${name}>`, afterSpace)
        this.position = afterSpace + 2
        return { kind: 'start', name, attributes, selfClosing: true, start, end: this.position }
      }
      if (afterSpace === i) throw malformed(`whitespace expected before attribute in <${name}>`, afterSpace)
      const attributeNameEnd = this.nameEnd(afterSpace)
      if (attributeNameEnd === afterSpace) throw malformed(`attribute name expected in <${name}>`, afterSpace)
      const attributeName = this.name(afterSpace, attributeNameEnd)
      i = this.skipSpace(attributeNameEnd)
      if (bytes[i] !== EQUALS) throw malformed(`"=" expected after attribute ${attributeName} in <${name}>`, i)
      i = this.skipSpace(i + 1)
      const quote = bytes[i]
      if (quote !== 0x22 && quote !== 0x27) throw malformed(`quoted value expected for attribute ${attributeName} in <${name}>`, i)
      const valueEnd = bytes.indexOf(quote, i + 1)
      if (valueEnd < 0) throw malformed(`value of attribute ${attributeName} in <${name}> is not closed`, i)
      const lt = bytes.indexOf(LT, i + 1)
      if (lt >= 0 && lt < valueEnd) throw malformed(`"<" in the value of attribute ${attributeName} in <${name}>`, lt)
      if (attributes.some((attribute) => attribute.name === attributeName)) {
        throw malformed(`attribute ${attributeName} appears twice in <${name}>`, afterSpace)
      }
      attributes.push({ name: attributeName, valueStart: i + 1, valueEnd })
      i = valueEnd + 1
    }
  }

  private endTag(start: number): XmlToken {
    const nameEnd = this.nameEnd(start + 2)
    const name = this.name(start + 2, nameEnd)
    const close = this.skipSpace(nameEnd)
    if (this.bytes[close] !== GT) throw malformed(`end tag </${name}> is not closed`, start)
    this.position = close + 1
    return { kind: 'end', name, start, end: this.position }
  }

  private processingInstruction(start: number): XmlToken {
    const nameEnd = this.nameEnd(start + 2)
    const target = this.decode(start + 2, nameEnd)
    const end = this.bytes.indexOf('?>', nameEnd, 'latin1')
    if (end < 0 || target === '') throw malformed('processing instruction is not closed', start)
    if (target.toLowerCase() === 'xml') throw malformed('XML declaration allowed only at the start of the document', start)
    this.position = end + 2
    return { kind: 'pi', target, dataStart: this.skipSpace(nameEnd), dataEnd: end }
  }

  private nameEnd(from: number): number {
    const bytes = this.bytes
    let i = from
    for (;;) {
      const byte = bytes[i]
      if (byte === undefined || byte <= 0x20 || byte === GT || byte === SLASH || byte === EQUALS || byte === QUESTION) return i
      if (byte === LT || byte === 0x22 || byte === 0x27 || byte === 0x26) throw malformed('invalid character in a name', i)
      i++
    }
  }

  private skipSpace(from: number): number {
    const bytes = this.bytes
    let i = from
    for (;;) {
      const byte = bytes[i]
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x09 && byte !== 0x0d) return i
      i++
    }
  }

  private startsWith(at: number, text: string): boolean {
    for (let k = 0; k < text.length; k++) if (this.bytes[at + k] !== text.charCodeAt(k)) return false
    return true
  }

  /**
   * A name decoded once and then reused: PES repeats a few dozen element and attribute names millions of times,
   * and Buffer#toString costs far more than comparing a handful of bytes.
   */
  private name(start: number, end: number): string {
    const bytes = this.bytes
    const length = end - start
    if (length > 32) return this.decode(start, end)
    let hash = length
    let high = 0
    for (let i = start; i < end; i++) {
      const byte = bytes[i] as number
      hash = (hash * 31 + byte) | 0
      high |= byte
    }
    const slot = hash & (NAME_CACHE_SIZE - 1)
    const cached = this.names[slot]
    if (cached !== undefined && cached.length === length) {
      let same = true
      for (let k = 0; k < length; k++) {
        if (cached.charCodeAt(k) !== bytes[start + k]) {
          same = false
          break
        }
      }
      if (same) return cached
    }
    const name = this.decode(start, end)
    // Only names whose characters are their bytes (ASCII) can be compared byte by byte above.
    if (high < 0x80) this.names[slot] = name
    return name
  }

  private readonly names: (string | undefined)[] = new Array<string | undefined>(NAME_CACHE_SIZE)

  private decode(start: number, end: number): string {
    return this.bytes.toString(this.encoding, start, end)
  }
}

/** An INPUT_MALFORMED error pointing at a byte offset. */
export function malformed(message: string, offset: number): SceauError {
  return new SceauError('INPUT_MALFORMED', `malformed XML at byte ${offset}: ${message}`, { details: { offset } })
}
