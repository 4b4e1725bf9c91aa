/**
 * Certificate policy: can this certificate sign this kind of document at this date, and why not. Chain building,
 * revocation (CRL, OCSP), ETSI trusted lists, qualification the way the EU's DSS computes it, and the RGS** /
 * eIDAS profiles.
 *
 * @packageDocumentation
 */
export {
  checkCertificate,
  anchorsFromTrustedLists,
  type CheckCertificateOptions,
  type CertificateReport,
  type RevocationOptions,
} from './check-certificate.js'
export { worst, type Check, type CheckStatus, type Indication, type SubIndication } from '../verdicts.js'
export { buildChain, type BuildChainOptions, type ChainResult, type ChainElement } from './chain.js'
export { parseCrl, checkCrl, type ParsedCrl, type CheckCrlOptions } from './crl.js'
export { CrlCache } from './crl-cache.js'
export { checkOcsp, OcspCache, type CheckOcspOptions, type OcspCheckResult } from './ocsp.js'
export { qualifyCertificate, type Qualification, type QualificationResult } from './qualification.js'
export { evaluateProfile, PROFILE_NAMES, RGS_SIGNATURE_POLICY_OIDS, type ProfileName } from './profiles.js'
export {
  parseTrustedList,
  verifyTrustedListSignature,
  serviceStatusAt,
  findServicesForCertificate,
  type TrustedList,
  type TrustedListSignatureResult,
} from './trusted-list/index.js'
