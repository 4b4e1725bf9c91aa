// The SignatureValue over the canonical SignedInfo: RSA PKCS#1 v1.5, RSA-PSS (with RFC 9231 parameters or the RFC
// 6931 MGF1 URIs) and ECDSA. What Node cannot check is INDETERMINATE (CRYPTO_CONSTRAINTS_FAILURE), never a
// cryptographic failure: only a value that does not verify is evidence.

import { constants, verify, type KeyObject } from 'node:crypto'
import type { Check } from '../verdicts.js'
import { readChildren, readTlv } from '../x509/der.js'
import { nodeHash } from '../xml/digest.js'
import type { ReadPssParameters } from './read-signature.js'
import { digestFromUri, XMLDSIG_MORE_2007_NS, type XmlDigestAlgorithm, type XmlSignatureMethod } from './uris.js'

const MGF1 = `${XMLDSIG_MORE_2007_NS}MGF1`
const DIGEST_LENGTHS: Readonly<Record<XmlDigestAlgorithm, number>> = {
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
  'SHA3-224': 28,
  'SHA3-256': 32,
  'SHA3-384': 48,
  'SHA3-512': 64,
}

/**
 * Verifies a SignatureValue with a key (from the certificate or KeyValue, `from` says which in the reason).
 *
 * @example
 * ```ts
 * checks.push(checkSignatureValue(canonicalSignedInfo, read.signatureValue, method, read.pss, key, 'certificate'))
 * ```
 */
export function checkSignatureValue(
  signedInfo: Uint8Array,
  value: Uint8Array,
  method: XmlSignatureMethod,
  pss: ReadPssParameters | undefined,
  key: KeyObject,
  from: 'certificate' | 'key-value',
): Check {
  const id = 'xmldsig.signature-value'
  const source = from === 'certificate' ? 'the KeyInfo certificate' : "KeyInfo's key value"
  const unsupported = (why: string): Check => ({ id, status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE', reason: why })
  const type = key.asymmetricKeyType
  if (!keyFits(key, method)) {
    return {
      id,
      status: 'fail',
      subIndication: 'SIG_CRYPTO_FAILURE',
      reason: `${source} is a ${type ?? 'unknown'} key; the SignatureMethod needs ${method.scheme}`,
    }
  }
  let hash = method.hash
  let saltLength: number = constants.RSA_PSS_SALTLEN_AUTO
  if (method.parameters === true) {
    const parameters = pssParameters(pss)
    if (typeof parameters === 'string') return unsupported(parameters)
    hash = parameters.hash
    saltLength = parameters.saltLength
  }
  let candidates = [value]
  let note = ''
  if (method.scheme === 'ECDSA') {
    const size = fieldSize(key)
    if (size !== undefined && value.length !== 2 * size) {
      candidates = ecdsaCandidates(value, size)
      note = ` (a ${value.length}-byte value for a ${2 * size}-byte r‖s, read with its leading zeros restored)`
    }
  }
  try {
    for (const candidate of candidates) {
      const ok =
        method.scheme === 'ECDSA' || method.scheme === 'DSA'
          ? verify(nodeHash(hash), signedInfo, { key, dsaEncoding: 'ieee-p1363' }, candidate)
          : method.scheme === 'RSASSA-PSS'
            ? verify(nodeHash(hash), signedInfo, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, candidate)
            : verify(nodeHash(hash), signedInfo, { key, padding: constants.RSA_PKCS1_PADDING }, candidate)
      if (ok) return { id, status: 'pass', reason: `the signature value verifies with ${source}${note}` }
    }
  } catch (err) {
    return unsupported(`the signature value could not be checked with ${source}: ${err instanceof Error ? err.message : String(err)}`)
  }
  return { id, status: 'fail', subIndication: 'SIG_CRYPTO_FAILURE', reason: `the signature value does not verify with ${source}${note}` }
}

/** Whether a key is of the kind a SignatureMethod needs (RSA for the RSA schemes, EC for ECDSA, DSA for DSA). */
export function keyFits(key: KeyObject, method: XmlSignatureMethod): boolean {
  const type = key.asymmetricKeyType
  if (method.scheme === 'ECDSA') return type === 'ec'
  if (method.scheme === 'DSA') return type === 'dsa'
  return type === 'rsa' || type === 'rsa-pss'
}

/** RFC 9231 §2.3.10 rsa-pss: SHA-256 by default, MGF1 with the same digest, salt the digest's length, trailer 1. */
function pssParameters(pss: ReadPssParameters | undefined): { hash: XmlDigestAlgorithm; saltLength: number } | string {
  const hash = pss?.digestMethod === undefined ? 'SHA-256' : digestFromUri(pss.digestMethod)
  if (hash === undefined) return `RSA-PSS digest ${pss?.digestMethod ?? ''} is not supported`
  if (pss?.maskGenerationFunction !== undefined && pss.maskGenerationFunction !== MGF1) {
    return `RSA-PSS mask generation function ${pss.maskGenerationFunction} is not supported`
  }
  // Node's RSA-PSS uses MGF1 with the message digest; another MGF1 digest cannot be checked.
  if (pss?.maskDigestMethod !== undefined && digestFromUri(pss.maskDigestMethod) !== hash) {
    return `RSA-PSS with MGF1 over ${pss.maskDigestMethod} and a ${hash} message digest is not supported`
  }
  if (pss?.trailerField !== undefined && pss.trailerField !== 1) return `RSA-PSS trailer field ${pss.trailerField} is not supported`
  return { hash, saltLength: pss?.saltLength ?? DIGEST_LENGTHS[hash] }
}

/** Bytes of one coordinate of an EC key (32 for P-256, 66 for P-521): the point closing its SPKI is 04 ‖ x ‖ y. */
function fieldSize(key: KeyObject): number | undefined {
  const der = key.export({ format: 'der', type: 'spki' })
  const top = readTlv(der, 0)
  const point = top === undefined ? undefined : readChildren(der, top)?.[1]
  if (point?.tag !== 0x03) return undefined
  // BIT STRING content: one unused-bits byte, then the uncompressed point.
  const length = point.end - point.contentStart - 2
  return length > 0 && length % 2 === 0 ? length / 2 : undefined
}

/**
 * The r‖s readings of an ECDSA value of the wrong length: some Java signers strip the leading zeros of r or s,
 * others add a zero byte. The even split comes first; the other splits are tried too, since r and s may have lost
 * different counts. A reading verifies only if it is the signer's (r, s).
 */
function ecdsaCandidates(value: Uint8Array, size: number): Uint8Array[] {
  const splits = [value.length / 2, ...Array.from({ length: value.length - 1 }, (_, k) => k + 1)].filter(
    (at, k, all) => Number.isInteger(at) && all.indexOf(at) === k,
  )
  const found: Uint8Array[] = []
  for (const at of splits) {
    const r = stripZeros(value.subarray(0, at))
    const s = stripZeros(value.subarray(at))
    if (r.length > size || s.length > size) continue
    const candidate = new Uint8Array(2 * size)
    candidate.set(r, size - r.length)
    candidate.set(s, 2 * size - s.length)
    found.push(candidate)
  }
  return found
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  return bytes.subarray(start)
}
