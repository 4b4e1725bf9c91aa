// Which byte encoding a document uses, read from its BOM and XML declaration.
// PES flows are ISO-8859-1 (raw Latin-1 bytes) or UTF-8; see research/pes.md §4.1.

import { isUtf8 } from 'node:buffer'
import { SceauError } from '../errors.js'
import { readFully, type ByteSource } from './source.js'

/** The encodings the scanner reads. windows-1252 is read as Latin-1 (its 0x80–0x9F block is not mapped). */
export type DocumentEncoding = 'latin1' | 'utf8'

/** The encoding of a document and where its content starts (after the BOM and the XML declaration). */
export interface DocumentPrologue {
  encoding: DocumentEncoding
  /** Byte offset just past the BOM and the XML declaration. */
  contentStart: number
}

const LATIN1_NAMES = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'windows-1252', 'cp1252', 'us-ascii', 'ascii'])
const UTF8_NAMES = new Set(['utf-8', 'utf8'])

/**
 * Reads the BOM and XML declaration of `bytes`. Refuses encodings other than UTF-8 and ISO-8859-1, and UTF-8
 * documents whose bytes are not valid UTF-8 (their canonical form could not be valid UTF-8 either).
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
  let length = Math.min(256, source.size)
  let head = Buffer.allocUnsafe(length)
  readFully(source, head, 0)
  // Read more only while an XML declaration is open; its end tells where the content starts.
  while (length < Math.min(LONGEST_HEAD, source.size) && head.includes('<?xml', 0, 'latin1') && !head.includes('?>', 0, 'latin1')) {
    length = Math.min(length * 4, LONGEST_HEAD, source.size)
    head = Buffer.allocUnsafe(length)
    readFully(source, head, 0)
  }
  const prologue = parsePrologue(head)
  if (prologue.encoding === 'utf8' && !isUtf8(head.subarray(0, prologue.contentStart))) throw invalidUtf8()
  return prologue
}

/** The INPUT_MALFORMED error for a UTF-8 document holding bytes that are not UTF-8. */
export function invalidUtf8(): SceauError {
  return new SceauError('INPUT_MALFORMED', 'XML document declared UTF-8 holds invalid UTF-8 bytes')
}

function parsePrologue(bytes: Buffer): DocumentPrologue {
  let start = 0
  let fromBom: DocumentEncoding | undefined
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    start = 3
    fromBom = 'utf8'
  } else if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw new SceauError('INPUT_MALFORMED', 'XML document is UTF-16; only UTF-8 and ISO-8859-1 are supported')
  }
  let encoding: DocumentEncoding = fromBom ?? 'utf8'
  let contentStart = start
  if (bytes.subarray(start, start + 5).toString('latin1') === '<?xml' && isSpace(bytes[start + 5])) {
    const end = bytes.indexOf('?>', start, 'latin1')
    if (end < 0) throw new SceauError('INPUT_MALFORMED', 'XML declaration is not closed')
    const declaration = bytes.subarray(start, end).toString('latin1')
    const match = /\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(declaration)
    const name = (match?.[1] ?? match?.[2])?.toLowerCase()
    if (name !== undefined) {
      if (LATIN1_NAMES.has(name) && fromBom === undefined) encoding = 'latin1'
      else if (!UTF8_NAMES.has(name)) {
        throw new SceauError('INPUT_MALFORMED', `XML encoding "${name}" is not supported; only UTF-8 and ISO-8859-1 are`, {
          details: { encoding: name },
        })
      }
    }
    contentStart = end + 2
  }
  return { encoding, contentStart }
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}
