import { AsnConvert } from '@peculiar/asn1-schema'
import { SceauError } from '../errors.js'
import { digestLength } from '../signer/digest-info.js'
import type { DigestAlgorithm } from '../types.js'
import { digestAlgorithmIdentifier } from './algorithms.js'
import { oid, setOf, TAG, tlv } from './der-encode.js'
import { CMS_OIDS } from './oids.js'
import { encodeSigningCertificateV2 } from './signing-certificate.js'

/** What {@link signedAttributes} puts in the signed attributes. */
export interface SignedAttributesOptions {
  /** Digest of the content (for PAdES, of the byte range), computed with `hash`. */
  readonly contentDigest: Uint8Array
  /** The digest algorithm of the SignerInfo; it also hashes the certificate in signing-certificate-v2. */
  readonly hash: DigestAlgorithm
  /** DER of the signing certificate. */
  readonly certificate: Uint8Array
  /** eContentType of the signed data. Default id-data. */
  readonly contentType?: string
  /**
   * Adds a signing-time attribute. Omitted by default: PAdES baseline forbids it and puts the claimed time in the
   * signature dictionary's /M (ETSI EN 319 142-1 §5.3); CAdES may want it.
   */
  readonly signingTime?: Date
  /** CAdES-EPES: the signature policy the signer applies, with the digest of its document. */
  readonly signaturePolicy?: SignaturePolicyReference
  /** commitment-type-indication: the OID of what the signer commits to (see `COMMITMENT_TYPES`). */
  readonly commitmentType?: string
  /**
   * A counter-signature's attributes: RFC 5652 §11.4 forbids content-type there, and `contentDigest` is the digest
   * of the counter-signed signature value.
   */
  readonly counterSignature?: boolean
}

/** A signature policy as a CAdES signature-policy-identifier names it. */
export interface SignaturePolicyReference {
  readonly oid: string
  readonly hashAlgorithm: DigestAlgorithm
  /** Digest of the policy document. */
  readonly hash: Uint8Array
  /** Where the policy document can be read (SPuri qualifier). */
  readonly uri?: string
}

/**
 * DER of the signed attributes as the signature covers them (`SET OF Attribute`, tag 0x31; inside a SignerInfo
 * the same contents are tagged [0]): content-type, message-digest, signing-certificate-v2 and, when asked,
 * signing-time, in DER order.
 *
 * @example
 * ```ts
 * const attrs = signedAttributes({ contentDigest: digest('SHA-256', byteRange), hash: 'SHA-256', certificate: signer.certificate })
 * const signature = await signer.sign(attrs, 'RSASSA-PKCS1-v1_5-SHA256')
 * ```
 */
export function signedAttributes(options: SignedAttributesOptions): Uint8Array {
  return setOf(signedAttributeList(options))
}

/** The attributes of {@link signedAttributes}, each one DER `Attribute`, unsorted. */
export function signedAttributeList(options: SignedAttributesOptions): Uint8Array[] {
  const { contentDigest, hash, certificate } = options
  if (contentDigest.length !== digestLength(hash)) {
    throw new SceauError('INPUT_MALFORMED', `a ${hash} content digest is ${digestLength(hash)} bytes, got ${contentDigest.length}`)
  }
  const attributes = [
    attribute(CMS_OIDS.messageDigest, tlv(TAG.octetString, contentDigest)),
    attribute(CMS_OIDS.signingCertificateV2, encodeSigningCertificateV2(certificate, hash)),
  ]
  if (options.counterSignature !== true) attributes.push(attribute(CMS_OIDS.contentType, oid(options.contentType ?? CMS_OIDS.data)))
  if (options.signingTime !== undefined) attributes.push(attribute(CMS_OIDS.signingTime, encodeTime(options.signingTime)))
  if (options.signaturePolicy !== undefined)
    attributes.push(attribute(CMS_OIDS.signaturePolicyIdentifier, encodePolicy(options.signaturePolicy)))
  if (options.commitmentType !== undefined) {
    attributes.push(attribute(CMS_OIDS.commitmentTypeIndication, tlv(TAG.sequence, oid(options.commitmentType))))
  }
  return attributes
}

/** One DER Attribute with a single value. */
export function attribute(type: string, value: Uint8Array): Uint8Array {
  return tlv(TAG.sequence, oid(type), setOf([value]))
}

// RFC 5126 §5.8.1: SignaturePolicyId { sigPolicyId, sigPolicyHash OtherHashAlgAndValue, sigPolicyQualifiers }.
function encodePolicy(policy: SignaturePolicyReference): Uint8Array {
  if (policy.hash.length !== digestLength(policy.hashAlgorithm)) {
    throw new SceauError(
      'USAGE',
      `a ${policy.hashAlgorithm} policy hash is ${digestLength(policy.hashAlgorithm)} bytes, got ${policy.hash.length}`,
    )
  }
  // SPuri is an IA5String: a URI with non-ASCII characters must be percent-encoded first.
  if (policy.uri !== undefined && !/^[\x20-\x7e]*$/.test(policy.uri))
    throw new SceauError('USAGE', `policy URI "${policy.uri}" is not ASCII`)
  const algorithm = new Uint8Array(AsnConvert.serialize(digestAlgorithmIdentifier(policy.hashAlgorithm)))
  const qualifiers =
    policy.uri === undefined
      ? new Uint8Array()
      : tlv(TAG.sequence, tlv(TAG.sequence, oid(CMS_OIDS.spqEtsUri), tlv(0x16, new TextEncoder().encode(policy.uri))))
  return tlv(TAG.sequence, oid(policy.oid), tlv(TAG.sequence, algorithm, tlv(TAG.octetString, policy.hash)), qualifiers)
}

// RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; seconds, no fraction, 'Z'.
function encodeTime(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new SceauError('USAGE', 'signingTime is not a valid date')
  const iso = date.toISOString()
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '')
  const year = date.getUTCFullYear()
  if (year >= 1950 && year < 2050) return tlv(0x17, new TextEncoder().encode(`${digits.slice(2)}Z`))
  return tlv(0x18, new TextEncoder().encode(`${digits}Z`))
}
