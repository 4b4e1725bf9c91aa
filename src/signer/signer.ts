/**
 * The seam every signature format uses: a certificate, its chain, and "sign these bytes".
 * The XAdES, PAdES and batch layers see only this interface, so they work the same with a PKCS#11 token,
 * a PKCS#12 file or an in-memory key.
 *
 * @packageDocumentation
 */

import type { KeyDescription, SignatureAlgorithm } from '../types.js'

export type { DigestAlgorithm, KeyDescription, KeyType, NamedCurve, SignatureAlgorithm } from '../types.js'

/** Options of {@link Signer.sign}. */
export interface SignOptions {
  /** Cancels a signature that has not reached the key yet. */
  readonly signal?: AbortSignal
}

/**
 * A key and its certificate, able to sign.
 *
 * @example
 * ```ts
 * import { KeySigner } from 'sceau/signer'
 * const signer = await KeySigner.fromPkcs8({ key: pkcs8Der, certificate: certDer })
 * const signature = await signer.sign(new TextEncoder().encode('hello'), signer.algorithms[0])
 * ```
 */
export interface Signer {
  /** DER of the signing certificate. */
  readonly certificate: Uint8Array
  /** DER of the issuers, leaf excluded, nearest first, as far as the key source knows them. */
  readonly chain: readonly Uint8Array[]
  /** The key behind the signer. */
  readonly key: KeyDescription
  /** Algorithms this key can produce, best first (from the key type and, on a token, its mechanisms). */
  readonly algorithms: readonly SignatureAlgorithm[]
  /** Upper bound of a signature's length in bytes (DER form for ECDSA), so PAdES can size /Contents first. */
  readonly maxSignatureLength: number
  /**
   * How many `sign` calls the key serves at the same time (a token's session count); absent when it does not
   * matter. The batch core sizes its pipeline from it.
   */
  readonly parallelSignatures?: number
  /**
   * Signs `toBeSigned` (a canonical SignedInfo, DER SignedAttributes: a few KB). The signer hashes it;
   * a PKCS#11 signer sends only the digest to the token.
   *
   * @returns the signature; for ECDSA the IEEE P1363 form r‖s (convert with `ecdsaP1363ToDer` for CMS).
   */
  sign(toBeSigned: Uint8Array, algorithm: SignatureAlgorithm, options?: SignOptions): Promise<Uint8Array>
}
