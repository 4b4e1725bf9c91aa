// Rebuilds the cross-reference data of a PDF whose xref sections cannot be read (a wrong startxref, a shifted or
// damaged table), the way PDF readers do: by scanning the file for `n g obj` headers, the newest definition of an
// object winning, and taking the trailer from the last `trailer` dictionaries or cross-reference streams. A damaged
// file still names its signatures, whose byte ranges and digests then say whether the signed bytes are intact.

import { decodeStream } from './decode-stream.js'
import { type PdfDict, isDict, isInteger, isName, isRef, isStream } from './objects.js'
import { malformed, parseIndirectObject, parseObject } from './parse.js'
import type { Xref, XrefEntry } from './xref.js'

// An object header: the number and generation, at the start of a line or after whitespace or a delimiter.
const HEADER = /(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj(?![A-Za-z0-9])/g
const TRAILER = /(?<![A-Za-z0-9])trailer[\0\t\n\f\r ]*<</g
const STARTXREF = /startxref[\0\t\n\f\r ]+(\d+)/g

/**
 * The cross-reference data of `bytes` found by scanning, or a throw when no catalog can be found that way.
 *
 * @throws SceauError INPUT_MALFORMED when the scan finds no trailer with a /Root and no catalog object.
 *
 * @example
 * ```ts
 * const xref = recoverXref(bytes, 'startxref points outside the file')
 * console.log(xref.entries.size, xref.recovered)
 * ```
 */
export function recoverXref(bytes: Uint8Array, cause: string): Xref {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  const entries = new Map<number, XrefEntry>()
  const objectStreams: number[] = []
  let catalog: number | undefined
  for (const match of text.matchAll(HEADER)) {
    const num = Number(match[1])
    const offset = match.index
    entries.set(num, { kind: 'offset', offset, gen: Number(match[2]) })
    const head = text.slice(offset, offset + 256)
    if (head.includes('/ObjStm')) objectStreams.push(num)
    if (/\/Type\s*\/Catalog(?![A-Za-z0-9])/.test(head)) catalog = num
  }

  const trailer: PdfDict = { kind: 'dict', entries: new Map() }
  const merge = (dict: PdfDict): void => {
    for (const [key, value] of dict.entries)
      if (!['Prev', 'XRefStm', 'Index', 'W', 'Length', 'Filter', 'DecodeParms'].includes(key)) trailer.entries.set(key, value)
  }
  // Oldest first, so that the newest trailer's keys win.
  const found: { at: number; dict: PdfDict }[] = []
  for (const match of text.matchAll(TRAILER)) {
    try {
      const value = parseObject(bytes, match.index + match[0].length - 2).value
      if (isDict(value)) found.push({ at: match.index, dict: value })
    } catch {
      // A damaged trailer is skipped: another one, or a cross-reference stream, may name the catalog.
    }
  }
  for (const [num, entry] of entries) {
    if (entry.kind !== 'offset' || !text.slice(entry.offset, entry.offset + 256).includes('/XRef')) continue
    try {
      const value = parseIndirectObject(bytes, entry.offset).value
      if (isStream(value) && isName(value.dict.entries.get('Type'), 'XRef')) found.push({ at: entry.offset, dict: value.dict })
    } catch {
      entries.delete(num)
    }
  }
  for (const { dict } of found.sort((a, b) => a.at - b.at)) merge(dict)
  if (!isRef(trailer.entries.get('Root'))) {
    if (catalog === undefined) throw malformed(`the cross-reference data cannot be read (${cause}) and no catalog was found by scanning`)
    trailer.entries.set('Root', { kind: 'ref', num: catalog, gen: 0 })
  }

  // Objects kept in object streams, unless the file also defines them directly.
  for (const streamNum of objectStreams) {
    const entry = entries.get(streamNum)
    if (entry?.kind !== 'offset') continue
    try {
      const stream = parseIndirectObject(bytes, entry.offset).value
      if (!isStream(stream)) continue
      const n = stream.dict.entries.get('N')
      if (!isInteger(n)) continue
      const data = decodeStream(stream)
      let at = 0
      for (let index = 0; index < n; index++) {
        const num = parseObject(data, at, { offsets: false })
        const offset = parseObject(data, num.end, { offsets: false })
        at = offset.end
        if (isInteger(num.value) && !entries.has(num.value)) entries.set(num.value, { kind: 'compressed', stream: streamNum, index })
      }
    } catch {
      // An unreadable object stream leaves its objects unresolved (null), as any reader would.
    }
  }

  let startxref = 0
  for (const match of text.matchAll(STARTXREF)) startxref = Number(match[1])
  return { entries, trailer, startxref, lastSection: 'table', sections: [], recovered: cause }
}
