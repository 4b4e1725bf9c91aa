/**
 * CAdES detached signatures (`.p7s`) of any file: procurement offers, contracts, "documents divers".
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { CMS_OIDS } from '../cms/oids.js'
import { signCms } from '../cms/sign.js'
import { addUnsignedAttribute } from '../cms/unsigned-attribute.js'
import { SceauError } from '../errors.js'
import { requestTimestamp } from '../timestamp/rfc3161.js'
import { algorithmParts, defaultSha256Algorithm, nodeHashName } from '../signer/algorithms.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'

/** Options of {@link signCades} and {@link signCadesFile}. */
export interface SignCadesOptions {
  /** Default RSASSA-PKCS1-v1_5-SHA256 for RSA keys, ECDSA-SHA256 for EC keys. */
  readonly algorithm?: SignatureAlgorithm
  /** The signing-time attribute (CAdES puts the claimed time in the CMS); default now. */
  readonly signingTime?: Date
  /** B-T: an RFC 3161 time-stamp on the signature value from this authority. */
  readonly timestamp?: { readonly url: string; readonly timeoutMs?: number }
  readonly signal?: AbortSignal
}

/**
 * Signs the digest of a document (CAdES B-B, or B-T with `timestamp`), detached: the `.p7s` holds the signature,
 * the document stays as it is.
 *
 * @example
 * ```ts
 * const p7s = await signCades(contentDigest, 'SHA-256', signer)
 * ```
 */
export async function signCades(
  contentDigest: Uint8Array,
  hash: DigestAlgorithm,
  signer: Signer,
  options: SignCadesOptions = {},
): Promise<Uint8Array> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  if (algorithmParts(algorithm).hash !== hash) {
    throw new SceauError('USAGE', `the content was hashed with ${hash} but ${algorithm} signs ${algorithmParts(algorithm).hash}`)
  }
  const signed = await signCms({ signer, algorithm, contentDigest, signingTime: options.signingTime ?? new Date(), signal: options.signal })
  if (options.timestamp === undefined) return signed.der
  const { token } = await requestTimestamp(options.timestamp.url, {
    data: signed.signatureValue,
    hash,
    timeoutMs: options.timestamp.timeoutMs,
  })
  return addUnsignedAttribute(signed.der, CMS_OIDS.signatureTimeStampToken, token)
}

/**
 * Signs a file of any size: it is hashed while read (a 2 GB ZIP costs the time of reading it), then signed.
 *
 * @example
 * ```ts
 * const p7s = await signCadesFile('offre.zip', signer, { timestamp: { url: 'https://tsa.example.fr/tsp' } })
 * await writeFile('offre.zip.p7s', p7s)
 * ```
 */
export async function signCadesFile(path: string, signer: Signer, options: SignCadesOptions = {}): Promise<Uint8Array> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  return signCades(await hashFile(path, hash), hash, signer, { ...options, algorithm })
}

/** The digest of a file, streamed. */
export async function hashFile(path: string, hash: DigestAlgorithm | 'SHA-1'): Promise<Uint8Array> {
  const digest = createHash(nodeHashName(hash))
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) digest.update(chunk as Buffer)
  } catch (cause) {
    throw new SceauError('FILE_NOT_FOUND', `cannot read "${path}"`, { cause, details: { file: path } })
  }
  return new Uint8Array(digest.digest())
}
