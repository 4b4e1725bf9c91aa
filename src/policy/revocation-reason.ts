/** CRLReason (RFC 5280 §5.3.1) by name: what CRL entries and OCSP revoked answers say. */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise'

// Code 7 is unused in RFC 5280.
const REASONS: Readonly<Record<number, RevocationReason>> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
}

/** The name of a CRLReason code; undefined for a code RFC 5280 does not define. */
export function revocationReasonName(code: number): RevocationReason | undefined {
  return REASONS[code]
}
