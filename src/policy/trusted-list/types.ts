/**
 * The typed shape of an ETSI TS 119 612 trusted list, as {@link parseTrustedList} returns it. Plain data:
 * URIs stay URIs (see `uris.ts` for the known ones), certificates stay DER, dates are `Date`s.
 *
 * @packageDocumentation
 */

/** A text in one language (`xml:lang`), as TLs give names in several. */
export interface LocalizedText {
  /** The `xml:lang` of the element, when it has one. */
  readonly lang?: string
  readonly value: string
}

/** The digital identity of a service or of a TL signer: what the TL says identifies it. */
export interface DigitalIdentity {
  /** `X509Certificate` values, DER. */
  readonly certificates: readonly Uint8Array[]
  /** `X509SubjectName` values, as the TL writes them (not normalised). */
  readonly subjectNames: readonly string[]
  /** `X509SKI` values, lower-case hex (the form `describeCertificate` gives a subjectKeyIdentifier in). */
  readonly subjectKeyIdentifiers: readonly string[]
}

/** How a `CriteriaList` combines its children. */
export type CriteriaAssert = 'all' | 'atLeastOne' | 'none'

/**
 * One `KeyUsage` criterion: every listed bit must have the given value (true: set, false: clear).
 * Bit names are those of the TL (`digitalSignature`, `nonRepudiation`, `keyEncipherment`…).
 */
export type KeyUsageCriterion = Readonly<Record<string, boolean>>

/** A criterion sceau does not evaluate (`ExtendedKeyUsage`, `CertSubjectDNAttribute`, anything unknown). */
export interface OtherCriterion {
  /** Namespace URI of the element, empty when it has none. */
  readonly namespace: string
  /** Local name of the element, e.g. `ExtendedKeyUsage`. */
  readonly name: string
}

/** A `CriteriaList` of a `QualificationElement` (TS 119 612 §5.5.9.2.1). */
export interface CriteriaList {
  readonly assert: CriteriaAssert
  /** Each entry is one child: all its bits must match. */
  readonly keyUsage: readonly KeyUsageCriterion[]
  /** Each entry is one `PolicySet` child: every OID in it must be in the certificate. */
  readonly policySets: readonly (readonly string[])[]
  /** Nested `CriteriaList` children. */
  readonly criteriaLists: readonly CriteriaList[]
  /** Children of `otherCriteriaList` and unknown children: never matched, see `matchesCriteria`. */
  readonly otherCriteria: readonly OtherCriterion[]
  /** The `Description`, when present and not empty. */
  readonly description?: string
}

/** One `QualificationElement`: the qualifiers that apply to certificates meeting the criteria. */
export interface QualificationElement {
  /** `Qualifier@uri` values (see `QUALIFIERS`). */
  readonly qualifiers: readonly string[]
  readonly criteria: CriteriaList
}

/** A service information extension sceau does not interpret, kept so a caller can honour `Critical`. */
export interface OtherExtension {
  readonly namespace: string
  readonly name: string
  readonly critical: boolean
}

/**
 * The service as it was from `statusStartingTime` on: the `ServiceInformation` (current) or one
 * `ServiceHistoryInstance`, each with its own extensions.
 */
export interface ServiceStatusEntry {
  /** `ServiceTypeIdentifier` (see `SERVICE_TYPES`). */
  readonly typeIdentifier: string
  /** The English `ServiceName` when there is one, else the first. */
  readonly name: string
  readonly names: readonly LocalizedText[]
  readonly digitalIdentity: DigitalIdentity
  /** `ServiceStatus` (see `SERVICE_STATUSES`). */
  readonly status: string
  readonly statusStartingTime: Date
  /** `AdditionalServiceInformation/URI` values (see `ADDITIONAL_SERVICE_INFO`). */
  readonly additionalServiceInfo: readonly string[]
  /** The `Qualifications` extension's elements; empty when the extension is absent. */
  readonly qualifications: readonly QualificationElement[]
  /** `SchemeServiceDefinitionURI` values (the FR TL's RGS level markers live here, e.g. `…/FR/Signature-3-Stars`). */
  readonly schemeServiceDefinitionUris: readonly string[]
  /** Extensions other than `AdditionalServiceInformation` and `Qualifications`. */
  readonly otherExtensions: readonly OtherExtension[]
}

/** A `TSPService`: its current state and its history. */
export interface TrustService extends ServiceStatusEntry {
  /** `ServiceHistoryInstance`s, newest first (document order kept between equal starting times). */
  readonly history: readonly ServiceStatusEntry[]
}

/** A `TrustServiceProvider`. */
export interface TrustServiceProvider {
  /** The English `TSPName` when there is one, else the first. */
  readonly name: string
  readonly names: readonly LocalizedText[]
  /** `TSPTradeName` values (e.g. `VATFR-…`, `NTRFR-…`). */
  readonly tradeNames: readonly LocalizedText[]
  readonly services: readonly TrustService[]
}

/** An `OtherTSLPointer` of a list of lists: where a TL is and who may sign it. */
export interface TslPointer {
  /** `TSLLocation`. */
  readonly location: string
  /** `SchemeTerritory` of the pointed list, e.g. `FR`. */
  readonly territory?: string
  /** `MimeType`: `application/vnd.etsi.tsl+xml` or `application/pdf`. */
  readonly mimeType?: string
  /** `TSLType` of the pointed list. */
  readonly tslType?: string
  readonly schemeOperatorNames: readonly LocalizedText[]
  /** The certificates allowed to sign the pointed list, DER. */
  readonly signingCertificates: readonly Uint8Array[]
}

/** A parsed trusted list (national TL or the EU list of the lists). */
export interface TrustedList {
  /** `TSLVersionIdentifier` (5 for the lists in force since 2016, 6 from 2024). */
  readonly versionIdentifier: number
  readonly sequenceNumber: number
  /** `TSLType` (see `TSL_TYPES`). */
  readonly tslType: string
  /** True for a list of lists (its `TSLType` ends in `listofthelists`). */
  readonly isListOfLists: boolean
  /** The English `SchemeOperatorName` when there is one, else the first. */
  readonly schemeOperatorName: string
  readonly schemeOperatorNames: readonly LocalizedText[]
  /** `SchemeTerritory`, e.g. `FR`, `EU`. */
  readonly schemeTerritory: string
  /** `ListIssueDateTime`. */
  readonly issueDate: Date
  /** `NextUpdate/dateTime`; undefined for a closed list. */
  readonly nextUpdate: Date | undefined
  /** `DistributionPoints/URI` values. */
  readonly distributionPoints: readonly string[]
  /** `PointersToOtherTSL` entries (a national TL usually points back to the LOTL). */
  readonly pointers: readonly TslPointer[]
  readonly providers: readonly TrustServiceProvider[]
}
