/**
 * Object identifiers of CMS (RFC 5652), its attributes (RFC 5035, PKCS#9) and the algorithms sceau writes.
 *
 * @packageDocumentation
 */

/** Content types, attribute types and algorithm identifiers used by the CMS layer. */
export const CMS_OIDS = {
  /** id-data: the content is opaque bytes (a PDF byte range, a detached file). */
  data: '1.2.840.113549.1.7.1',
  /** id-signedData. */
  signedData: '1.2.840.113549.1.7.2',
  /** id-contentType (PKCS#9). */
  contentType: '1.2.840.113549.1.9.3',
  /** id-messageDigest (PKCS#9). */
  messageDigest: '1.2.840.113549.1.9.4',
  /** id-signingTime (PKCS#9). */
  signingTime: '1.2.840.113549.1.9.5',
  /** id-aa-signingCertificateV2 (RFC 5035). */
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signingCertificate (RFC 2634, SHA-1 only): read so that older signatures can be reported, never written. */
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  /** id-aa-signatureTimeStampToken (RFC 3161 appendix A): the unsigned attribute of PAdES B-T. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  /** id-countersignature (PKCS#9, RFC 5652 §11.4): a SignerInfo over another's signature value. */
  counterSignature: '1.2.840.113549.1.9.6',
  /** id-aa-ets-sigPolicyId (RFC 5126 §5.8.1): CAdES-EPES. */
  signaturePolicyIdentifier: '1.2.840.113549.1.9.16.2.15',
  /** id-aa-ets-commitmentType (RFC 5126 §5.11.1). */
  commitmentTypeIndication: '1.2.840.113549.1.9.16.2.16',
  /** id-spq-ets-uri: the SPuri policy qualifier. */
  spqEtsUri: '1.2.840.113549.1.9.16.5.1',
} as const
