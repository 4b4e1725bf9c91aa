/**
 * CAdES baseline signatures of any file (ETSI EN 319 122-1): detached (`.p7s`) or enveloping (`.p7m`), B-B or B-T,
 * with an optional signature policy (EPES) and commitment type.
 *
 * @packageDocumentation
 */

import { CMS_OIDS } from '../cms/oids.js'
import { signCms, type SignedCms } from '../cms/sign.js'
import { joinSignedData } from '../cms/signed-data.js'
import type { SignaturePolicyReference } from '../cms/signed-attributes.js'
import { withUnsignedAttribute } from '../cms/unsigned-attribute.js'
import { COMMITMENT_TYPES, type CommitmentType } from '../commitment.js'
import { SceauError } from '../errors.js'
import { algorithmParts, defaultSha256Algorithm } from '../signer/algorithms.js'
import { hashFile } from '../signer/hash-file.js'
import type { Signer } from '../signer/signer.js'
import { requestTimestamp } from '../timestamp/rfc3161.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'
import { writeEnveloping } from './enveloped.js'

/** Options of the CAdES signing functions. */
export interface SignCadesOptions {
  /** Default RSASSA-PKCS1-v1_5-SHA256 for RSA keys, ECDSA-SHA256 for EC keys. */
  readonly algorithm?: SignatureAlgorithm
  /** The signing-time attribute (CAdES puts the claimed time in the CMS); default now. */
  readonly signingTime?: Date
  /** CAdES-EPES: the signature policy applied, named with the digest of its document. */
  readonly signaturePolicy?: SignaturePolicyReference
  /** What the signer commits to: `approval` for a visa, `origin` for the author's signature… */
  readonly commitmentType?: CommitmentType
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
 * const p7s = await signCades(contentDigest, 'SHA-256', signer, { commitmentType: 'approval' })
 * ```
 */
export async function signCades(
  contentDigest: Uint8Array,
  hash: DigestAlgorithm,
  signer: Signer,
  options: SignCadesOptions = {},
): Promise<Uint8Array> {
  const signed = await signCadesParts(contentDigest, hash, signer, options)
  return signed.der
}

/**
 * Signs a file of any size, detached: it is hashed while read (a 2 GB ZIP costs the time of reading it), then
 * signed. Returns the `.p7s` bytes.
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
  return signCades(await hashFile(path, hash, { signal: options.signal }), hash, signer, { ...options, algorithm })
}

/**
 * Signs a file of any size as an enveloping `.p7m` written to `output` (temporary file, then rename): the
 * SignedData carries the file's bytes, streamed from `input` into the output, never held in memory.
 *
 * @example
 * ```ts
 * await signCadesEnvelopingFile('deliberation.pdf', 'deliberation.pdf.p7m', signer)
 * ```
 */
export async function signCadesEnvelopingFile(
  input: string,
  output: string,
  signer: Signer,
  options: SignCadesOptions = {},
): Promise<void> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const signed = await signCadesParts(await hashFile(input, hash, { signal: options.signal }), hash, signer, { ...options, algorithm })
  await writeEnveloping(output, signed.parts, { path: input })
}

/** The signed SignedData's parts, time-stamped when asked. */
export async function signCadesParts(
  contentDigest: Uint8Array,
  hash: DigestAlgorithm,
  signer: Signer,
  options: SignCadesOptions,
): Promise<SignedCms> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  if (algorithmParts(algorithm).hash !== hash) {
    throw new SceauError('USAGE', `the content was hashed with ${hash} but ${algorithm} signs ${algorithmParts(algorithm).hash}`)
  }
  const signed = await signCms({
    signer,
    algorithm,
    contentDigest,
    signingTime: options.signingTime ?? new Date(),
    signaturePolicy: options.signaturePolicy,
    commitmentType: options.commitmentType === undefined ? undefined : COMMITMENT_TYPES[options.commitmentType].oid,
    signal: options.signal,
  })
  if (options.timestamp === undefined) return signed
  const signerInfo = await timestampSignerInfo(signed.parts.signerInfos[0] as Uint8Array, signed.signatureValue, hash, options.timestamp)
  const parts = { ...signed.parts, signerInfos: [signerInfo] }
  return { ...signed, parts, der: joinSignedData(parts) }
}

/** A SignerInfo with a signature-time-stamp-token over its signature value (B-T). */
export async function timestampSignerInfo(
  signerInfo: Uint8Array,
  signatureValue: Uint8Array,
  hash: DigestAlgorithm,
  timestamp: { readonly url: string; readonly timeoutMs?: number },
): Promise<Uint8Array> {
  const { token } = await requestTimestamp(timestamp.url, { data: signatureValue, hash, timeoutMs: timestamp.timeoutMs })
  return withUnsignedAttribute(signerInfo, CMS_OIDS.signatureTimeStampToken, token)
}
