// Writes an incremental update (ISO 32000-1 §7.5.6) after the original bytes: the changed and new objects, a
// cross-reference section of the same kind as the file's last one (a table stays a table, a stream stays a stream,
// so readers that follow one chain of /Prev keep working), and a trailer chained to the previous one by /Prev.
// Only the new revision is built: a 100 MB scan is never copied, the caller streams the input then the revision.

import { createHash } from 'node:crypto'
import { type PdfDict, type PdfObject, type PdfRef, isString, pdfDict, pdfName, pdfRef } from './objects.js'
import type { PdfDocument } from './read-pdf.js'
import { serializeObject } from './serialize.js'

/** An object of the new revision: its generation and its body as written between `obj` and `endobj`. */
export interface RevisionObject {
  readonly gen: number
  /** One char per byte (PDF syntax is not text): stream data goes in as Latin-1. */
  readonly body: string
}

export interface WrittenRevision {
  /** The new revision, to write after the original bytes. */
  readonly appended: Buffer
  /** File offset of each object written, counted from the start of the original. */
  readonly offsets: ReadonlyMap<number, number>
}

/**
 * Writes `objects` as a new revision of `doc`. `size` is one more than the highest object number in use after the
 * update (the cross-reference stream, when there is one, takes the number `size` and the trailer counts it).
 */
export function writeRevision(
  doc: PdfDocument,
  objects: ReadonlyMap<number, RevisionObject>,
  options: { readonly size: number; readonly id: PdfObject },
): WrittenRevision {
  const input = doc.bytes
  const last = input[input.length - 1]
  let revision = last === 0x0a || last === 0x0d ? '' : '\n'
  const entries = new Map<number, { offset: number; gen: number }>()
  for (const [num, { gen, body }] of [...objects].sort(([a], [b]) => a - b)) {
    entries.set(num, { offset: input.length + revision.length, gen })
    revision += `${num} ${gen} obj\n${body}\nendobj\n`
  }

  let size = options.size
  const trailer = pdfDict([['Size', size]])
  trailer.entries.set('Root', doc.rootRef)
  if (doc.infoRef) trailer.entries.set('Info', doc.infoRef)
  trailer.entries.set('ID', options.id)
  trailer.entries.set('Prev', doc.startxref)
  const xrefOffset = input.length + revision.length
  if (doc.lastSection === 'table') {
    revision += `${xrefTable(entries)}trailer\n${serializeObject(trailer)}\n`
  } else {
    const xrefRef = pdfRef(size++)
    trailer.entries.set('Size', size)
    entries.set(xrefRef.num, { offset: xrefOffset, gen: 0 })
    revision += xrefStream(xrefRef, entries, trailer)
  }
  revision += `startxref\n${xrefOffset}\n%%EOF\n`
  const offsets = new Map<number, number>()
  for (const [num, { offset }] of entries) if (objects.has(num)) offsets.set(num, offset)
  return { appended: Buffer.from(revision, 'latin1'), offsets }
}

/** The body of a stream object: `dict` with its /Length set, then the (already encoded) data. */
export function streamBody(dict: PdfDict, data: Uint8Array): string {
  const withLength = pdfDict(dict.entries)
  withLength.entries.set('Length', data.length)
  return `${serializeObject(withLength)}\nstream\n${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1')}\nendstream`
}

/**
 * The trailer /ID of a new revision. The first ID names the document across revisions and is kept; the second
 * changes with every revision (§14.4), so it hashes the end of the file with what makes this revision unique.
 */
export function revisionId(trailer: PdfDict, input: Uint8Array, unique: string): PdfObject {
  const id = trailer.entries.get('ID')
  const first = Array.isArray(id) && isString(id[0]) ? id[0].bytes : undefined
  const hash = createHash('md5')
  hash.update(input.subarray(Math.max(0, input.length - 4096)))
  hash.update(`${input.length} ${unique}`)
  const second = new Uint8Array(hash.digest())
  return [
    { kind: 'string', bytes: first ?? second, hex: true },
    { kind: 'string', bytes: second, hex: true },
  ]
}

function runs(nums: number[]): [number, number[]][] {
  const out: [number, number[]][] = []
  for (const num of nums.sort((a, b) => a - b)) {
    const current = out[out.length - 1]
    if (current && current[0] + current[1].length === num) current[1].push(num)
    else out.push([num, [num]])
  }
  return out
}

function xrefTable(offsets: ReadonlyMap<number, { offset: number; gen: number }>): string {
  let table = 'xref\n'
  for (const [start, nums] of runs([...offsets.keys()])) {
    table += `${start} ${nums.length}\n`
    for (const num of nums) {
      const entry = offsets.get(num) ?? { offset: 0, gen: 0 }
      // Each entry is exactly 20 bytes, ending in CR LF (§7.5.4).
      table += `${String(entry.offset).padStart(10, '0')} ${String(entry.gen).padStart(5, '0')} n\r\n`
    }
  }
  return table
}

function xrefStream(ref: PdfRef, offsets: ReadonlyMap<number, { offset: number; gen: number }>, trailer: PdfDict): string {
  const maxOffset = Math.max(...[...offsets.values()].map((entry) => entry.offset))
  let offsetWidth = 1
  while (maxOffset >= 2 ** (8 * offsetWidth)) offsetWidth++
  const index: number[] = []
  const rows: number[] = []
  for (const [start, nums] of runs([...offsets.keys()])) {
    index.push(start, nums.length)
    for (const num of nums) {
      const entry = offsets.get(num) ?? { offset: 0, gen: 0 }
      rows.push(1)
      for (let b = offsetWidth - 1; b >= 0; b--) rows.push(Math.floor(entry.offset / 2 ** (8 * b)) & 0xff)
      rows.push((entry.gen >> 8) & 0xff, entry.gen & 0xff)
    }
  }
  const dict = pdfDict([
    ['Type', pdfName('XRef')],
    ['W', [1, offsetWidth, 2]],
    ['Index', index],
  ])
  for (const [key, value] of trailer.entries) dict.entries.set(key, value)
  dict.entries.set('Length', rows.length)
  return `${ref.num} ${ref.gen} obj\n${serializeObject(dict)}\nstream\n${Buffer.from(rows).toString('latin1')}\nendstream\nendobj\n`
}
