/**
 * Commitment types: what the signer commits to (ETSI TS 119 172-1 §A.2.1), shared by CAdES and XAdES.
 *
 * @packageDocumentation
 */

import { SceauError } from './errors.js'

/** The six commitment types ETSI defines; parapheurs use `approval` ("visa") and `origin` ("signature") most. */
export type CommitmentType = 'origin' | 'receipt' | 'delivery' | 'sender' | 'approval' | 'creation'

/** Each type's OID (CAdES commitment-type-indication) and URI (XAdES CommitmentTypeIndication, TS 101 903 §7.2.6). */
export const COMMITMENT_TYPES: Readonly<Record<CommitmentType, { readonly oid: string; readonly uri: string }>> = {
  origin: { oid: '1.2.840.113549.1.9.16.6.1', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin' },
  receipt: { oid: '1.2.840.113549.1.9.16.6.2', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfReceipt' },
  delivery: { oid: '1.2.840.113549.1.9.16.6.3', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfDelivery' },
  sender: { oid: '1.2.840.113549.1.9.16.6.4', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfSender' },
  approval: { oid: '1.2.840.113549.1.9.16.6.5', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfApproval' },
  creation: { oid: '1.2.840.113549.1.9.16.6.6', uri: 'http://uri.etsi.org/01903/v1.2.2#ProofOfCreation' },
}

/** The commitment type a name (as on the command line), OID or URI stands for; `USAGE` error otherwise. */
export function commitmentTypeOf(value: string): CommitmentType {
  for (const [name, ids] of Object.entries(COMMITMENT_TYPES) as [CommitmentType, { oid: string; uri: string }][]) {
    if (value === name || value === ids.oid || value === `urn:oid:${ids.oid}` || value === ids.uri) return name
  }
  throw new SceauError('USAGE', `commitment type "${value}": one of ${Object.keys(COMMITMENT_TYPES).join(', ')}`)
}

/** The name of the commitment type with this OID or URI, if it is one of the six. */
export function commitmentTypeName(id: string): CommitmentType | undefined {
  try {
    return commitmentTypeOf(id)
  } catch {
    return undefined
  }
}
