/**
 * ETSI TS 119 612 trusted lists: parse the EU LOTL and national TLs, read a service's status at a date,
 * evaluate qualification criteria, find the services that issued a certificate.
 *
 * @packageDocumentation
 */

export { parseTrustedList, type ParseTrustedListOptions } from './parse.js'
export { serviceStatusAt } from './status.js'
export { verifyTrustedListSignature, type TrustedListSignatureResult, type VerifyTrustedListSignatureOptions } from './signature.js'
export { matchesCriteria, type CriteriaMatch, type CriteriaSubject } from './criteria.js'
export { findServicesForCertificate, type ServiceMatch } from './find.js'
export {
  ADDITIONAL_SERVICE_INFO,
  QUALIFIERS,
  SERVICE_STATUSES,
  SERVICE_TYPES,
  TL_NAMESPACES,
  TSL_TYPES,
  TSL_XML_MIME_TYPE,
} from './uris.js'
export type {
  CriteriaAssert,
  CriteriaList,
  DigitalIdentity,
  KeyUsageCriterion,
  LocalizedText,
  OtherCriterion,
  OtherExtension,
  QualificationElement,
  ServiceStatusEntry,
  TrustedList,
  TrustService,
  TrustServiceProvider,
  TslPointer,
} from './types.js'
