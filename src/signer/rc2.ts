/**
 * RC2 decryption in CBC mode (RFC 2268), for the certificates of legacy PKCS#12 files.
 *
 * `openssl pkcs12 -legacy`, Windows before 2019 and many CA web portals encrypt the certificate bags with
 * pbeWithSHAAnd40BitRC2-CBC. Node 20 ships OpenSSL 3, where RC2 lives in the legacy provider that Node does
 * not load (`crypto.getCiphers()` has no `rc2-*`), so the cipher is written out here. Decryption only: sceau
 * never writes RC2.
 *
 * @packageDocumentation
 */

// RFC 2268 §2: a permutation of 0..255 built from the digits of pi.
const PITABLE = Uint8Array.from(
  (
    'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32' +
    'bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
    '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a' +
    '961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
    '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e' +
    'c5f3db47e5a59c770aa62068fe7fc1ad'
  ).match(/../g)!,
  (pair) => parseInt(pair, 16),
)

/** Options of {@link rc2CbcDecrypt}. */
export interface Rc2Options {
  /** The key, 1 to 128 bytes. */
  readonly key: Uint8Array
  /** The 8-byte CBC initialisation vector. */
  readonly iv: Uint8Array
  /**
   * RFC 2268's "effective key bits" (T1), 1 to 1024. The PKCS#12 schemes use 40 and 128; RC2-CBC under
   * PBES2 carries it in its parameters.
   */
  readonly effectiveBits: number
}

/**
 * Decrypts RC2-CBC ciphertext. Padding is left in place: the caller knows which padding the format uses and
 * what a bad one means (for PKCS#12, a wrong password).
 *
 * @throws RangeError when the key, IV, effective bits or ciphertext length are out of range
 * @example
 * ```ts
 * import { rc2CbcDecrypt } from './rc2.js'
 * const padded = rc2CbcDecrypt(ciphertext, { key, iv, effectiveBits: 40 })
 * ```
 */
export function rc2CbcDecrypt(ciphertext: Uint8Array, options: Rc2Options): Uint8Array {
  if (options.iv.length !== 8) throw new RangeError('the RC2 IV must be 8 bytes')
  if (ciphertext.length % 8 !== 0) throw new RangeError('RC2 ciphertext must be a whole number of 8-byte blocks')
  const k = expandKey(options.key, options.effectiveBits)
  const out = new Uint8Array(ciphertext.length)
  let previous = options.iv
  const r = new Uint16Array(4)
  for (let offset = 0; offset < ciphertext.length; offset += 8) {
    const block = ciphertext.subarray(offset, offset + 8)
    for (let i = 0; i < 4; i++) r[i] = block[2 * i]! | (block[2 * i + 1]! << 8)
    decryptBlock(r, k)
    for (let i = 0; i < 4; i++) {
      const word = r[i]!
      out[offset + 2 * i] = (word & 0xff) ^ previous[2 * i]!
      out[offset + 2 * i + 1] = (word >>> 8) ^ previous[2 * i + 1]!
    }
    previous = block
  }
  return out
}

// RFC 2268 §2: key expansion into 64 16-bit words.
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const t = key.length
  if (t < 1 || t > 128) throw new RangeError('an RC2 key is 1 to 128 bytes')
  if (!Number.isInteger(effectiveBits) || effectiveBits < 1 || effectiveBits > 1024) {
    throw new RangeError('RC2 effective key bits must be 1 to 1024')
  }
  const l = new Uint8Array(128)
  l.set(key)
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!
  const t8 = Math.ceil(effectiveBits / 8)
  const tm = 0xff >> (8 * t8 - effectiveBits)
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!
  const k = new Uint16Array(64)
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8)
  l.fill(0)
  return k
}

const SHIFTS = [1, 2, 3, 5] as const

// RFC 2268 §4.5: five mixing rounds, a mashing round, six mixing, a mashing, five mixing, all reversed.
function decryptBlock(r: Uint16Array, k: Uint16Array): void {
  let j = 63
  const mix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i]!
      const x = r[i]!
      const rotated = ((x >>> s) | (x << (16 - s))) & 0xffff
      const a = r[(i + 3) & 3]!
      const b = r[(i + 2) & 3]!
      const c = r[(i + 1) & 3]!
      r[i] = rotated - k[j]! - (a & b) - (~a & c)
      j--
    }
  }
  const mash = (): void => {
    for (let i = 3; i >= 0; i--) r[i] = r[i]! - k[r[(i + 3) & 3]! & 63]!
  }
  for (let n = 0; n < 5; n++) mix()
  mash()
  for (let n = 0; n < 6; n++) mix()
  mash()
  for (let n = 0; n < 5; n++) mix()
}
