import { concatBytes } from '../bytes.js'
import { SceauError } from '../errors.js'

/**
 * The one place where ECDSA signatures change form. PKCS#11 `CKM_ECDSA`, WebCrypto and XML-DSig use
 * IEEE P1363 (r‖s, each left-padded to the curve's order length); CMS and X.509 use a DER
 * `SEQUENCE { INTEGER r, INTEGER s }`.
 */

/**
 * Converts r‖s to DER.
 *
 * @example
 * ```ts
 * const der = ecdsaP1363ToDer(await signer.sign(tbs, 'ECDSA-SHA256'))
 * ```
 */
export function ecdsaP1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0 || signature.length > 132) {
    throw new SceauError('INPUT_MALFORMED', `an ECDSA r‖s signature has an even length up to 132 bytes, got ${signature.length}`)
  }
  const half = signature.length / 2
  const r = derInteger(signature.subarray(0, half))
  const s = derInteger(signature.subarray(half))
  return concatBytes([[0x30], derLength(r.length + s.length), r, s])
}

/**
 * Converts a DER ECDSA signature to r‖s with each half `orderLength` bytes (32 for P-256, 48 for P-384, 66 for P-521).
 *
 * @example
 * ```ts
 * const p1363 = ecdsaDerToP1363(derFromCms, 32)
 * ```
 */
export function ecdsaDerToP1363(der: Uint8Array, orderLength: number): Uint8Array {
  const fail = (why: string): never => {
    throw new SceauError('INPUT_MALFORMED', `not a DER ECDSA signature: ${why}`)
  }
  let offset = 0
  if (der[offset++] !== 0x30) fail('expected a SEQUENCE')
  const [seqLength, afterSeqLength] = readLength(der, offset) ?? fail('bad SEQUENCE length')
  offset = afterSeqLength
  if (offset + seqLength !== der.length) fail('SEQUENCE length does not match the input')
  const out = new Uint8Array(orderLength * 2)
  for (let i = 0; i < 2; i++) {
    if (der[offset++] !== 0x02) fail('expected an INTEGER')
    const [length, start] = readLength(der, offset) ?? fail('bad INTEGER length')
    let value = der.subarray(start, start + length)
    if (value.length !== length || length === 0) fail('truncated INTEGER')
    if ((value[0] ?? 0) & 0x80) fail('negative INTEGER')
    while (value.length > 1 && value[0] === 0) value = value.subarray(1)
    if (value.length > orderLength) fail(`INTEGER longer than ${orderLength} bytes`)
    out.set(value, orderLength * (i + 1) - value.length)
    offset = start + length
  }
  if (offset !== der.length) fail('trailing bytes')
  return out
}

function derInteger(unsigned: Uint8Array): Uint8Array {
  let start = 0
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++
  const value = unsigned.subarray(start)
  const pad = (value[0] ?? 0) & 0x80 ? [0] : []
  return concatBytes([[0x02], derLength(value.length + pad.length), pad, value])
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length]
  if (length < 0x100) return [0x81, length]
  return [0x82, length >> 8, length & 0xff]
}

function readLength(bytes: Uint8Array, offset: number): [number, number] | undefined {
  const first = bytes[offset]
  if (first === undefined) return undefined
  if (first < 0x80) return [first, offset + 1]
  const count = first & 0x7f
  if (count === 0 || count > 2) return undefined
  let length = 0
  for (let i = 1; i <= count; i++) {
    const b = bytes[offset + i]
    if (b === undefined) return undefined
    length = (length << 8) | b
  }
  return [length, offset + 1 + count]
}
