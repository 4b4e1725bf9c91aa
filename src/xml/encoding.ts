// Which byte encoding a document uses, read from its BOM and XML declaration, and how its bytes become characters.
// PES flows are ISO-8859-1 (raw Latin-1 bytes) or UTF-8 (research/pes.md §4.1); other XML may name any encoding.
// The scanner reads markup as ASCII bytes, so it reads in place every encoding whose ASCII bytes are ASCII: UTF-8
// and the single-byte charsets (a 256-entry table made from TextDecoder turns their bytes into characters). The
// others (UTF-16, Shift_JIS, GB18030…) are transcoded to UTF-8 in memory first (transcodeToUtf8): canonical XML is
// UTF-8 whatever the input's encoding (C14N 1.0 §2.1), so a digest over the transcoded copy is the same.

import { isUtf8 } from 'node:buffer'
import { SceauError } from '../errors.js'
import { readFully, type ByteSource } from './source.js'

/**
 * The encoding the scanner reads a document in: `utf8`, `latin1` (ISO-8859-1 proper, as iconv and libxml2 read
 * it, not the WHATWG alias of windows-1252), or the WHATWG name of another single-byte, ASCII-compatible
 * encoding (`windows-1252`, `iso-8859-15`, `iso-8859-2`…).
 */
export type DocumentEncoding = string

/** The encoding of a document and where its content starts (after the BOM and the XML declaration). */
export interface DocumentPrologue {
  encoding: DocumentEncoding
  /** Byte offset just past the BOM and the XML declaration. */
  contentStart: number
}

const LATIN1_NAMES = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'us-ascii', 'ascii'])
const UTF8_NAMES = new Set(['utf-8', 'utf8'])
/** WHATWG single-byte encodings (Encoding Standard §9): one byte is one character. */
const SINGLE_BYTE = new Set([
  'ibm866',
  'iso-8859-2',
  'iso-8859-3',
  'iso-8859-4',
  'iso-8859-5',
  'iso-8859-6',
  'iso-8859-7',
  'iso-8859-8',
  'iso-8859-8-i',
  'iso-8859-10',
  'iso-8859-13',
  'iso-8859-14',
  'iso-8859-15',
  'iso-8859-16',
  'koi8-r',
  'koi8-u',
  'macintosh',
  'windows-874',
  'windows-1250',
  'windows-1251',
  'windows-1252',
  'windows-1253',
  'windows-1254',
  'windows-1255',
  'windows-1256',
  'windows-1257',
  'windows-1258',
  'x-mac-cyrillic',
])

/**
 * Reads the BOM and XML declaration of `bytes`. Refuses encodings the scanner cannot read in place (see
 * {@link transcodeToUtf8}) and UTF-8 documents whose bytes are not valid UTF-8 (their canonical form could not be
 * valid UTF-8 either).
 */
export function readPrologue(bytes: Buffer): DocumentPrologue {
  const prologue = parsePrologue(bytes)
  if (prologue.encoding === 'utf8' && !isUtf8(bytes)) throw invalidUtf8()
  return prologue
}

/** Longest BOM + XML declaration read from a source; a real declaration is under 100 bytes. */
const LONGEST_HEAD = 64 * 1024

/**
 * {@link readPrologue} for a document read from a source: reads only its head. Only the head is checked for UTF-8
 * here; the scanner checks the rest as it reads it.
 */
export function readSourcePrologue(source: ByteSource): DocumentPrologue {
  const head = readHead(source)
  const prologue = parsePrologue(head)
  if (prologue.encoding === 'utf8' && !isUtf8(head.subarray(0, prologue.contentStart))) throw invalidUtf8()
  return prologue
}

function readHead(source: ByteSource): Buffer {
  let length = Math.min(256, source.size)
  let head = Buffer.allocUnsafe(length)
  readFully(source, head, 0)
  // Read more only while an XML declaration is open; its end tells where the content starts.
  while (length < Math.min(LONGEST_HEAD, source.size) && head.includes('<?xml', 0, 'latin1') && !head.includes('?>', 0, 'latin1')) {
    length = Math.min(length * 4, LONGEST_HEAD, source.size)
    head = Buffer.allocUnsafe(length)
    readFully(source, head, 0)
  }
  return head
}

/** The INPUT_MALFORMED error for a UTF-8 document holding bytes that are not UTF-8. */
export function invalidUtf8(): SceauError {
  return new SceauError('INPUT_MALFORMED', 'XML document declared UTF-8 holds invalid UTF-8 bytes')
}

/** What the BOM and the XML declaration say, before deciding how to read the rest. */
interface Declared {
  /** 'utf-16le' / 'utf-16be' from a BOM or the first bytes, 'utf-8' from a BOM, else the declaration's label. */
  readonly label: string | undefined
  readonly fromBom: boolean
  readonly contentStart: number
}

function readDeclared(bytes: Buffer): Declared {
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f)) {
    return { label: 'utf-16be', fromBom: true, contentStart: 0 }
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00)) {
    return { label: 'utf-16le', fromBom: true, contentStart: 0 }
  }
  let start = 0
  let label: string | undefined
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    start = 3
    label = 'utf-8'
  }
  const fromBom = label !== undefined
  let contentStart = start
  if (bytes.subarray(start, start + 5).toString('latin1') === '<?xml' && isSpace(bytes[start + 5])) {
    const end = bytes.indexOf('?>', start, 'latin1')
    if (end < 0) throw new SceauError('INPUT_MALFORMED', 'XML declaration is not closed')
    const declaration = bytes.subarray(start, end).toString('latin1')
    const match = /\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(declaration)
    const name = (match?.[1] ?? match?.[2])?.toLowerCase()
    if (name !== undefined && !fromBom) label = name
    contentStart = end + 2
  }
  return { label, fromBom, contentStart }
}

/** Byte offset just past the BOM and the XML declaration, without judging the encoding (it is known). */
export function contentStartOf(bytes: Buffer): number {
  return readDeclared(bytes.subarray(0, Math.min(bytes.length, LONGEST_HEAD))).contentStart
}

function parsePrologue(bytes: Buffer): DocumentPrologue {
  const { label, contentStart } = readDeclared(bytes)
  const encoding = scannerEncoding(label)
  if (encoding === undefined) {
    throw new SceauError(
      'INPUT_MALFORMED',
      `XML encoding "${label ?? ''}" cannot be read in place; transcode the document first (transcodeToUtf8)`,
      { details: { encoding: label ?? '' } },
    )
  }
  return { encoding, contentStart }
}

/**
 * How the scanner reads a declared encoding: a {@link DocumentEncoding}, undefined for an encoding to transcode
 * first; INPUT_MALFORMED for one nothing here can decode.
 */
function scannerEncoding(label: string | undefined): DocumentEncoding | undefined {
  if (label === undefined || UTF8_NAMES.has(label)) return 'utf8'
  if (LATIN1_NAMES.has(label)) return 'latin1'
  const name = whatwgName(label)
  if (name === 'utf-8') return 'utf8'
  return SINGLE_BYTE.has(name) ? name : undefined
}

function whatwgName(label: string): string {
  try {
    return new TextDecoder(label).encoding
  } catch {
    throw new SceauError('INPUT_MALFORMED', `XML encoding "${label}" is not supported`, { details: { encoding: label } })
  }
}

/**
 * True when the scanner cannot read a document in place (UTF-16, multi-byte charsets): {@link transcodeToUtf8} it
 * first. Only the head is looked at (BOM, first bytes, XML declaration).
 *
 * @example
 * ```ts
 * const readable = needsTranscoding(head) ? transcodeToUtf8(whole) : whole
 * ```
 */
export function needsTranscoding(head: Uint8Array): boolean {
  const view = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, LONGEST_HEAD))
  const declared = readDeclared(view)
  return declared.label === 'utf-16le' || declared.label === 'utf-16be' || scannerEncoding(declared.label) === undefined
}

/**
 * A UTF-8 copy of a document the scanner cannot read in place (UTF-16, with or without BOM, and multi-byte
 * charsets such as Shift_JIS or GB18030), without its BOM and XML declaration (canonical XML has neither), or
 * undefined when the document can be read as it is. Offsets in the copy are not those of the original.
 *
 * @example
 * ```ts
 * const readable = transcodeToUtf8(bytes) ?? bytes
 * const index = indexDocument(readable)
 * ```
 * @throws SceauError INPUT_MALFORMED when the bytes are not valid in their encoding; INPUT_TOO_LARGE over `maxBytes`.
 */
export function transcodeToUtf8(bytes: Uint8Array, options: { maxBytes?: number } = {}): Buffer | undefined {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const declared = readDeclared(view.subarray(0, Math.min(view.length, LONGEST_HEAD)))
  const utf16 = declared.label === 'utf-16le' || declared.label === 'utf-16be'
  if (!utf16 && scannerEncoding(declared.label) !== undefined) return undefined
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER
  if (view.length > maxBytes) {
    throw new SceauError(
      'INPUT_TOO_LARGE',
      `an XML document in ${declared.label ?? ''} of ${view.length} bytes is over the ${maxBytes} accepted`,
      {
        details: { size: view.length, limit: maxBytes },
      },
    )
  }
  let text: string
  try {
    text = new TextDecoder(declared.label, { fatal: true, ignoreBOM: false }).decode(view)
  } catch (cause) {
    throw new SceauError('INPUT_MALFORMED', `the XML document is not valid ${declared.label ?? ''}`, { cause })
  }
  return Buffer.from(text.replace(/^\uFEFF?(<\?xml[\t\n\r ][^]*?\?>)?/, ''), 'utf8')
}

/** Per-encoding table of a single-byte charset: code unit of each byte (-1 when the byte means nothing). */
interface ByteTable {
  readonly codes: Int32Array
  /** The UTF-8 form of each byte's character, 1 to 3 bytes at `byte * 4`, its length at `byte * 4 + 3`. */
  readonly utf8: Uint8Array
}

const tables = new Map<string, ByteTable>()

/** windows-1252 bytes 0x80–0x9F (U+FFFD where the code page assigns nothing). */
const WINDOWS_1252_C1 =
  '\u20ac\ufffd\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\ufffd\u017d\ufffd' +
  '\ufffd\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\ufffd\u017e\u0178'

/**
 * The byte → character table of a single-byte encoding, made once from TextDecoder. ISO-8859-1 is made by hand:
 * TextDecoder reads that label as windows-1252.
 */
export function byteTable(encoding: DocumentEncoding): ByteTable {
  const cached = tables.get(encoding)
  if (cached !== undefined) return cached
  const codes = new Int32Array(256)
  const decoder = encoding === 'latin1' ? undefined : new TextDecoder(encoding, { fatal: true })
  for (let byte = 0; byte < 256; byte++) {
    if (decoder === undefined) codes[byte] = byte
    else if (encoding === 'windows-1252' && byte >= 0x80 && byte < 0xa0) {
      // Node 20's TextDecoder drops these bytes for windows-1252 (it decodes that label on a Latin-1 fast path);
      // the block is fixed by the code page. The five bytes it leaves unassigned mean nothing, as iconv reads them.
      codes[byte] = WINDOWS_1252_C1.charCodeAt(byte - 0x80)
      if (codes[byte] === 0xfffd) codes[byte] = -1
    } else {
      try {
        const character = decoder.decode(Uint8Array.of(byte))
        codes[byte] = character.length === 1 ? character.charCodeAt(0) : -1
      } catch {
        codes[byte] = -1
      }
    }
  }
  const utf8 = new Uint8Array(1024)
  for (let byte = 0; byte < 256; byte++) {
    const code = codes[byte] as number
    if (code < 0) continue
    const encoded = Buffer.from(String.fromCharCode(code), 'utf8')
    utf8.set(encoded, byte * 4)
    utf8[byte * 4 + 3] = encoded.length
  }
  const table = { codes, utf8 }
  tables.set(encoding, table)
  return table
}

/** Characters of `bytes[start, end)` in the document's encoding. */
export function decodeBytes(bytes: Buffer, start: number, end: number, encoding: DocumentEncoding): string {
  if (encoding === 'utf8' || encoding === 'latin1') return bytes.toString(encoding, start, end)
  const { codes } = byteTable(encoding)
  let text = ''
  let run = start
  // ASCII runs come out of Buffer#toString; only the other bytes go through the table.
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number
    if (byte < 0x80) continue
    if (run < i) text += bytes.toString('latin1', run, i)
    const code = codes[byte] as number
    if (code < 0) throw undefinedByte(encoding, byte)
    text += String.fromCharCode(code)
    run = i + 1
  }
  return run < end ? text + bytes.toString('latin1', run, end) : text
}

/** The INPUT_MALFORMED error for a byte that has no character in a single-byte encoding. */
export function undefinedByte(encoding: DocumentEncoding, byte: number): SceauError {
  return new SceauError('INPUT_MALFORMED', `byte 0x${byte.toString(16)} means no character in ${encoding}`, { details: { encoding } })
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}
