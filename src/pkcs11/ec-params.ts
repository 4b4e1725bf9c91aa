import type { NamedCurve } from '../types.js'

// DER of the curve OIDs in CKA_EC_PARAMS (an ECParameters CHOICE holding a namedCurve OID).
const CURVES: ReadonlyArray<readonly [NamedCurve, string]> = [
  ['P-256', '06082a8648ce3d030107'],
  ['P-384', '06052b81040022'],
  ['P-521', '06052b81040023'],
]

/** The named curve of a CKA_EC_PARAMS value, or undefined for a curve sceau does not sign with. */
export function curveOfEcParams(params: Uint8Array): NamedCurve | undefined {
  const hex = Buffer.from(params).toString('hex')
  return CURVES.find(([, der]) => der === hex)?.[0]
}

/**
 * The uncompressed point 04‖x‖y inside CKA_EC_POINT. The spec says DER OCTET STRING, but some modules
 * return the raw point; accept both.
 */
export function rawEcPoint(value: Uint8Array): Uint8Array {
  // An uncompressed point is 1 + 2n bytes for n = 32, 48, 66; its DER wrapping is always longer.
  if (value[0] === 0x04 && RAW_POINT_LENGTHS.has(value.length)) return value
  if (value[0] === 0x04 && value[1] === value.length - 2) return value.subarray(2)
  if (value[0] === 0x04 && value[1] === 0x81 && value[2] === value.length - 3) return value.subarray(3)
  return value
}

const RAW_POINT_LENGTHS = new Set([65, 97, 133])
