import type { KeyObject } from 'node:crypto'
import { SceauError } from '../errors.js'
import type { KeyDescription, NamedCurve } from './signer.js'

const CURVES: Readonly<Record<string, NamedCurve>> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
}

const CURVE_BITS: Readonly<Record<NamedCurve, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }

/** Maps an OpenSSL or JOSE curve name to sceau's; undefined when the curve is not one sceau signs with. */
export function namedCurve(name: string | undefined): NamedCurve | undefined {
  return name === undefined ? undefined : CURVES[name]
}

/** Describes a curve as a {@link KeyDescription}. */
export function ecKey(curve: NamedCurve): KeyDescription {
  return { type: 'EC', curve, size: CURVE_BITS[curve] }
}

/** Describes a Node key (private or public); throws `ALGORITHM_UNSUPPORTED` for other key types. */
export function describeKeyObject(key: KeyObject): KeyDescription {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return { type: 'RSA', size: details.modulusLength ?? 0 }
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = namedCurve(details.namedCurve)
    if (curve !== undefined) return ecKey(curve)
  }
  throw new SceauError(
    'ALGORITHM_UNSUPPORTED',
    `keys of type ${key.asymmetricKeyType ?? 'unknown'}${details.namedCurve ? ` (${details.namedCurve})` : ''} are not supported; sceau signs with RSA and EC P-256/P-384/P-521 keys`,
    { details: { keyType: key.asymmetricKeyType ?? 'unknown' } },
  )
}
