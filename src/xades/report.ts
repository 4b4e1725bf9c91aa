// The verdicts `verifyXml` returns: ETSI EN 319 102-1 indications per signature and per document.

import type { CertificateReport } from '../policy/check-certificate.js'
import type { Check, Verdict } from '../verdicts.js'

/** What one Reference of a signature covers. */
export interface CoveredElement {
  /** The Reference URI as written. */
  readonly uri: string
  /**
   * `document` (the root), `bordereau`, `signed-properties` or `element`; `detached` for a file outside the
   * document (a detached signature's content).
   */
  readonly scope: 'document' | 'bordereau' | 'signed-properties' | 'element' | 'detached'
  /** Qualified name of the element; for `detached`, the file name the URI gives (percent-decoded). */
  readonly element: string
  readonly id?: string
  /** For `detached`: the path of the file that was digested. */
  readonly file?: string
  readonly digestValid: boolean
}

/** The verdict on one signature. */
export type SignatureReport = Verdict & SignatureFacts

/** What {@link SignatureReport} says besides its verdict. */
export interface SignatureFacts {
  readonly id?: string
  /** Start offset of the ds:Signature in the file. */
  readonly offset: number
  /** Qualified name of the element that holds the signature. */
  readonly parent: string
  readonly covers: readonly CoveredElement[]
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  /** Claimed (XAdES SigningTime), not proven by itself. */
  readonly signingTime?: string
  /** ISO time proven by a valid SignatureTimeStamp (XAdES B-T); the signer certificate was judged at that time. */
  readonly timestamp?: string
  readonly signatureMethod: string
  readonly xades?: {
    readonly version: string
    readonly policy?: { readonly oid: string; readonly hash?: string; readonly known: boolean }
    readonly role?: string
    /** CommitmentTypeIndication: the ETSI name (`approval`…) when it is one of the six, else the URI. */
    readonly commitmentTypes?: readonly string[]
    readonly place?: { readonly city?: string; readonly postalCode?: string; readonly country?: string }
  }
  readonly checks: readonly Check[]
  readonly certificate?: CertificateReport
}

/** The verdict on a document: the worst of the signatures and of the document checks. */
export type XmlVerificationReport = Verdict & XmlDocumentFacts

/** What {@link XmlVerificationReport} says besides its verdict. */
export interface XmlDocumentFacts {
  readonly file?: string
  /** `pes` when the root is PES_Aller (the DGFiP profile is applied), else `xml`. */
  readonly kind: 'pes' | 'xml'
  readonly signatures: readonly SignatureReport[]
  /** Checks on the document as a whole (PES: every bordereau signed, InfoDematerialisee). */
  readonly checks: readonly Check[]
}
