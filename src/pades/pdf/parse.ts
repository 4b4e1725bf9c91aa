// Lexer and parser for PDF objects (ISO 32000-1 §7.2–7.3) over raw bytes. Positions are byte offsets so that
// callers can point back into the file (signature /Contents, xref offsets).

import { SceauError } from '../../errors.js'
import { type PdfDict, type PdfObject, type PdfRef, isInteger, isRef } from './objects.js'

// Deeper nesting than this is an attack or a broken file, not a document.
const MAX_DEPTH = 100

export function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00
}

export function isDelimiter(byte: number | undefined): boolean {
  // ( ) < > [ ] { } / %
  return (
    byte === 0x28 ||
    byte === 0x29 ||
    byte === 0x3c ||
    byte === 0x3e ||
    byte === 0x5b ||
    byte === 0x5d ||
    byte === 0x7b ||
    byte === 0x7d ||
    byte === 0x2f ||
    byte === 0x25
  )
}

function isRegular(byte: number | undefined): boolean {
  return byte !== undefined && !isWhitespace(byte) && !isDelimiter(byte)
}

export function malformed(message: string, offset?: number): SceauError {
  return new SceauError(
    'INPUT_MALFORMED',
    offset === undefined ? `malformed PDF: ${message}` : `malformed PDF: ${message} at byte ${offset}`,
    {
      details: { offset },
    },
  )
}

/** Skips whitespace and comments. */
export function skipSpace(bytes: Uint8Array, pos: number): number {
  while (pos < bytes.length) {
    const byte = bytes[pos]
    if (isWhitespace(byte)) pos++
    else if (byte === 0x25) {
      while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++
    } else break
  }
  return pos
}

/** Reads a run of regular characters (a keyword or a number) at `pos`, without skipping space first. */
export function readToken(bytes: Uint8Array, pos: number): { token: string; end: number } {
  let end = pos
  while (isRegular(bytes[end])) end++
  return { token: latin1(bytes, pos, end), end }
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')
}

interface ParseOptions {
  /** Record file offsets on strings: only meaningful when `bytes` is the file itself. */
  readonly offsets: boolean
}

export interface Parsed<T> {
  readonly value: T
  readonly end: number
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/

/** Parses one direct object (or `n g R`) at `pos`, after optional whitespace. */
export function parseObject(bytes: Uint8Array, pos: number, options: ParseOptions = { offsets: true }, depth = 0): Parsed<PdfObject> {
  if (depth > MAX_DEPTH) throw malformed('objects nested too deeply', pos)
  pos = skipSpace(bytes, pos)
  const byte = bytes[pos]
  if (byte === undefined) throw malformed('unexpected end of file', pos)
  if (byte === 0x2f) return parseName(bytes, pos)
  if (byte === 0x28) return parseLiteralString(bytes, pos, options)
  if (byte === 0x3c) {
    if (bytes[pos + 1] === 0x3c) return parseDict(bytes, pos, options, depth)
    return parseHexString(bytes, pos, options)
  }
  if (byte === 0x5b) {
    const items: PdfObject[] = []
    let at = pos + 1
    for (;;) {
      at = skipSpace(bytes, at)
      if (bytes[at] === 0x5d) return { value: items, end: at + 1 }
      if (at >= bytes.length) throw malformed('unterminated array', pos)
      const item = parseObject(bytes, at, options, depth + 1)
      items.push(item.value)
      at = item.end
    }
  }
  const { token, end } = readToken(bytes, pos)
  if (token === 'true') return { value: true, end }
  if (token === 'false') return { value: false, end }
  if (token === 'null') return { value: null, end }
  if (NUMBER.test(token)) {
    const value = Number(token)
    if (/^\d+$/.test(token)) {
      const ref = tryRefTail(bytes, end, value)
      if (ref) return ref
    }
    return { value, end }
  }
  throw malformed(`unexpected ${token === '' ? `byte 0x${byte.toString(16)}` : `keyword "${token.slice(0, 20)}"`}`, pos)
}

// `12 0 R`: the parser has read 12 and looks ahead for a generation and R without committing.
function tryRefTail(bytes: Uint8Array, pos: number, num: number): Parsed<PdfRef> | undefined {
  const genStart = skipSpace(bytes, pos)
  if (genStart === pos) return undefined
  const gen = readToken(bytes, genStart)
  if (!/^\d+$/.test(gen.token)) return undefined
  const rStart = skipSpace(bytes, gen.end)
  if (rStart === gen.end || bytes[rStart] !== 0x52 || isRegular(bytes[rStart + 1])) return undefined
  return { value: { kind: 'ref', num, gen: Number(gen.token) }, end: rStart + 1 }
}

function parseName(bytes: Uint8Array, pos: number): Parsed<PdfObject> {
  let end = pos + 1
  let name = ''
  while (isRegular(bytes[end])) {
    const byte = bytes[end] as number
    const hex = byte === 0x23 ? latin1(bytes, end + 1, Math.min(end + 3, bytes.length)) : ''
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      name += String.fromCharCode(parseInt(hex, 16))
      end += 3
    } else {
      name += String.fromCharCode(byte)
      end++
    }
  }
  return { value: { kind: 'name', name }, end }
}

function parseDict(bytes: Uint8Array, pos: number, options: ParseOptions, depth: number): Parsed<PdfDict> {
  const entries = new Map<string, PdfObject>()
  let at = pos + 2
  for (;;) {
    at = skipSpace(bytes, at)
    if (bytes[at] === 0x3e && bytes[at + 1] === 0x3e) return { value: { kind: 'dict', entries }, end: at + 2 }
    if (at >= bytes.length) throw malformed('unterminated dictionary', pos)
    if (bytes[at] !== 0x2f) throw malformed('dictionary key is not a name', at)
    const key = parseName(bytes, at)
    const value = parseObject(bytes, key.end, options, depth + 1)
    entries.set((key.value as { name: string }).name, value.value)
    at = value.end
  }
}

const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c }

function parseLiteralString(bytes: Uint8Array, pos: number, options: ParseOptions): Parsed<PdfObject> {
  const out: number[] = []
  let depth = 1
  let at = pos + 1
  while (at < bytes.length) {
    const byte = bytes[at] as number
    if (byte === 0x5c) {
      const next = bytes[at + 1]
      if (next === undefined) break
      const escaped = ESCAPES[next]
      if (escaped !== undefined) {
        out.push(escaped)
        at += 2
      } else if (next >= 0x30 && next <= 0x37) {
        let code = 0
        let digits = 0
        at++
        while (digits < 3 && (bytes[at] ?? 0) >= 0x30 && (bytes[at] ?? 0) <= 0x37) {
          code = code * 8 + ((bytes[at] as number) - 0x30)
          at++
          digits++
        }
        out.push(code & 0xff)
      } else if (next === 0x0d || next === 0x0a) {
        // A backslash before an end of line continues the string on the next line.
        at += next === 0x0d && bytes[at + 2] === 0x0a ? 3 : 2
      } else {
        out.push(next)
        at += 2
      }
      continue
    }
    if (byte === 0x28) depth++
    else if (byte === 0x29 && --depth === 0) {
      const end = at + 1
      return { value: { kind: 'string', bytes: Uint8Array.from(out), hex: false, ...(options.offsets ? { start: pos, end } : {}) }, end }
    }
    if (byte === 0x0d) {
      // An unescaped end of line of any form reads as a single line feed (§7.3.4.2).
      out.push(0x0a)
      at += bytes[at + 1] === 0x0a ? 2 : 1
      continue
    }
    out.push(byte)
    at++
  }
  throw malformed('unterminated string', pos)
}

function parseHexString(bytes: Uint8Array, pos: number, options: ParseOptions): Parsed<PdfObject> {
  const close = bytes.indexOf(0x3e, pos + 1)
  if (close < 0) throw malformed('unterminated hex string', pos)
  let digits = latin1(bytes, pos + 1, close).replace(/[\0\t\n\f\r ]/g, '')
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw malformed('invalid hex string', pos)
  if (digits.length % 2 === 1) digits += '0'
  const end = close + 1
  return {
    value: {
      kind: 'string',
      bytes: new Uint8Array(Buffer.from(digits, 'hex')),
      hex: true,
      ...(options.offsets ? { start: pos, end } : {}),
    },
    end,
  }
}

export interface IndirectObject {
  readonly num: number
  readonly gen: number
  readonly value: PdfObject
  readonly end: number
}

/**
 * Parses `n g obj … endobj` at `pos`. A stream's /Length may be indirect: `resolveLength` looks it up; when it
 * is missing or wrong the data runs to the next `endstream`, as every reader tolerates.
 */
export function parseIndirectObject(bytes: Uint8Array, pos: number, resolveLength?: (ref: PdfRef) => PdfObject): IndirectObject {
  const numTok = readToken(bytes, skipSpace(bytes, pos))
  const genTok = readToken(bytes, skipSpace(bytes, numTok.end))
  const objTok = readToken(bytes, skipSpace(bytes, genTok.end))
  if (!/^\d+$/.test(numTok.token) || !/^\d+$/.test(genTok.token) || objTok.token !== 'obj') throw malformed('expected "n g obj"', pos)
  const parsed = parseObject(bytes, objTok.end)
  let value = parsed.value
  let at = skipSpace(bytes, parsed.end)
  const keyword = readToken(bytes, at)
  if (keyword.token === 'stream' && typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'dict') {
    let start = keyword.end
    if (bytes[start] === 0x0d) start++
    if (bytes[start] === 0x0a) start++
    const stream = streamExtent(bytes, start, value, resolveLength)
    value = { kind: 'stream', dict: value, data: bytes.subarray(start, stream.dataEnd) }
    at = skipSpace(bytes, stream.afterEndstream)
  }
  const endobj = readToken(bytes, at)
  // A missing endobj is common in damaged files and harmless once the value is read.
  return { num: Number(numTok.token), gen: Number(genTok.token), value, end: endobj.token === 'endobj' ? endobj.end : at }
}

const ENDSTREAM = Buffer.from('endstream', 'latin1')

function streamExtent(
  bytes: Uint8Array,
  start: number,
  dict: PdfDict,
  resolveLength: ((ref: PdfRef) => PdfObject) | undefined,
): { dataEnd: number; afterEndstream: number } {
  let length = dict.entries.get('Length')
  if (isRef(length) && resolveLength) {
    try {
      length = resolveLength(length)
    } catch {
      length = undefined
    }
  }
  if (isInteger(length) && length >= 0 && start + length <= bytes.length) {
    const after = skipSpace(bytes, start + length)
    if (readToken(bytes, after).token === 'endstream') return { dataEnd: start + length, afterEndstream: after + ENDSTREAM.length }
  }
  const found = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(ENDSTREAM, start)
  if (found < 0) throw malformed('stream without endstream', start)
  let dataEnd = found
  if (bytes[dataEnd - 1] === 0x0a) dataEnd--
  if (bytes[dataEnd - 1] === 0x0d) dataEnd--
  return { dataEnd: Math.max(start, dataEnd), afterEndstream: found + ENDSTREAM.length }
}
