// The digest of a file read in 1 MiB chunks: detached signatures (CAdES .p7s, XAdES detached) sign files of any
// size, and hashing one costs the time of reading it, never its size in memory.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { SceauError } from '../errors.js'
import type { DigestAlgorithm } from '../types.js'
import { nodeHashName } from './algorithms.js'
import { cannotRead } from '../read-file.js'

/** Options of {@link hashFile}. */
export interface HashFileOptions {
  /** Stops reading; the promise then rejects with `ABORTED`. */
  readonly signal?: AbortSignal
  /** Hashes only the bytes from `start` (inclusive) to `end` (exclusive): the content inside an enveloping .p7m. */
  readonly range?: { readonly start: number; readonly end: number }
}

/**
 * The digest of a file, streamed.
 *
 * @throws SceauError `FILE_NOT_FOUND` when the file cannot be read, `ABORTED` when `signal` fires.
 *
 * @example
 * ```ts
 * const digest = await hashFile('offre.zip', 'SHA-256')
 * ```
 */
export async function hashFile(path: string, hash: DigestAlgorithm | 'SHA-1', options: HashFileOptions = {}): Promise<Uint8Array> {
  const digest = createHash(nodeHashName(hash))
  if (options.range !== undefined && options.range.end <= options.range.start) return new Uint8Array(digest.digest())
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal: options.signal, ...rangeOf(options) }))
      digest.update(chunk as Buffer)
  } catch (cause) {
    if (options.signal?.aborted === true)
      throw new SceauError('ABORTED', `hashing "${path}" was cancelled`, { cause, details: { file: path } })
    throw cannotRead(path, cause)
  }
  return new Uint8Array(digest.digest())
}

function rangeOf(options: HashFileOptions): { start?: number; end?: number } {
  const { range } = options
  if (range === undefined) return {}
  // createReadStream's end is inclusive.
  return { start: range.start, end: range.end - 1 }
}

/**
 * `digestOf` computed at most once per hash algorithm: a file signed or checked by several signers is read once
 * per algorithm they use, not once per signer.
 */
export function oncePerHash<Hash extends string>(
  digestOf: (hash: Hash) => Uint8Array | Promise<Uint8Array>,
): (hash: Hash) => Promise<Uint8Array> {
  const digests = new Map<Hash, Promise<Uint8Array>>()
  return (hash) => {
    let pending = digests.get(hash)
    if (pending === undefined) {
      pending = Promise.resolve(digestOf(hash)).then((bytes) => new Uint8Array(bytes))
      digests.set(hash, pending)
    }
    return pending
  }
}
