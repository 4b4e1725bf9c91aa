/**
 * PAdES B-LTA: a document time-stamp (/DocTimeStamp, /SubFilter ETSI.RFC3161) over the whole file, DSS included, so
 * that the validation data gathered for B-LT is itself proven to exist at a time.
 *
 * @packageDocumentation
 */

import { SceauError } from '../errors.js'
import { byteRangeParts, prepareSignature } from './pdf/prepare-signature.js'
import { requestTimestamp } from '../timestamp/rfc3161.js'

/** Options of {@link timestampPdfParts}. */
export interface DocumentTimestampOptions {
  /** The RFC 3161 time-stamping authority. */
  readonly url: string
  readonly timeoutMs?: number
}

// A token carries the TSA certificate and often its chain.
const TOKEN_ROOM = 16 * 1024

/**
 * Adds a document time-stamp revision. Returns the input and the new revision separately, like `signPdfParts`.
 *
 * @throws SceauError TIMESTAMP_FAILED, PDF_ENCRYPTED, INPUT_MALFORMED.
 *
 * @example
 * ```ts
 * const { original, appended } = await timestampPdfParts(ltPdf, { url: 'https://tsa.example.fr/tsp' })
 * ```
 */
export async function timestampPdfParts(
  input: Uint8Array,
  options: DocumentTimestampOptions,
): Promise<{ original: Uint8Array; appended: Uint8Array; genTime: Date }> {
  const prepared = prepareSignature(input, { contentsSize: TOKEN_ROOM, subFilter: 'ETSI.RFC3161', signingTime: new Date() })
  const original = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const appended = Buffer.from(prepared.appended.buffer, prepared.appended.byteOffset, prepared.appended.byteLength)
  // What is time-stamped is the bytes the byte range names, as for a signature.
  const covered = Buffer.concat(byteRangeParts(original, appended, prepared.byteRange))
  const { token, genTime } = await requestTimestamp(options.url, { data: covered, timeoutMs: options.timeoutMs })
  if (token.length > TOKEN_ROOM) {
    throw new SceauError('INPUT_TOO_LARGE', `the time-stamp token (${token.length} bytes) is larger than the ${TOKEN_ROOM} bytes reserved`)
  }
  appended.write(Buffer.from(token).toString('hex'), prepared.contentsStart - original.length, 'latin1')
  return { original, appended, genTime }
}
