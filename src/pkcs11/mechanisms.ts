import { SceauError } from '../errors.js'
import type { DigestAlgorithm } from '../types.js'
import { CKG_MGF1, CKM } from './attributes.js'
import { pkcs11js } from './native.js'

/**
 * The raw signing operations sceau asks of a token. Every one of them signs a digest computed in Node
 * (or a DigestInfo around it), so documents never cross the PKCS#11 interface, whatever their size.
 */
export type RawSignMechanism =
  { readonly kind: 'RSA_PKCS' } | { readonly kind: 'RSA_PKCS_PSS'; readonly hash: DigestAlgorithm } | { readonly kind: 'ECDSA' }

const HASH_MECHANISMS: Readonly<Record<DigestAlgorithm, { hashAlg: number; mgf: number; saltLen: number }>> = {
  'SHA-256': { hashAlg: CKM.SHA256, mgf: CKG_MGF1.SHA256, saltLen: 32 },
  'SHA-384': { hashAlg: CKM.SHA384, mgf: CKG_MGF1.SHA384, saltLen: 48 },
  'SHA-512': { hashAlg: CKM.SHA512, mgf: CKG_MGF1.SHA512, saltLen: 64 },
}

/** The CKM_* number of a raw mechanism. */
export function mechanismNumber(mechanism: RawSignMechanism): number {
  return mechanism.kind === 'RSA_PKCS' ? CKM.RSA_PKCS : mechanism.kind === 'ECDSA' ? CKM.ECDSA : CKM.RSA_PKCS_PSS
}

/** The pkcs11js CK_MECHANISM structure for a raw mechanism. */
export function toCkMechanism(mechanism: RawSignMechanism): {
  mechanism: number
  parameter?: { type: number; hashAlg: number; mgf: number; saltLen: number }
} {
  if (mechanism.kind === 'RSA_PKCS_PSS') {
    const params = HASH_MECHANISMS[mechanism.hash]
    if (params === undefined) throw new SceauError('ALGORITHM_UNSUPPORTED', `RSA-PSS with ${String(mechanism.hash)} is not supported`)
    // Salt as long as the hash, MGF1 with the same hash: what RFC 4055 / XAdES / CMS verifiers expect.
    return { mechanism: CKM.RSA_PKCS_PSS, parameter: { type: pkcs11js().CK_PARAMS_RSA_PSS, ...params } }
  }
  return { mechanism: mechanismNumber(mechanism) }
}
