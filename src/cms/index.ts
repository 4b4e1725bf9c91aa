/**
 * CMS SignedData (RFC 5652) around a {@link Signer}: the detached signatures PAdES and CAdES embed, and the
 * cryptographic checks of one. Certificate path validation is left to the policy layer.
 *
 * @packageDocumentation
 */

export { CMS_OIDS } from './oids.js'
export type { CmsSignatureAlgorithm } from './read-algorithm.js'
export { cmsDigestFromOid, createDigest, type CmsDigestAlgorithm } from './digests.js'
export { signedAttributes, type SignedAttributesOptions, type SignaturePolicyReference } from './signed-attributes.js'
export type { EssCertId } from './signing-certificate.js'
export { signCms, signSignerInfo, type SignCmsOptions, type SignedCms, type SignedSignerInfo, type UnsignedAttribute } from './sign.js'
export { joinSignedData, mergeSignedData, ocspRevocationChoice, signedDataFrame, type SignedDataParts } from './signed-data.js'
export { addUnsignedAttribute, withUnsignedAttribute } from './unsigned-attribute.js'
export {
  MAX_CMS_LENGTH,
  parseCms,
  type CmsAttribute,
  type CmsSignedAttributes,
  type CmsSignaturePolicy,
  type CmsSignerInfo,
  type ParsedCms,
  type SignerIdentifier,
} from './parse.js'
export {
  findSignerCertificate,
  verifyCms,
  verifySignerInfo,
  type CmsCheck,
  type CmsCheckId,
  type CmsVerification,
  type VerifyCmsOptions,
} from './verify.js'
