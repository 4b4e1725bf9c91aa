/**
 * Types shared by every layer: algorithm names and key descriptions.
 *
 * @packageDocumentation
 */

/** Hash algorithms sceau signs with. SHA-1 is only ever read, never produced. */
export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512'

/** Signature algorithms a {@link Signer} may produce. */
export type SignatureAlgorithm =
  | 'RSASSA-PKCS1-v1_5-SHA256'
  | 'RSASSA-PKCS1-v1_5-SHA384'
  | 'RSASSA-PKCS1-v1_5-SHA512'
  | 'RSASSA-PSS-SHA256'
  | 'RSASSA-PSS-SHA384'
  | 'RSASSA-PSS-SHA512'
  | 'ECDSA-SHA256'
  | 'ECDSA-SHA384'
  | 'ECDSA-SHA512'

/** Key types the signers handle. */
export type KeyType = 'RSA' | 'EC'

/** Named curves the signers handle. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521'

/** What a signer knows of its key, for display and algorithm choice. */
export type KeyDescription =
  { readonly type: 'RSA'; readonly size: number } | { readonly type: 'EC'; readonly curve: NamedCurve; readonly size: number }
