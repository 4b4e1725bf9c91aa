// Where the revisions of a PDF end. Each incremental update (ISO 32000-1 §7.5.6) ends with `startxref`, an offset
// and the `%%EOF` marker, so a revision is a prefix of the file ending at a %%EOF and its end-of-line. A signature's
// byte range must end exactly there: a range that stops earlier leaves that revision's cross-reference data and
// trailer unsigned, which a later writer can replace to show other objects (pyHanko's "tail uncovered" case).

const EOF = Buffer.from('%%EOF', 'latin1')

/**
 * Offsets just past each `%%EOF` of `bytes` and the end-of-line after it (CR, LF or CR LF), in file order.
 *
 * @example
 * ```ts
 * const ends = revisionEnds(pdf) // [12345, 20112]: the original and one incremental update
 * ```
 */
export function revisionEnds(bytes: Uint8Array): number[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ends: number[] = []
  for (let at = buffer.indexOf(EOF); at >= 0; at = buffer.indexOf(EOF, at + EOF.length)) {
    let end = at + EOF.length
    if (buffer[end] === 0x0d) end++
    if (buffer[end] === 0x0a) end++
    ends.push(end)
  }
  return ends
}

/**
 * Whether `end` is the end of a revision: just past a `%%EOF`, with or without the end-of-line after it.
 *
 * @example
 * ```ts
 * const [, , c = 0, d = 0] = signature.byteRange
 * if (!isRevisionEnd(pdf, c + d)) console.log('the signature leaves the end of its revision unsigned')
 * ```
 */
export function isRevisionEnd(bytes: Uint8Array, end: number): boolean {
  if (end < EOF.length || end > bytes.length) return false
  for (let back = 0; back <= 2; back++) {
    const at = end - back - EOF.length
    if (at < 0) break
    const eol = bytes.subarray(end - back, end)
    if (!eol.every((byte) => byte === 0x0d || byte === 0x0a)) break
    if (Buffer.from(bytes.buffer, bytes.byteOffset + at, EOF.length).equals(EOF)) return true
  }
  return false
}

/**
 * Bytes after the last revision that a reader might still take for content: anything but whitespace after the last
 * `%%EOF` (whitespace and NUL padding are what writers leave). Undefined when there are none.
 *
 * @example
 * ```ts
 * const tail = unrevisionedTail(pdf)
 * if (tail) console.log(`bytes ${tail.start}-${tail.end} belong to no revision`)
 * ```
 */
export function unrevisionedTail(bytes: Uint8Array): { readonly start: number; readonly end: number } | undefined {
  const ends = revisionEnds(bytes)
  const last = ends[ends.length - 1] ?? 0
  for (let at = last; at < bytes.length; at++) {
    const byte = bytes[at]
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09 && byte !== 0x0c && byte !== 0x00) {
      return { start: last, end: bytes.length }
    }
  }
  return undefined
}
