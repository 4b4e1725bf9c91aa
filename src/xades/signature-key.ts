// The public key a ds:Signature is verified with: the signer's certificate when KeyInfo has one, else the key
// KeyInfo writes out (RSAKeyValue, DSAKeyValue, dsig11:ECKeyValue, dsig11:DEREncodedKeyValue; XML-DSig 1.1 §4.5.2,
// §4.5.6).

import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import type { ReadKeyValue } from './read-signature.js'

/** A key to verify with, and where it came from; or why there is none. */
export type SignatureKey =
  | { readonly key: KeyObject; readonly from: 'certificate' | 'key-value'; readonly problem?: undefined }
  | { readonly key?: undefined; readonly problem: string }

/**
 * The key of the signer certificate, else of the KeyValue.
 *
 * @example
 * ```ts
 * const found = signatureKey(certificate, read.keyValue)
 * if (found.key !== undefined) verify('sha256', data, found.key, value)
 * ```
 */
export function signatureKey(certificate: Uint8Array | undefined, keyValue: ReadKeyValue | undefined): SignatureKey {
  if (certificate !== undefined) {
    try {
      return { key: new X509Certificate(certificate).publicKey, from: 'certificate' }
    } catch (err) {
      return { problem: `the KeyInfo certificate cannot be read: ${err instanceof Error ? err.message : String(err)}` }
    }
  }
  if (keyValue === undefined)
    return { problem: 'KeyInfo holds neither an X509Certificate nor a key value: nothing to verify the signature with' }
  if (keyValue.kind === 'unsupported') return { problem: `KeyInfo's ${keyValue.element} is not a key sceau reads` }
  try {
    return { key: keyValueKey(keyValue), from: 'key-value' }
  } catch (err) {
    return { problem: `KeyInfo's key value cannot be used: ${err instanceof Error ? err.message : String(err)}` }
  }
}

function keyValueKey(value: Exclude<ReadKeyValue, { kind: 'unsupported' }>): KeyObject {
  if (value.kind === 'spki') return createPublicKey({ key: Buffer.from(value.der), format: 'der', type: 'spki' })
  if (value.kind === 'dsa') {
    // SubjectPublicKeyInfo of RFC 3279 §2.3.2: id-dsa with Dss-Parms, the key an INTEGER in the BIT STRING.
    const parameters = sequence(Buffer.concat([integer(value.p), integer(value.q), integer(value.g)]))
    const algorithm = sequence(Buffer.concat([objectIdentifier('1.2.840.10040.4.1'), parameters]))
    const key = tlv(0x03, Buffer.concat([Buffer.of(0), integer(value.y)]))
    return createPublicKey({ key: sequence(Buffer.concat([algorithm, key])), format: 'der', type: 'spki' })
  }
  if (value.kind === 'rsa') {
    return createPublicKey({ key: { kty: 'RSA', n: base64url(value.modulus), e: base64url(value.exponent) }, format: 'jwk' })
  }
  // NamedCurve URI is urn:oid:<curve OID> (XML-DSig 1.1 §4.5.2.3.1); the SPKI is rebuilt around the point.
  const oid = /^urn:oid:([0-9.]+)$/i.exec(value.namedCurve)?.[1]
  if (oid === undefined) throw new Error(`NamedCurve "${value.namedCurve}" is not a urn:oid: URI`)
  const algorithm = sequence(Buffer.concat([objectIdentifier('1.2.840.10045.2.1'), objectIdentifier(oid)]))
  const point = tlv(0x03, Buffer.concat([Buffer.of(0), Buffer.from(value.publicKey)]))
  return createPublicKey({ key: sequence(Buffer.concat([algorithm, point])), format: 'der', type: 'spki' })
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  const header =
    length < 0x80
      ? Buffer.of(tag, length)
      : length < 0x100
        ? Buffer.of(tag, 0x81, length)
        : Buffer.of(tag, 0x82, length >> 8, length & 0xff)
  return Buffer.concat([header, content])
}

/** A DER INTEGER of an unsigned big-endian value (a zero byte added when the high bit is set). */
function integer(bytes: Uint8Array): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const value = Buffer.from(bytes.subarray(start))
  return tlv(0x02, (value[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.of(0), value]) : value)
}

function sequence(content: Buffer): Buffer {
  return tlv(0x30, content)
}

function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const bytes: number[] = [(arcs[0] as number) * 40 + (arcs[1] as number)]
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return tlv(0x06, Buffer.from(bytes))
}
