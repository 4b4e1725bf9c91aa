// RSA signature verification over a digest, from the public key's modulus and exponent: RSASSA-PKCS1-v1_5
// (RFC 8017 §8.2.2) and RSASSA-PSS with any hash and any MGF1 hash (§8.1.2, EMSA-PSS-VERIFY §9.1.2). Node verifies
// RSA only over a message it hashes itself, and PSS only with MGF1 over the message hash; a SignerInfo without
// signed attributes gives only the content's digest, and PSS parameters may name another MGF1 hash. Only public
// values are handled here, so the arithmetic needs no protection against timing.

import { equalBytes } from '../bytes.js'
import { berChildren, berContents, berOid, isTag, readBer, UNIVERSAL } from './ber.js'
import { cmsDigest, cmsDigestLength, createDigest, digestInfoEncodings, type CmsDigestAlgorithm } from './digests.js'

/** An RSA public key: modulus and public exponent. */
export interface RsaPublicKey {
  readonly modulus: bigint
  readonly exponent: bigint
  /** Bit length of the modulus. */
  readonly bits: number
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
const RSASSA_PSS = '1.2.840.113549.1.1.10'

/**
 * The RSA public key of a SubjectPublicKeyInfo (rsaEncryption or id-RSASSA-PSS, RFC 4055 §1.2), or undefined for
 * another kind of key.
 */
export function rsaPublicKeyOf(spki: Uint8Array): RsaPublicKey | undefined {
  try {
    const outer = readBer(spki, 0, spki.length, 'SubjectPublicKeyInfo')
    const [algorithm, bitString] = berChildren(spki, outer, 'SubjectPublicKeyInfo')
    const [oid] = algorithm === undefined ? [] : berChildren(spki, algorithm, 'algorithm')
    const type = berOid(spki, oid, 'algorithm')
    if (type !== RSA_ENCRYPTION && type !== RSASSA_PSS) return undefined
    if (!isTag(bitString, 0, UNIVERSAL.bitString)) return undefined
    const bits = berContents(spki, bitString, 'subjectPublicKey')
    if (bits[0] !== 0) return undefined
    const key = bits.subarray(1)
    const [modulus, exponent] = berChildren(key, readBer(key, 0, key.length, 'RSAPublicKey'), 'RSAPublicKey')
    if (!isTag(modulus, 0, UNIVERSAL.integer) || !isTag(exponent, 0, UNIVERSAL.integer)) return undefined
    const n = toBigInt(berContents(key, modulus, 'modulus'))
    const e = toBigInt(berContents(key, exponent, 'publicExponent'))
    if (n <= 0n || e <= 0n) return undefined
    return { modulus: n, exponent: e, bits: n.toString(2).length }
  } catch {
    return undefined
  }
}

/**
 * RSASSA-PKCS1-v1_5 verification of a signature over `digestValue` (the `hash` digest of the signed message): the
 * encoded message recovered from the signature must be EMSA-PKCS1-v1_5's for that digest, with the DigestInfo's
 * parameters NULL or absent (RFC 8017 appendix A.2.4).
 *
 * @example
 * ```ts
 * const ok = verifyPkcs1v15(key, 'SHA-1', contentDigest, signatureValue)
 * ```
 */
export function verifyPkcs1v15(key: RsaPublicKey, hash: CmsDigestAlgorithm, digestValue: Uint8Array, signature: Uint8Array): boolean {
  const k = Math.ceil(key.bits / 8)
  const em = publicOperation(key, signature, k)
  if (em === undefined) return false
  return digestInfoEncodings(hash, digestValue).some((digestInfo) => {
    // EM = 0x00 || 0x01 || PS (0xff, at least 8 of them) || 0x00 || DigestInfo (§9.2 step 5).
    const psLength = k - digestInfo.length - 3
    if (psLength < 8) return false
    const expected = new Uint8Array(k)
    expected[1] = 0x01
    expected.fill(0xff, 2, 2 + psLength)
    expected.set(digestInfo, 3 + psLength)
    return equalBytes(em, expected)
  })
}

/** The parameters of an RSASSA-PSS signature (RFC 4055 §3.1). */
export interface PssParameters {
  readonly hash: CmsDigestAlgorithm
  readonly mgf1Hash: CmsDigestAlgorithm
  readonly saltLength: number
}

/**
 * RSASSA-PSS verification (RFC 8017 §8.1.2) of a signature over a message whose `params.hash` digest is `mHash`,
 * with MGF1 over `params.mgf1Hash` and exactly `params.saltLength` bytes of salt, trailer 0xbc.
 *
 * @example
 * ```ts
 * const ok = verifyPss(key, { hash: 'SHA-256', mgf1Hash: 'SHA-1', saltLength: 32 }, digest, signatureValue)
 * ```
 */
export function verifyPss(key: RsaPublicKey, params: PssParameters, mHash: Uint8Array, signature: Uint8Array): boolean {
  const k = Math.ceil(key.bits / 8)
  const m = publicOperation(key, signature, k)
  if (m === undefined) return false
  // §8.1.2 step 2c: EM = I2OSP(m, emLen) with emBits = modBits - 1; a modulus of 8n+1 bits leaves a zero octet.
  const emBits = key.bits - 1
  const emLen = Math.ceil(emBits / 8)
  if (m.subarray(0, k - emLen).some((octet) => octet !== 0)) return false
  const em = m.subarray(k - emLen)
  // EMSA-PSS-VERIFY, §9.1.2.
  const hLen = cmsDigestLength(params.hash)
  const sLen = params.saltLength
  if (mHash.length !== hLen || sLen < 0 || emLen < hLen + sLen + 2) return false
  if (em[emLen - 1] !== 0xbc) return false
  const maskedDb = em.subarray(0, emLen - hLen - 1)
  const h = em.subarray(emLen - hLen - 1, emLen - 1)
  const unusedBits = 8 * emLen - emBits
  const topMask = 0xff >> unusedBits
  if (((maskedDb[0] ?? 0) & ~topMask & 0xff) !== 0) return false
  const dbMask = mgf1(params.mgf1Hash, h, maskedDb.length)
  const db = maskedDb.map((octet, index) => octet ^ (dbMask[index] ?? 0))
  db[0] = (db[0] ?? 0) & topMask
  const zeros = emLen - hLen - sLen - 2
  if (db.subarray(0, zeros).some((octet) => octet !== 0) || db[zeros] !== 0x01) return false
  const salt = db.subarray(db.length - sLen)
  const mPrime = new Uint8Array(8 + hLen + sLen)
  mPrime.set(mHash, 8)
  mPrime.set(salt, 8 + hLen)
  return equalBytes(cmsDigest(params.hash, mPrime), h)
}

/** MGF1 (RFC 8017 appendix B.2.1). */
function mgf1(hash: CmsDigestAlgorithm, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const counter = new Uint8Array(4)
  for (let offset = 0, c = 0; offset < length; c++) {
    new DataView(counter.buffer).setUint32(0, c)
    const block = new Uint8Array(createDigest(hash).update(seed).update(counter).digest())
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset)
    offset += block.length
  }
  return out
}

/**
 * RSAVP1 (§5.2.2): s^e mod n as k octets, or undefined when the signature is not an integer below the modulus. A
 * signature shorter than the modulus is taken with its leading zero octets restored, as OpenSSL does.
 */
function publicOperation(key: RsaPublicKey, signature: Uint8Array, k: number): Uint8Array | undefined {
  if (signature.length > k || signature.length === 0) return undefined
  const s = toBigInt(signature)
  if (s >= key.modulus) return undefined
  const m = modPow(s, key.exponent, key.modulus)
  const hex = m.toString(16).padStart(2 * k, '0')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
  }
  return result
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}
