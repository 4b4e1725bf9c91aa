/**
 * The URIs of ETSI TS 119 612 that sceau reads in trusted lists, spelled as the real lists spell them
 * (checked against the French TL seq 112 and the EU LOTL seq 332).
 *
 * @packageDocumentation
 */

/**
 * XML namespaces of a trusted list.
 *
 * @example
 * ```ts
 * children(parent, TL_NAMESPACES.ecc, 'QualificationElement')
 * ```
 */
export const TL_NAMESPACES = {
  /** The TSL schema itself (`TrustServiceStatusList`, `TSPService`…). */
  tsl: 'http://uri.etsi.org/02231/v2#',
  /** Additional types (`MimeType`, `ExtendedKeyUsage`, `TakenOverBy`, `CertSubjectDNAttribute`). */
  additionalTypes: 'http://uri.etsi.org/02231/v2/additionaltypes#',
  /** The ECC extension: `Qualifications`, `CriteriaList`, `KeyUsage`, `PolicySet`. */
  ecc: 'http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#',
  /** XAdES 1.3.2, whose `Identifier` carries the OIDs of a `PolicySet`. */
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
} as const

const TL = 'http://uri.etsi.org/TrstSvc/TrustedList'

/**
 * `TSLType` values.
 *
 * @example
 * ```ts
 * const isLotl = tl.tslType === TSL_TYPES.euListOfTheLists
 * ```
 */
export const TSL_TYPES = {
  euGeneric: `${TL}/TSLType/EUgeneric`,
  euListOfTheLists: `${TL}/TSLType/EUlistofthelists`,
} as const

/**
 * `ServiceStatus` values: the eIDAS ones (since 2016-07-01) and those of Directive 1999/93/EC.
 *
 * @example
 * ```ts
 * const granted = serviceStatusAt(service, date)?.status === SERVICE_STATUSES.granted
 * ```
 */
export const SERVICE_STATUSES = {
  granted: `${TL}/Svcstatus/granted`,
  withdrawn: `${TL}/Svcstatus/withdrawn`,
  underSupervision: `${TL}/Svcstatus/undersupervision`,
  supervisionInCessation: `${TL}/Svcstatus/supervisionincessation`,
  supervisionCeased: `${TL}/Svcstatus/supervisionceased`,
  supervisionRevoked: `${TL}/Svcstatus/supervisionrevoked`,
  accredited: `${TL}/Svcstatus/accredited`,
  accreditationCeased: `${TL}/Svcstatus/accreditationceased`,
  accreditationRevoked: `${TL}/Svcstatus/accreditationrevoked`,
} as const

/**
 * `ServiceTypeIdentifier` values sceau looks at.
 *
 * @example
 * ```ts
 * const qcCas = provider.services.filter((s) => s.typeIdentifier === SERVICE_TYPES.caQc)
 * ```
 */
export const SERVICE_TYPES = {
  caQc: 'http://uri.etsi.org/TrstSvc/Svctype/CA/QC',
  caPkc: 'http://uri.etsi.org/TrstSvc/Svctype/CA/PKC',
  nationalRootCaQc: 'http://uri.etsi.org/TrstSvc/Svctype/NationalRootCA-QC',
  ocspQc: 'http://uri.etsi.org/TrstSvc/Svctype/Certstatus/OCSP/QC',
  crlQc: 'http://uri.etsi.org/TrstSvc/Svctype/Certstatus/CRL/QC',
  tsaQtst: 'http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST',
} as const

/**
 * `AdditionalServiceInformation` URIs: what a CA/QC issues its certificates for, and root marking.
 *
 * @example
 * ```ts
 * const forSignatures = service.additionalServiceInfo.includes(ADDITIONAL_SERVICE_INFO.forESignatures)
 * ```
 */
export const ADDITIONAL_SERVICE_INFO = {
  forESignatures: `${TL}/SvcInfoExt/ForeSignatures`,
  forESeals: `${TL}/SvcInfoExt/ForeSeals`,
  forWebSiteAuthentication: `${TL}/SvcInfoExt/ForWebSiteAuthentication`,
  rootCaQc: `${TL}/SvcInfoExt/RootCA-QC`,
} as const

/**
 * `Qualifier@uri` values of a `QualificationElement`.
 *
 * @example
 * ```ts
 * const qscd = element.qualifiers.includes(QUALIFIERS.qcWithQscd)
 * ```
 */
export const QUALIFIERS = {
  qcWithQscd: `${TL}/SvcInfoExt/QCWithQSCD`,
  qcNoQscd: `${TL}/SvcInfoExt/QCNoQSCD`,
  qcQscdStatusAsInCert: `${TL}/SvcInfoExt/QCQSCDStatusAsInCert`,
  qcQscdManagedOnBehalf: `${TL}/SvcInfoExt/QCQSCDManagedOnBehalf`,
  qcWithSscd: `${TL}/SvcInfoExt/QCWithSSCD`,
  qcNoSscd: `${TL}/SvcInfoExt/QCNoSSCD`,
  qcSscdStatusAsInCert: `${TL}/SvcInfoExt/QCSSCDStatusAsInCert`,
  qcStatement: `${TL}/SvcInfoExt/QCStatement`,
  notQualified: `${TL}/SvcInfoExt/NotQualified`,
  qcForESig: `${TL}/SvcInfoExt/QCForESig`,
  qcForESeal: `${TL}/SvcInfoExt/QCForESeal`,
  qcForWsa: `${TL}/SvcInfoExt/QCForWSA`,
  qcForLegalPerson: `${TL}/SvcInfoExt/QCForLegalPerson`,
} as const

/**
 * The MIME type of an XML trusted list, as the LOTL pointers give it (the PDF copies have `application/pdf`).
 *
 * @example
 * ```ts
 * const xmlPointer = lotl.pointers.find((p) => p.territory === 'FR' && p.mimeType === TSL_XML_MIME_TYPE)
 * ```
 */
export const TSL_XML_MIME_TYPE = 'application/vnd.etsi.tsl+xml'
