// Verifies a SignerInfo's signature value against the signer's public key, for every scheme sceau reads. With signed
// attributes the signature is over their DER; without, over the content itself (RFC 5652 §5.4), of which the caller
// may have only the digest: RSA signs a digest, so that is enough there; ECDSA, DSA and EdDSA need the content.

import { verify, X509Certificate, type KeyObject } from 'node:crypto'
import { certificateSpki } from '../x509/der.js'
import { cmsDigest, cmsDigestLength, nodeDigestName, type CmsDigestAlgorithm } from './digests.js'
import type { CmsSignatureAlgorithm } from './read-algorithm.js'
import { rsaPublicKeyOf, verifyPkcs1v15, verifyPss } from './rsa-verify.js'

/** What the signature covers: the signed bytes, or only their digest with `hash`. */
export type SignedInput = { readonly message: Uint8Array } | { readonly digest: Uint8Array; readonly hash: CmsDigestAlgorithm }

/** How a signature value came out. */
export type SignatureOutcome =
  | { readonly status: 'valid' | 'invalid'; readonly hash?: CmsDigestAlgorithm }
  /** sceau (Node) cannot check this signature: the reason says why. */
  | { readonly status: 'unsupported'; readonly reason: string }
  /** The scheme signs the message itself and only its digest was given. */
  | { readonly status: 'needs-message'; readonly hash?: CmsDigestAlgorithm }

/** Node's key type for each scheme: a key of another type cannot have made the signature. */
const KEY_TYPES: Readonly<Record<Exclude<CmsSignatureAlgorithm['scheme'], 'unknown'>, readonly string[]>> = {
  'RSASSA-PKCS1-v1_5': ['rsa'],
  'RSASSA-PSS': ['rsa', 'rsa-pss'],
  ECDSA: ['ec'],
  DSA: ['dsa'],
  Ed25519: ['ed25519'],
  Ed448: ['ed448'],
}

/**
 * The hash a signature is computed with: the one its algorithm names, else the SignerInfo's digest algorithm
 * (rsaEncryption, id-dsa and id-ecPublicKey name none: RFC 3370 §3). EdDSA has none (it hashes internally).
 */
export function signatureHash(
  algorithm: CmsSignatureAlgorithm,
  digestAlgorithm: CmsDigestAlgorithm | undefined,
): CmsDigestAlgorithm | undefined {
  switch (algorithm.scheme) {
    case 'unknown':
    case 'Ed25519':
    case 'Ed448':
      return undefined
    default:
      return algorithm.hash ?? digestAlgorithm
  }
}

/**
 * Verifies `signature` with the public key of `certificate` (DER).
 *
 * @example
 * ```ts
 * const outcome = verifySignatureValue(signer.signatureAlgorithm, 'SHA-256', certificate, { message: signedAttributesDer }, signer.signatureValue)
 * ```
 */
export function verifySignatureValue(
  algorithm: CmsSignatureAlgorithm,
  digestAlgorithm: CmsDigestAlgorithm | undefined,
  certificate: Uint8Array,
  signed: SignedInput,
  signature: Uint8Array,
): SignatureOutcome {
  if (algorithm.scheme === 'unknown') return { status: 'unsupported', reason: algorithm.why }
  let key: KeyObject
  try {
    key = new X509Certificate(certificate).publicKey
  } catch {
    return { status: 'unsupported', reason: "the signer certificate's public key cannot be read" }
  }
  const hash = signatureHash(algorithm, digestAlgorithm)
  const keyType = key.asymmetricKeyType ?? 'unknown'
  if (!KEY_TYPES[algorithm.scheme].includes(keyType)) return { status: 'invalid', ...(hash === undefined ? {} : { hash }) }
  const scheme = algorithm.scheme
  if (scheme === 'Ed25519' || scheme === 'Ed448') {
    if (!('message' in signed)) return { status: 'needs-message' }
    return outcome(() => verify(null, signed.message, key, signature))
  }
  if (hash === undefined) return { status: 'unsupported', reason: `the digest algorithm of the ${scheme} signature is not supported` }
  if (scheme === 'RSASSA-PKCS1-v1_5' || scheme === 'RSASSA-PSS') {
    const spki = certificateSpki(certificate)
    const rsa = spki === undefined ? undefined : rsaPublicKeyOf(certificate.subarray(spki.start, spki.end))
    if (rsa === undefined) return { status: 'unsupported', reason: "the signer certificate's RSA key cannot be read" }
    const digestValue = digestOf(signed, hash)
    if (digestValue === undefined) return { status: 'needs-message', hash }
    const valid =
      algorithm.scheme === 'RSASSA-PSS'
        ? verifyPss(rsa, algorithm, digestValue, signature)
        : verifyPkcs1v15(rsa, hash, digestValue, signature)
    return { status: valid ? 'valid' : 'invalid', hash }
  }
  if (!('message' in signed)) return { status: 'needs-message', hash }
  const dsaEncoding = algorithm.scheme === 'ECDSA' ? algorithm.encoding : 'der'
  const result = outcome(() => verify(nodeDigestName(hash), signed.message, { key, dsaEncoding }, signature))
  return result.status === 'unsupported' ? result : { ...result, hash }
}

function digestOf(signed: SignedInput, hash: CmsDigestAlgorithm): Uint8Array | undefined {
  if ('message' in signed) return cmsDigest(hash, signed.message)
  return signed.hash === hash && signed.digest.length === cmsDigestLength(hash) ? signed.digest : undefined
}

/** OpenSSL's verify: false for a value that does not verify; an exception when it cannot verify at all. */
function outcome(run: () => boolean): SignatureOutcome {
  try {
    return { status: run() ? 'valid' : 'invalid' }
  } catch (err) {
    return { status: 'unsupported', reason: `Node cannot verify it: ${err instanceof Error ? err.message : String(err)}` }
  }
}
