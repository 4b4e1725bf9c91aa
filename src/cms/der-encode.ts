import * as asn1js from 'asn1js'
import { concatBytes } from '../bytes.js'

// Hand-built DER for the structures whose bytes must be exact: the signed attributes (they are what is signed),
// the issuer names copied from certificates, and the SignedData wrapper around them. A schema library would
// decode and re-encode names and attributes, which is not guaranteed to give back the same bytes.

/** Tags used by the CMS encoders. */
export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0,
  context1: 0xa1,
  context4: 0xa4,
} as const

/** One element: `tag`, a definite length, then the concatenated `contents`. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concatBytes(contents)
  return concatBytes([[tag], lengthOctets(body.length), body])
}

/** The identifier and length octets of an element whose contents are `length` bytes, written separately. */
export function tlvHeader(tag: number, length: number): Uint8Array {
  return new Uint8Array([tag, ...lengthOctets(length)])
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Uint8Array {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER())
}

/** A non-negative INTEGER. */
export function smallInteger(value: number): Uint8Array {
  return new Uint8Array(new asn1js.Integer({ value }).toBER())
}

/**
 * A DER SET OF: X.690 §11.6 orders the encodings as octet strings, the shorter padded with trailing zeros.
 * BER would accept any order, but a verifier re-encoding the signed attributes in DER would then hash other bytes.
 */
export function setOf(elements: readonly Uint8Array[], tag: number = TAG.set): Uint8Array {
  return tlv(tag, ...[...elements].sort(compareDer))
}

/** The X.690 §11.6 order of two encodings. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length]
  const octets: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256)
  return [0x80 | octets.length, ...octets]
}
