import { createHash } from 'node:crypto'
import { nodeHashName } from './algorithms.js'
import type { DigestAlgorithm } from './signer.js'

// DER prefixes of DigestInfo ::= SEQUENCE { AlgorithmIdentifier { oid, NULL }, OCTET STRING digest }
// (RFC 8017 §9.2 note 1). A token doing CKM_RSA_PKCS pads whatever it is given, so the DigestInfo
// must be built here, or the signature would not verify as RSASSA-PKCS1-v1_5.
const PREFIXES: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
}

const LENGTHS: Readonly<Record<DigestAlgorithm, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }

/** Digest length in bytes. */
export function digestLength(hash: DigestAlgorithm): number {
  return LENGTHS[hash]
}

/** Hashes `data` with Node's crypto. */
export function digest(hash: DigestAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeHashName(hash)).update(data).digest())
}

/**
 * Wraps a digest in the DER DigestInfo that RSASSA-PKCS1-v1_5 signs.
 *
 * @example
 * ```ts
 * const info = digestInfo('SHA-256', digest('SHA-256', data)) // 51 bytes, ready for CKM_RSA_PKCS
 * ```
 */
export function digestInfo(hash: DigestAlgorithm, digestValue: Uint8Array): Uint8Array {
  if (digestValue.length !== LENGTHS[hash]) {
    throw new RangeError(`a ${hash} digest is ${LENGTHS[hash]} bytes, got ${digestValue.length}`)
  }
  const prefix = Buffer.from(PREFIXES[hash], 'hex')
  const out = new Uint8Array(prefix.length + digestValue.length)
  out.set(prefix, 0)
  out.set(digestValue, prefix.length)
  return out
}
