// The content a CMS signature signs, read once for all its signers: every digest they need computed in the same
// pass (a detached file of gigabytes is read once, not once per algorithm), and the bytes kept in memory only when
// a signer without signed attributes signs the content itself with ECDSA, DSA or EdDSA (RFC 5652 §5.4), up to a
// bound.

import { createDigest, type CmsDigestAlgorithm } from '../cms/digests.js'

/**
 * The signed content, as chunks, read from the start each time it is called: a PDF's byte ranges, a detached
 * file's stream, the content of a .p7m.
 */
export type SignedContent = () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * The largest content held in memory for a signature over the content itself. EdDSA (RFC 8032) cannot hash a
 * stream; such CMS signatures of larger contents are reported as not checked rather than exhausting memory.
 */
export const MAX_SIGNED_CONTENT_IN_MEMORY = 256 * 1024 * 1024

/** The content read: its digests, and its bytes when they were asked for and fit. */
export interface ReadContent {
  readonly digests: ReadonlyMap<CmsDigestAlgorithm, Uint8Array>
  readonly bytes?: Uint8Array
  /** The content's length in bytes. */
  readonly length: number
}

/**
 * Reads `content` once, computing every digest of `hashes`, and keeping the bytes when `keepBytes` and the content
 * is at most {@link MAX_SIGNED_CONTENT_IN_MEMORY} bytes.
 *
 * @example
 * ```ts
 * const read = await readSignedContent(() => [range1, range2], ['SHA-256'], false)
 * read.digests.get('SHA-256')
 * ```
 */
export async function readSignedContent(
  content: SignedContent,
  hashes: readonly CmsDigestAlgorithm[],
  keepBytes: boolean,
): Promise<ReadContent> {
  const running = [...new Set(hashes)].map((hash) => ({ hash, state: createDigest(hash) }))
  let kept: Uint8Array[] | undefined = keepBytes ? [] : undefined
  let length = 0
  for await (const chunk of content()) {
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk as ArrayBufferLike)
    for (const { state } of running) state.update(bytes)
    length += bytes.length
    if (kept !== undefined) {
      if (length > MAX_SIGNED_CONTENT_IN_MEMORY) kept = undefined
      else kept.push(new Uint8Array(bytes))
    }
  }
  const digests = new Map(running.map(({ hash, state }) => [hash, new Uint8Array(state.digest())]))
  if (kept === undefined) return { digests, length }
  return { digests, bytes: Buffer.concat(kept), length }
}
