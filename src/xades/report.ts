// The verdicts `verifyXml` returns: ETSI EN 319 102-1 indications per signature and per document.

import type { CertificateReport } from '../policy/check-certificate.js'
import type { Indication, SignatureCheck } from '../policy/signature-verdict.js'

/** What one Reference of a signature covers. */
export interface CoveredElement {
  /** The Reference URI as written. */
  readonly uri: string
  /** `document` (the root), `bordereau`, `signed-properties` or `element`. */
  readonly scope: 'document' | 'bordereau' | 'signed-properties' | 'element'
  /** Qualified name of the element. */
  readonly element: string
  readonly id?: string
  readonly digestValid: boolean
}

/** The verdict on one signature. */
export interface SignatureReport {
  readonly id?: string
  readonly indication: Indication
  readonly subIndication?: string
  /** Start offset of the ds:Signature in the file. */
  readonly offset: number
  /** Qualified name of the element that holds the signature. */
  readonly parent: string
  readonly covers: readonly CoveredElement[]
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  /** Claimed (XAdES SigningTime), not proven: no timestamp. */
  readonly signingTime?: string
  readonly signatureMethod: string
  readonly xades?: {
    readonly version: string
    readonly policy?: { readonly oid: string; readonly hash?: string; readonly known: boolean }
    readonly role?: string
    readonly place?: { readonly city?: string; readonly postalCode?: string; readonly country?: string }
  }
  readonly checks: readonly SignatureCheck[]
  readonly certificate?: CertificateReport
}

/** The verdict on a document. */
export interface XmlVerificationReport {
  readonly file?: string
  /** `pes` when the root is PES_Aller (the DGFiP profile is applied), else `xml`. */
  readonly kind: 'pes' | 'xml'
  /** The worst of the signatures and of the document checks. */
  readonly indication: Indication
  readonly subIndication?: string
  readonly signatures: readonly SignatureReport[]
  /** Checks on the document as a whole (PES: every bordereau signed, InfoDematerialisee). */
  readonly checks: readonly SignatureCheck[]
}

export { decide, type Indication, type SignatureCheck } from '../policy/signature-verdict.js'
