// Cross-reference reading (§7.5.4–7.5.8): classic tables, xref streams, hybrid files (/XRefStm) and the /Prev
// chain of incremental updates, newest section first so that the newest entry for an object wins.

import { decodeStream } from './decode-stream.js'
import { type PdfDict, type PdfObject, isDict, isInteger, isName, isStream } from './objects.js'
import { latin1, malformed, parseIndirectObject, parseObject, readToken, skipSpace } from './parse.js'

export type XrefEntry =
  | { readonly kind: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly kind: 'compressed'; readonly stream: number; readonly index: number }

export interface Xref {
  /** In-use objects only: a free entry leaves an object unresolvable, which reads as null. */
  readonly entries: ReadonlyMap<number, XrefEntry>
  /** The newest trailer, completed with keys only older trailers carry. */
  readonly trailer: PdfDict
  /** Offset the file's last `startxref` points at. */
  readonly startxref: number
  /** Kind of the newest section: an incremental update must continue with the same kind. */
  readonly lastSection: 'table' | 'stream'
  /** Offsets of the sections read, newest first (the /Prev chain); empty when the table was rebuilt by scanning. */
  readonly sections: readonly number[]
  /** Set when the cross-reference data could not be read and the objects were located by scanning the file. */
  readonly recovered?: string
}

// Sections to follow at most: a /Prev loop or a file with absurd history is refused rather than walked forever.
const MAX_SECTIONS = 10_000

/** The offset after the last `startxref` (searched in the last 1024 bytes, where §7.5.5 puts it). */
export function findStartxref(bytes: Uint8Array): number {
  const tailStart = Math.max(0, bytes.length - 1024)
  const tail = latin1(bytes, tailStart, bytes.length)
  const at = tail.lastIndexOf('startxref')
  if (at < 0) throw malformed('no startxref in the last 1024 bytes')
  const match = /^startxref\s+(\d+)/.exec(tail.slice(at))
  if (!match?.[1]) throw malformed('startxref without an offset', tailStart + at)
  return Number(match[1])
}

export function readXref(bytes: Uint8Array): Xref {
  const startxref = findStartxref(bytes)
  const entries = new Map<number, XrefEntry>()
  const trailers: PdfDict[] = []
  const visited = new Set<number>()
  let lastSection: 'table' | 'stream' | undefined
  let next: number | undefined = startxref
  while (next !== undefined) {
    if (visited.has(next) || visited.size >= MAX_SECTIONS) throw malformed('the /Prev chain of cross-reference sections loops', next)
    visited.add(next)
    const section = readSection(bytes, next)
    lastSection ??= section.kind
    for (const [num, entry] of section.entries) if (!entries.has(num)) entries.set(num, entry)
    trailers.push(section.trailer)
    const prev = section.trailer.entries.get('Prev')
    next = isInteger(prev) ? prev : undefined
  }
  const trailer: PdfDict = { kind: 'dict', entries: new Map() }
  for (const older of trailers.reverse()) for (const [key, value] of older.entries) trailer.entries.set(key, value)
  return { entries, trailer, startxref, lastSection: lastSection ?? 'table', sections: [...visited] }
}

interface Section {
  readonly kind: 'table' | 'stream'
  readonly entries: Map<number, XrefEntry>
  readonly trailer: PdfDict
}

function readSection(bytes: Uint8Array, offset: number): Section {
  if (offset < 0 || offset >= bytes.length) throw malformed('startxref or /Prev points outside the file', offset)
  const at = skipSpace(bytes, offset)
  if (readToken(bytes, at).token === 'xref') return readTable(bytes, at)
  return readStream(bytes, at)
}

function readTable(bytes: Uint8Array, offset: number): Section {
  const entries = new Map<number, XrefEntry>()
  let at = readToken(bytes, offset).end
  for (;;) {
    at = skipSpace(bytes, at)
    const first = readToken(bytes, at)
    if (first.token === 'trailer') {
      at = first.end
      break
    }
    const count = readToken(bytes, skipSpace(bytes, first.end))
    if (!/^\d+$/.test(first.token) || !/^\d+$/.test(count.token)) throw malformed('bad xref subsection header', at)
    at = count.end
    const start = Number(first.token)
    for (let i = 0; i < Number(count.token); i++) {
      const offsetTok = readToken(bytes, skipSpace(bytes, at))
      const genTok = readToken(bytes, skipSpace(bytes, offsetTok.end))
      const typeTok = readToken(bytes, skipSpace(bytes, genTok.end))
      if (!/^\d+$/.test(offsetTok.token) || !/^\d+$/.test(genTok.token) || (typeTok.token !== 'n' && typeTok.token !== 'f')) {
        throw malformed('bad xref table entry', at)
      }
      at = typeTok.end
      const num = start + i
      if (typeTok.token === 'n' && !entries.has(num))
        entries.set(num, { kind: 'offset', offset: Number(offsetTok.token), gen: Number(genTok.token) })
    }
  }
  const trailer = parseObject(bytes, at).value
  if (!isDict(trailer)) throw malformed('trailer is not a dictionary', at)
  // Hybrid file (§7.5.8.4): the table lists the classic objects, the stream at /XRefStm the compressed ones.
  const xrefStm = trailer.entries.get('XRefStm')
  if (isInteger(xrefStm)) {
    for (const [num, entry] of readStream(bytes, xrefStm).entries) if (!entries.has(num)) entries.set(num, entry)
  }
  return { kind: 'table', entries, trailer }
}

function readStream(bytes: Uint8Array, offset: number): Section {
  let value: PdfObject
  try {
    value = parseIndirectObject(bytes, offset).value
  } catch (cause) {
    throw malformed(`startxref or /Prev points neither at an xref table nor at an xref stream (${(cause as Error).message})`, offset)
  }
  if (!isStream(value) || !isName(value.dict.entries.get('Type'), 'XRef')) throw malformed('expected an xref stream', offset)
  const dict = value.dict
  const w = dict.entries.get('W')
  const size = dict.entries.get('Size')
  if (!Array.isArray(w) || w.length !== 3 || !w.every((n) => isInteger(n) && n >= 0 && n <= 8) || !isInteger(size)) {
    throw malformed('xref stream with a bad /W or /Size', offset)
  }
  const widths = w as number[]
  const index = dict.entries.get('Index') ?? [0, size]
  if (!Array.isArray(index) || index.length % 2 !== 0 || !index.every(isInteger)) throw malformed('xref stream with a bad /Index', offset)
  const data = decodeStream(value)
  const rowLength = (widths[0] ?? 0) + (widths[1] ?? 0) + (widths[2] ?? 0)
  const entries = new Map<number, XrefEntry>()
  let row = 0
  for (let i = 0; i < index.length; i += 2) {
    const start = index[i] as number
    const count = index[i + 1] as number
    for (let j = 0; j < count; j++, row++) {
      const base = row * rowLength
      if (base + rowLength > data.length) throw malformed('xref stream shorter than its /Index', offset)
      const field = (k: 0 | 1 | 2, fallback: number): number => {
        const width = widths[k] ?? 0
        if (width === 0) return fallback
        const from = base + (k === 0 ? 0 : k === 1 ? (widths[0] ?? 0) : (widths[0] ?? 0) + (widths[1] ?? 0))
        let n = 0
        for (let b = 0; b < width; b++) n = n * 256 + (data[from + b] ?? 0)
        return n
      }
      const type = field(0, 1)
      const num = start + j
      if (entries.has(num)) continue
      if (type === 1) entries.set(num, { kind: 'offset', offset: field(1, 0), gen: field(2, 0) })
      else if (type === 2) entries.set(num, { kind: 'compressed', stream: field(1, 0), index: field(2, 0) })
    }
  }
  return { kind: 'stream', entries, trailer: dict }
}
