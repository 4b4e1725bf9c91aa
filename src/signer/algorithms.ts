import { SceauError } from '../errors.js'
import type { DigestAlgorithm, KeyDescription, NamedCurve, SignatureAlgorithm } from './signer.js'

/** How an algorithm breaks down: the padding scheme and the hash. */
export interface AlgorithmParts {
  readonly scheme: 'RSASSA-PKCS1-v1_5' | 'RSASSA-PSS' | 'ECDSA'
  readonly hash: DigestAlgorithm
}

const PARTS: Readonly<Record<SignatureAlgorithm, AlgorithmParts>> = {
  'RSASSA-PKCS1-v1_5-SHA256': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  'RSASSA-PKCS1-v1_5-SHA384': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  'RSASSA-PKCS1-v1_5-SHA512': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  'RSASSA-PSS-SHA256': { scheme: 'RSASSA-PSS', hash: 'SHA-256' },
  'RSASSA-PSS-SHA384': { scheme: 'RSASSA-PSS', hash: 'SHA-384' },
  'RSASSA-PSS-SHA512': { scheme: 'RSASSA-PSS', hash: 'SHA-512' },
  'ECDSA-SHA256': { scheme: 'ECDSA', hash: 'SHA-256' },
  'ECDSA-SHA384': { scheme: 'ECDSA', hash: 'SHA-384' },
  'ECDSA-SHA512': { scheme: 'ECDSA', hash: 'SHA-512' },
}

/** Every algorithm name sceau knows, for argument validation. */
export const SIGNATURE_ALGORITHMS = Object.keys(PARTS) as readonly SignatureAlgorithm[]

/** Splits an algorithm name into scheme and hash; throws `ALGORITHM_UNSUPPORTED` for an unknown name. */
export function algorithmParts(algorithm: SignatureAlgorithm): AlgorithmParts {
  const parts = PARTS[algorithm]
  if (parts === undefined) {
    throw new SceauError('ALGORITHM_UNSUPPORTED', `unknown signature algorithm "${String(algorithm)}"`, {
      details: { algorithm: String(algorithm) },
    })
  }
  return parts
}

/** Node's name for a digest algorithm (`createHash`). SHA-1 is accepted for reading old signatures. */
export function nodeHashName(hash: DigestAlgorithm | 'SHA-1'): 'sha1' | 'sha256' | 'sha384' | 'sha512' {
  return hash === 'SHA-1' ? 'sha1' : hash === 'SHA-256' ? 'sha256' : hash === 'SHA-384' ? 'sha384' : 'sha512'
}

/**
 * The SHA-256 algorithm of a signer's key, what XAdES, PAdES and CAdES write by default: RSASSA-PKCS1-v1_5-SHA256
 * for RSA, ECDSA-SHA256 for EC. `why` ends the error message when the key cannot produce it.
 */
export function defaultSha256Algorithm(
  signer: { readonly key: KeyDescription; readonly algorithms: readonly SignatureAlgorithm[] },
  why = '',
): SignatureAlgorithm {
  const wanted: SignatureAlgorithm = signer.key.type === 'EC' ? 'ECDSA-SHA256' : 'RSASSA-PKCS1-v1_5-SHA256'
  if (!signer.algorithms.includes(wanted)) {
    throw new SceauError('ALGORITHM_UNSUPPORTED', `the key cannot produce ${wanted}${why}`, { details: { algorithm: wanted } })
  }
  return wanted
}

/** Byte length of one ECDSA coordinate on a curve (r and s each take this much in P1363 form). */
export function curveOrderLength(curve: NamedCurve): number {
  return curve === 'P-256' ? 32 : curve === 'P-384' ? 48 : 66
}

/**
 * The algorithms a key can produce, best first. For EC keys the hash matches the curve's strength first
 * (ECDSA-SHA384 for P-384), the order XAdES/PAdES profiles expect.
 */
export function algorithmsForKey(key: KeyDescription): SignatureAlgorithm[] {
  if (key.type === 'RSA') {
    return [
      'RSASSA-PKCS1-v1_5-SHA256',
      'RSASSA-PKCS1-v1_5-SHA384',
      'RSASSA-PKCS1-v1_5-SHA512',
      'RSASSA-PSS-SHA256',
      'RSASSA-PSS-SHA384',
      'RSASSA-PSS-SHA512',
    ]
  }
  if (key.curve === 'P-384') return ['ECDSA-SHA384', 'ECDSA-SHA256', 'ECDSA-SHA512']
  if (key.curve === 'P-521') return ['ECDSA-SHA512', 'ECDSA-SHA384', 'ECDSA-SHA256']
  return ['ECDSA-SHA256', 'ECDSA-SHA384', 'ECDSA-SHA512']
}

/** The longest signature a key can give: the modulus length for RSA, DER-encoded r and s for ECDSA. */
export function maxSignatureLengthFor(key: KeyDescription): number {
  if (key.type === 'RSA') return Math.ceil(key.size / 8)
  const n = curveOrderLength(key.curve)
  // SEQUENCE { INTEGER r, INTEGER s }, each integer possibly one byte longer for a leading zero.
  const integer = 2 + n + 1
  const body = 2 * integer
  return body + (body < 128 ? 2 : 3)
}

/** Throws `ALGORITHM_UNSUPPORTED` unless the key can produce `algorithm`. */
export function assertAlgorithmFits(key: KeyDescription, algorithm: SignatureAlgorithm): AlgorithmParts {
  const parts = algorithmParts(algorithm)
  const fits = key.type === 'RSA' ? parts.scheme !== 'ECDSA' : parts.scheme === 'ECDSA'
  if (!fits) {
    throw new SceauError('ALGORITHM_UNSUPPORTED', `a ${key.type} key cannot sign with ${algorithm}`, {
      details: { algorithm, keyType: key.type },
    })
  }
  return parts
}
