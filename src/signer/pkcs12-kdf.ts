/**
 * The PKCS#12 key derivation function (RFC 7292 appendix B) and the password encoding it expects.
 *
 * It derives the HMAC key of a PFX's MacData and the keys and IVs of the legacy pbeWithSHAAnd… schemes.
 * OpenSSL 3 has it (`PKCS12KDF`), but Node exposes no binding, so it is written out over `createHash`.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'

/** Hashes the KDF runs over, by Node name. */
export type Pkcs12KdfHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512'

/** Which material to derive (RFC 7292 B.3). */
export const PKCS12_KDF_ID = { key: 1, iv: 2, mac: 3 } as const

/** Options of {@link pkcs12Kdf}. */
export interface Pkcs12KdfOptions {
  readonly hash: Pkcs12KdfHash
  /** The password as a BMPString with its two zero bytes (see {@link bmpPassword}), or empty for "no password". */
  readonly password: Uint8Array
  readonly salt: Uint8Array
  /** 1 for a key, 2 for an IV, 3 for a MAC key. */
  readonly id: 1 | 2 | 3
  readonly iterations: number
  /** Bytes to produce. */
  readonly length: number
}

// u and v of RFC 7292 B.2: output and input block sizes in bytes.
const SIZES: Readonly<Record<Pkcs12KdfHash, { readonly u: number; readonly v: number }>> = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
}

/**
 * Encodes a password the way RFC 7292 B.1 wants it: a BMPString, big-endian UTF-16 code units, followed by
 * two zero bytes. An empty password is therefore the two zero bytes, not nothing. Characters outside the
 * BMP become surrogate pairs, as OpenSSL's `OPENSSL_utf82uni` does.
 *
 * @example
 * ```ts
 * import { bmpPassword } from './pkcs12-kdf.js'
 * bmpPassword('é') // Uint8Array [0x00, 0xe9, 0x00, 0x00]
 * ```
 */
export function bmpPassword(password: string): Uint8Array {
  const out = new Uint8Array(2 * password.length + 2)
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i)
    out[2 * i] = unit >>> 8
    out[2 * i + 1] = unit & 0xff
  }
  return out
}

/**
 * Derives `length` bytes with the PKCS#12 KDF (RFC 7292 B.2).
 *
 * Synchronous: it is pure computation, bounded by the iteration count the caller has already checked.
 *
 * @throws RangeError for a non-positive iteration count or length
 * @example
 * ```ts
 * import { bmpPassword, pkcs12Kdf } from './pkcs12-kdf.js'
 * const macKey = pkcs12Kdf({ hash: 'sha256', password: bmpPassword('secret'), salt, id: 3, iterations: 2048, length: 32 })
 * ```
 */
export function pkcs12Kdf(options: Pkcs12KdfOptions): Uint8Array {
  const { hash, password, salt, id, iterations, length } = options
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError('the iteration count must be at least 1')
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError('the output length must be at least 1')
  const { u, v } = SIZES[hash]
  const d = new Uint8Array(v).fill(id)
  const s = repeatToBlocks(salt, v)
  const p = repeatToBlocks(password, v)
  const i = new Uint8Array(s.length + p.length)
  i.set(s)
  i.set(p, s.length)
  const out = new Uint8Array(length)
  const blocks = Math.ceil(length / u)
  const b = new Uint8Array(v)
  for (let n = 0; n < blocks; n++) {
    let a: Uint8Array = createHash(hash).update(d).update(i).digest()
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest()
    out.set(a.subarray(0, Math.min(u, length - n * u)), n * u)
    if (n === blocks - 1) break
    for (let k = 0; k < v; k++) b[k] = a[k % u]!
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block I_j of I, big-endian.
    for (let j = 0; j < i.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k]! + b[k]! + carry
        i[j + k] = sum & 0xff
        carry = sum >>> 8
      }
    }
  }
  i.fill(0)
  p.fill(0)
  return out
}

// RFC 7292 B.2 steps 2-3: concatenate copies of `data` to fill whole v-byte blocks; empty stays empty.
function repeatToBlocks(data: Uint8Array, v: number): Uint8Array {
  if (data.length === 0) return new Uint8Array(0)
  const out = new Uint8Array(v * Math.ceil(data.length / v))
  for (let k = 0; k < out.length; k++) out[k] = data[k % data.length]!
  return out
}
