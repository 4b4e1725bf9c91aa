// Where the XML layer reads document bytes from: memory, or a file read piece by piece so that a flow of hundreds
// of megabytes (PES_PJ attachments) is signed and verified without ever being held whole.

import { readSync } from 'node:fs'
import { SceauError } from '../errors.js'

/** Random-access, synchronous reads of a document's bytes. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number
  /** Fills `into` with the bytes at `position` (as many as remain); returns how many were read. */
  read(into: Buffer, position: number): number
  /** Bytes the scanner reads at a time; 1 MiB when absent. Tests set tiny windows to hit every boundary. */
  readonly windowSize?: number
}

/** A whole document in memory, or a source to read it from. */
export type XmlInput = Uint8Array | ByteSource

/** Options of {@link bufferSource} and {@link fileSource}. */
export interface ByteSourceOptions {
  /** Bytes read at a time (see {@link ByteSource.windowSize}). */
  windowSize?: number
}

/**
 * A source over bytes already in memory. Passing the `Uint8Array` itself is faster (no window, no copy); this
 * exists to run the windowed path on in-memory data.
 *
 * @example
 * ```ts
 * indexDocument(bufferSource(bytes, { windowSize: 64 }))
 * ```
 */
export function bufferSource(bytes: Uint8Array, options: ByteSourceOptions = {}): ByteSource {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    size: view.length,
    windowSize: options.windowSize,
    read: (into, position) => view.copy(into, 0, position, Math.min(view.length, position + into.length)),
  }
}

/**
 * A source over an open file descriptor; `size` comes from `fstat`. The caller owns the descriptor and closes it.
 *
 * @example
 * ```ts
 * const fd = openSync('flow.xml', 'r')
 * try {
 *   const index = indexDocument(fileSource(fd, fstatSync(fd).size))
 * } finally {
 *   closeSync(fd)
 * }
 * ```
 */
export function fileSource(fd: number, size: number, options: ByteSourceOptions = {}): ByteSource {
  return {
    size,
    windowSize: options.windowSize,
    read: (into, position) => readSync(fd, into, 0, Math.min(into.length, Math.max(0, size - position)), position),
  }
}

/** True for a {@link ByteSource}, false for bytes in memory. */
export function isByteSource(input: XmlInput): input is ByteSource {
  return !(input instanceof Uint8Array)
}

/** Fills `into` from `position`, refusing a source that ends before its announced size (a file truncated meanwhile). */
export function readFully(source: ByteSource, into: Buffer, position: number): void {
  let done = 0
  while (done < into.length) {
    const count = source.read(into.subarray(done), position + done)
    if (count <= 0) {
      throw new SceauError('INPUT_MALFORMED', `document ends at byte ${position + done}, before its size of ${source.size} bytes`, {
        details: { offset: position + done },
      })
    }
    done += count
  }
}

/** The size in bytes of a document in memory or behind a source. */
export function inputSize(input: XmlInput): number {
  return isByteSource(input) ? input.size : input.byteLength
}

/** Bytes `[start, end)` of a document: a view for bytes in memory, a copy read from a source. */
export function readRange(input: XmlInput, start: number, end: number): Buffer {
  if (!isByteSource(input)) return Buffer.from(input.buffer, input.byteOffset + start, end - start)
  const bytes = Buffer.allocUnsafe(end - start)
  readFully(input, bytes, start)
  return bytes
}
