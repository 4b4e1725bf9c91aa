// A pull tokenizer over the bytes of an XML document. It never decodes text content: text and CDATA come out as
// byte ranges so a consumer can stream them (PES_PJ holds megabytes of base64). Markup characters are ASCII, so
// the same byte scan serves UTF-8 and Latin-1 documents.
//
// A document in memory is scanned in place. A ByteSource is read through a window: a markup token always lies
// whole in the window (the window slides, or grows up to a bound, to hold it), while text and CDATA content may
// come out in consecutive pieces, never cutting a `&...;` reference. Offsets are always absolute.

import { isUtf8 } from 'node:buffer'
import { SceauError } from '../errors.js'
import { decodeBytes, invalidUtf8, type DocumentEncoding } from './encoding.js'
import { readFully, type ByteSource } from './source.js'

/** One attribute as byte ranges; `name` is decoded because every consumer compares it. */
export interface RawAttribute {
  name: string
  valueStart: number
  valueEnd: number
}

/**
 * What {@link XmlScanner.next} returns. Ranges are absolute byte offsets into the document, end exclusive; the
 * bytes are at `scanner.window[offset - scanner.base]` until the next call to `next`.
 */
export type XmlToken =
  | { kind: 'start'; name: string; attributes: RawAttribute[]; selfClosing: boolean; start: number; end: number }
  | { kind: 'end'; name: string; start: number; end: number }
  | { kind: 'text'; start: number; end: number }
  | { kind: 'cdata'; start: number; end: number }
  | { kind: 'pi'; target: string; dataStart: number; dataEnd: number }
  | { kind: 'comment'; start: number; end: number }
  | { kind: 'eof' }

const LT = 0x3c
const GT = 0x3e
const SLASH = 0x2f
const QUESTION = 0x3f
const BANG = 0x21
const EQUALS = 0x3d
const AMPERSAND = 0x26
const SEMICOLON = 0x3b
const NAME_CACHE_SIZE = 1024
const DEFAULT_WINDOW = 1024 * 1024
const DEFAULT_MAX_TOKEN = 16 * 1024 * 1024
/** Bytes a markup token needs in view to tell `<!--`, `<![CDATA[` and `<!DOCTYPE` apart. */
const LOOKAHEAD = 10
/** Longest reference the canonicaliser accepts (`&` + 32 + `;`): a text piece never ends inside one. */
const LONGEST_REFERENCE = 34

/** Options of {@link XmlScanner} for a {@link ByteSource}. */
export interface ScannerOptions {
  /** Initial window size; the source's `windowSize`, else 1 MiB. */
  window?: number
  /** Largest single tag, comment or processing instruction accepted (INPUT_TOO_LARGE beyond); 16 MiB. */
  maxToken?: number
  /** Check that the bytes read are UTF-8 (a UTF-8 document not validated beforehand). */
  validateUtf8?: boolean
  /** Return comments (their content's range) instead of skipping them: for the WithComments canonical forms. */
  comments?: boolean
}

/** Thrown inside the scanner when a token runs past the window end and the source has more bytes. */
class NeedMore extends Error {}
const NEED_MORE = new NeedMore('window exhausted')

/**
 * Tokenizes a document from `offset`. Comments are skipped unless asked for; a DOCTYPE is refused (sceau never
 * processes DTDs).
 * `input` is the whole document in memory, or a {@link ByteSource} read through a window.
 */
export class XmlScanner {
  /** The window: the bytes in view, exactly. For a document in memory, the document. */
  private bytes: Buffer
  /** Absolute offset of `bytes[0]`. */
  private origin = 0
  /** Next byte to scan, relative to the window. */
  private position: number
  private readonly source: ByteSource | undefined
  private storage: Buffer
  private exhausted: boolean
  private readonly maxToken: number
  private readonly validateUtf8: boolean
  private readonly comments: boolean
  /** Absolute offset up to which the bytes were checked as UTF-8. */
  private validated: number
  /** Absolute offset of the open CDATA section whose content is being returned in pieces, -1 when none. */
  private cdataStart = -1

  constructor(
    input: Uint8Array | ByteSource,
    private readonly encoding: DocumentEncoding,
    offset: number,
    options: ScannerOptions = {},
  ) {
    this.maxToken = options.maxToken ?? DEFAULT_MAX_TOKEN
    this.validateUtf8 = options.validateUtf8 ?? false
    this.comments = options.comments ?? false
    this.validated = offset
    if (input instanceof Uint8Array) {
      this.bytes = this.storage = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
      this.source = undefined
      this.exhausted = true
      this.position = offset
      if (this.validateUtf8 && !isUtf8(this.bytes.subarray(offset))) throw invalidUtf8()
      return
    }
    this.source = input
    this.origin = Math.min(offset, input.size)
    this.position = 0
    const window = Math.max(LOOKAHEAD, options.window ?? input.windowSize ?? DEFAULT_WINDOW)
    this.storage = Buffer.allocUnsafe(Math.max(1, Math.min(window, input.size - this.origin)))
    this.bytes = this.storage.subarray(0, 0)
    this.exhausted = false
    this.slide(0)
  }

  /** The bytes in view; token offsets minus {@link base} index it. Valid until the next call to `next`. */
  get window(): Buffer {
    return this.bytes
  }

  /** Absolute offset of `window[0]`. */
  get base(): number {
    return this.origin
  }

  next(): XmlToken {
    if (this.source === undefined) return this.scan()
    for (;;) {
      try {
        return this.scan()
      } catch (error) {
        if (error !== NEED_MORE) throw error
        this.slide(this.position)
      }
    }
  }

  private scan(): XmlToken {
    const bytes = this.bytes
    const origin = this.origin
    for (;;) {
      const start = this.position
      if (this.cdataStart >= 0) return this.cdata(start)
      if (start >= bytes.length) {
        if (!this.exhausted) throw NEED_MORE
        return { kind: 'eof' }
      }
      if (bytes[start] !== LT) {
        let end = bytes.indexOf(LT, start)
        if (end < 0) {
          end = this.exhausted ? bytes.length : this.textCut(start)
          if (end === start) throw NEED_MORE
        }
        this.position = end
        return { kind: 'text', start: start + origin, end: end + origin }
      }
      if (start + LOOKAHEAD > bytes.length && !this.exhausted) throw NEED_MORE
      const second = bytes[start + 1]
      if (second === SLASH) return this.endTag(start)
      if (second === QUESTION) return this.processingInstruction(start)
      if (second === BANG) {
        if (this.startsWith(start, '<!--')) {
          const end = bytes.indexOf('-->', start + 4, 'latin1')
          if (end < 0) throw this.truncated('comment is not closed', start)
          this.position = end + 3
          if (this.comments) return { kind: 'comment', start: start + 4 + origin, end: end + origin }
          continue
        }
        if (this.startsWith(start, '<![CDATA[')) {
          this.cdataStart = start + origin
          this.position = start + 9
          continue
        }
        if (this.startsWith(start, '<!DOCTYPE')) {
          throw this.malformed('DOCTYPE declarations are refused: sceau never processes DTDs (entity expansion risks)', start)
        }
        throw this.malformed('unexpected markup declaration', start)
      }
      return this.startTag(start)
    }
  }

  /** CDATA content from `start`: up to `]]>`, or a piece ending where a cut `]]>` could still begin. */
  private cdata(start: number): XmlToken {
    const bytes = this.bytes
    const close = bytes.indexOf(']]>', start, 'latin1')
    if (close >= 0) {
      this.cdataStart = -1
      this.position = close + 3
      return { kind: 'cdata', start: start + this.origin, end: close + this.origin }
    }
    if (this.exhausted) throw malformed('CDATA section is not closed', this.cdataStart)
    const end = bytes.length - 2
    if (end <= start) throw NEED_MORE
    this.position = end
    return { kind: 'cdata', start: start + this.origin, end: end + this.origin }
  }

  /** Where a text piece running to the window end stops: before a trailing `&` whose `;` is not in view yet. */
  private textCut(start: number): number {
    const bytes = this.bytes
    const floor = Math.max(start, bytes.length - LONGEST_REFERENCE)
    for (let k = bytes.length - 1; k >= floor; k--) {
      const byte = bytes[k]
      if (byte === SEMICOLON) break
      if (byte === AMPERSAND) return k
    }
    return bytes.length
  }

  /**
   * Moves the window so that it begins at `keep` (relative) and reads what follows; grows it when `keep` is
   * already its start and it is full, that is when one token is larger than the window.
   */
  private slide(keep: number): void {
    const source = this.source as ByteSource
    // Bytes not yet checked as UTF-8 (a sequence cut by the window end) stay in view to be checked whole.
    const from = this.validateUtf8 ? Math.min(keep, this.validated - this.origin) : keep
    const kept = this.bytes.length - from
    if (kept >= this.storage.length) {
      if (this.storage.length >= this.maxToken + LOOKAHEAD) {
        throw new SceauError('INPUT_TOO_LARGE', `XML token at byte ${this.origin + keep} is larger than ${this.maxToken} bytes`, {
          details: { offset: this.origin + keep, limit: this.maxToken },
        })
      }
      const grown = Buffer.allocUnsafe(Math.min(this.storage.length * 2, this.maxToken + LOOKAHEAD))
      this.bytes.copy(grown, 0, from)
      this.storage = grown
    } else if (from > 0) {
      this.storage.copyWithin(0, from, this.bytes.length)
    }
    this.origin += from
    this.position -= from
    const length = Math.min(this.storage.length, source.size - this.origin)
    readFully(source, this.storage.subarray(kept, length), this.origin + kept)
    this.bytes = this.storage.subarray(0, length)
    this.exhausted = this.origin + length >= source.size
    if (this.validateUtf8) this.validate()
  }

  private validate(): void {
    const bytes = this.bytes
    let end = bytes.length
    if (!this.exhausted) {
      // A multi-byte sequence cut by the window end is checked once its last bytes are read.
      let k = end - 1
      while (k > end - 4 && k >= 0 && ((bytes[k] as number) & 0xc0) === 0x80) k--
      if (k >= 0 && (bytes[k] as number) >= 0xc0) end = k
    }
    const from = this.validated - this.origin
    if (end > from) {
      if (!isUtf8(bytes.subarray(from, end))) throw invalidUtf8()
      this.validated = this.origin + end
    }
  }

  /** INPUT_MALFORMED when the document really ends here; otherwise the token continues past the window. */
  private truncated(message: string, offset: number): Error {
    return this.exhausted ? this.malformed(message, offset) : NEED_MORE
  }

  private malformed(message: string, offset: number): SceauError {
    return malformed(message, offset + this.origin)
  }

  private startTag(start: number): XmlToken {
    const bytes = this.bytes
    let i = start + 1
    const nameEnd = this.nameEnd(i)
    if (nameEnd === i) {
      const message = 'element name expected after "<"'
      throw bytes[i] === undefined ? this.truncated(message, start) : this.malformed(message, start)
    }
    const name = this.name(i, nameEnd)
    i = nameEnd
    const attributes: RawAttribute[] = []
    for (;;) {
      const afterSpace = this.skipSpace(i)
      const byte = bytes[afterSpace]
      if (byte === undefined) throw this.truncated(`start tag <${name}> is truncated`, start)
      if (byte === GT) {
        this.position = afterSpace + 1
        return this.startToken(name, attributes, false, start)
      }
      if (byte === SLASH) {
        const after = bytes[afterSpace + 1]
        if (after === undefined) throw this.truncated(`start tag <${name}> is truncated`, start)
        if (after !== GT) throw this.malformed(`"/" not followed by ">" in <${name}>`, afterSpace)
        this.position = afterSpace + 2
        return this.startToken(name, attributes, true, start)
      }
      if (afterSpace === i) throw this.malformed(`whitespace expected before attribute in <${name}>`, afterSpace)
      const attributeNameEnd = this.nameEnd(afterSpace)
      if (attributeNameEnd === afterSpace) throw this.malformed(`attribute name expected in <${name}>`, afterSpace)
      const attributeName = this.name(afterSpace, attributeNameEnd)
      i = this.skipSpace(attributeNameEnd)
      const equals = bytes[i]
      if (equals === undefined) throw this.truncated(`start tag <${name}> is truncated`, start)
      if (equals !== EQUALS) throw this.malformed(`"=" expected after attribute ${attributeName} in <${name}>`, i)
      i = this.skipSpace(i + 1)
      const quote = bytes[i]
      if (quote === undefined) throw this.truncated(`start tag <${name}> is truncated`, start)
      if (quote !== 0x22 && quote !== 0x27) throw this.malformed(`quoted value expected for attribute ${attributeName} in <${name}>`, i)
      // A byte loop: values are short, and Buffer#indexOf costs more to call than to run on them.
      let valueEnd = i + 1
      let lt = -1
      for (;;) {
        const byte = bytes[valueEnd]
        if (byte === quote) break
        if (byte === undefined) throw this.truncated(`value of attribute ${attributeName} in <${name}> is not closed`, i)
        if (byte === LT && lt < 0) lt = valueEnd
        valueEnd++
      }
      if (lt >= 0) throw this.malformed(`"<" in the value of attribute ${attributeName} in <${name}>`, lt)
      for (const attribute of attributes) {
        if (attribute.name === attributeName) throw this.malformed(`attribute ${attributeName} appears twice in <${name}>`, afterSpace)
      }
      attributes.push({ name: attributeName, valueStart: i + 1, valueEnd })
      i = valueEnd + 1
    }
  }

  private endTag(start: number): XmlToken {
    const nameEnd = this.nameEnd(start + 2)
    const name = this.name(start + 2, nameEnd)
    const close = this.skipSpace(nameEnd)
    const byte = this.bytes[close]
    if (byte !== GT)
      throw byte === undefined
        ? this.truncated(`end tag </${name}> is not closed`, start)
        : this.malformed(`end tag </${name}> is not closed`, start)
    this.position = close + 1
    return { kind: 'end', name, start: start + this.origin, end: this.position + this.origin }
  }

  private processingInstruction(start: number): XmlToken {
    const nameEnd = this.nameEnd(start + 2)
    const target = this.decode(start + 2, nameEnd)
    const end = this.bytes.indexOf('?>', nameEnd, 'latin1')
    if (end < 0) throw this.truncated('processing instruction is not closed', start)
    if (target === '') throw this.malformed('processing instruction is not closed', start)
    if (target.toLowerCase() === 'xml') throw this.malformed('XML declaration allowed only at the start of the document', start)
    this.position = end + 2
    return { kind: 'pi', target, dataStart: this.skipSpace(nameEnd) + this.origin, dataEnd: end + this.origin }
  }

  /** A start token with absolute offsets; attributes were collected relative to the window. */
  private startToken(name: string, attributes: RawAttribute[], selfClosing: boolean, start: number): XmlToken {
    const origin = this.origin
    if (origin !== 0) {
      for (const attribute of attributes) {
        attribute.valueStart += origin
        attribute.valueEnd += origin
      }
    }
    return { kind: 'start', name, attributes, selfClosing, start: start + origin, end: this.position + origin }
  }

  private nameEnd(from: number): number {
    const bytes = this.bytes
    let i = from
    for (;;) {
      const byte = bytes[i]
      if (byte === undefined || byte <= 0x20 || byte === GT || byte === SLASH || byte === EQUALS || byte === QUESTION) return i
      if (byte === LT || byte === 0x22 || byte === 0x27 || byte === 0x26) throw this.malformed('invalid character in a name', i)
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
    return decodeBytes(this.bytes, start, end, this.encoding)
  }
}

/** An INPUT_MALFORMED error pointing at a byte offset. */
export function malformed(message: string, offset: number): SceauError {
  return new SceauError('INPUT_MALFORMED', `malformed XML at byte ${offset}: ${message}`, { details: { offset } })
}
