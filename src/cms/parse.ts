import * as asn1js from 'asn1js'
import { SceauError } from '../errors.js'
import {
  berAlgorithm,
  berBytes,
  berChildren,
  berContents,
  berOctets,
  berOid,
  isTag,
  readBer,
  toDer,
  UNIVERSAL,
  type BerElement,
} from './ber.js'
import { cmsDigestFromOid, type CmsDigestAlgorithm } from './digests.js'
import { CMS_OIDS } from './oids.js'
import { readSignatureAlgorithm, type CmsSignatureAlgorithm } from './read-algorithm.js'
import { OCSP_REVOCATION_INFO, type SignedDataParts } from './signed-data.js'
import { decodeSigningCertificate, type EssCertId } from './signing-certificate.js'

/**
 * The largest CMS parseCms reads: far above a PAdES signature with its chain and time-stamp (tens of KB), and
 * room for a B-LT SignedData carrying the CRLs of a large CA (tens of MB). The certificates and CRLs inside are
 * walked past, not decoded, so reading costs time in proportion to the bytes (times the nesting depth for BER
 * indefinite lengths, itself bounded by MAX_BER_DEPTH in ber.ts), whatever the number of CRL entries.
 */
export const MAX_CMS_LENGTH = 64 * 1024 * 1024

/** How a SignerInfo names its certificate. */
export type SignerIdentifier =
  | {
      /** DER of the issuer Name and of the serialNumber INTEGER written in the SignerInfo (re-encoded if BER). */
      readonly issuerAndSerial: { readonly issuer: Uint8Array; readonly serialNumber: Uint8Array }
    }
  | { readonly subjectKeyIdentifier: Uint8Array }

/** The signed attributes sceau reads; others are only covered by the signature. */
export interface CmsSignedAttributes {
  readonly contentType?: string
  readonly messageDigest?: Uint8Array
  /**
   * The signer certificate references: the first ESSCertID of each value of signing-certificate-v2 (RFC 5035),
   * then of signing-certificate (RFC 2634, SHA-1). Empty when neither attribute is there.
   */
  readonly signingCertificates: readonly EssCertId[]
  readonly signingTime?: Date
  /** signature-policy-identifier (CAdES-EPES): the policy named and the digest of its document, or implied. */
  readonly signaturePolicy?: CmsSignaturePolicy
  /** commitment-type-indication: the first commitment type's OID. */
  readonly commitmentType?: string
  /** Every commitment type's OID, in the order written (DSS writes several values in one attribute). */
  readonly commitmentTypes: readonly string[]
}

/** A signature-policy-identifier attribute as read. */
export type CmsSignaturePolicy =
  | {
      readonly oid: string
      /** A sceau digest name, or the OID as written. */
      readonly hashAlgorithm: string
      readonly hash: Uint8Array
      /** The SPuri qualifier, when there is one. */
      readonly uri?: string
    }
  | { readonly implied: true }

/** An attribute as written: its type and each value's bytes. */
export interface CmsAttribute {
  readonly oid: string
  readonly values: readonly Uint8Array[]
}

/** One SignerInfo of a SignedData. */
export interface CmsSignerInfo {
  /** The SignerInfo's bytes as written. */
  readonly der: Uint8Array
  readonly sid: SignerIdentifier
  /** A digest name sceau computes, or the OID as written when it computes none of that name. */
  readonly digestAlgorithm: CmsDigestAlgorithm | (string & {})
  readonly signatureAlgorithm: CmsSignatureAlgorithm
  /**
   * The DER encoding of the signed attributes as a SET OF (tag 0x31): what RFC 5652 §5.4 says the signature
   * covers. Absent when there are none: the signature is then over the content itself.
   */
  readonly signedAttributesDer?: Uint8Array
  /**
   * The signed attributes as the SignerInfo stores them, retagged 0x31. The same bytes as `signedAttributesDer`
   * unless the signer wrote them in BER or out of DER order.
   */
  readonly signedAttributesAsStored?: Uint8Array
  readonly attributes: CmsSignedAttributes
  /** Every signed attribute, in the order written. */
  readonly signedAttributes: readonly CmsAttribute[]
  readonly signatureValue: Uint8Array
  readonly unsignedAttributes: readonly CmsAttribute[]
  /** The SignerInfos of its countersignature attributes (RFC 5652 §11.4), each over this one's signature value. */
  readonly counterSignatures: readonly CmsSignerInfo[]
}

/** What {@link parseCms} reads from a ContentInfo(SignedData). */
export interface ParsedCms {
  /** eContentType. */
  readonly contentType: string
  /**
   * The encapsulated content whenever eContent is present, even with no octets (a PDF signature must not carry
   * one); undefined only when the SignedData is detached.
   */
  readonly content?: Uint8Array
  /** Every certificate of the certificates field, DER, in order (other certificate formats are skipped). */
  readonly certificates: readonly Uint8Array[]
  /** The first SignerInfo (PAdES has exactly one). */
  readonly signer: CmsSignerInfo
  /** Every SignerInfo in the order written (co-signatures of a .p7s are parallel SignerInfos). */
  readonly signers: readonly CmsSignerInfo[]
  /** How many SignerInfos there are. */
  readonly signerCount: number
  /** CertificateLists among the crls field (CAdES B-LT), as written. */
  readonly crls: readonly Uint8Array[]
  /** OCSP responses among the crls field (RFC 5940 other revocation info), as written. */
  readonly ocspResponses: readonly Uint8Array[]
  /** Each field's bytes, to rebuild the SignedData with a change (see signed-data.ts). */
  readonly parts: SignedDataParts
}

/**
 * Reads a CMS ContentInfo(SignedData), BER or DER. Trailing zero bytes are ignored, since a PDF pads
 * /Contents with them. Throws `INPUT_TOO_LARGE` beyond {@link MAX_CMS_LENGTH} and `INPUT_MALFORMED` when the
 * bytes are not a SignedData with at least one SignerInfo, or when an attribute RFC 5652 §11 allows once with
 * one value (content-type, message-digest, signing-time) is there twice.
 *
 * @example
 * ```ts
 * const { signer, certificates } = parseCms(contentsFromPdf)
 * console.log(signer.digestAlgorithm, signer.attributes.messageDigest)
 * ```
 */
export function parseCms(der: Uint8Array): ParsedCms {
  if (der.length > MAX_CMS_LENGTH) {
    throw new SceauError('INPUT_TOO_LARGE', `a CMS signature of ${der.length} bytes is over the ${MAX_CMS_LENGTH}-byte limit`, {
      details: { length: der.length, limit: MAX_CMS_LENGTH },
    })
  }
  const bytes = der
  const children = (element: BerElement | undefined, what: string, count?: number): BerElement[] => {
    if (element === undefined || !element.constructed) return fail(`${what} is not constructed`)
    const found = berChildren(bytes, element, what)
    if (count !== undefined && found.length !== count) fail(`${what} has ${found.length} elements, expected ${count}`)
    return found
  }
  const contentInfo = readBer(bytes, 0, bytes.length, 'ContentInfo')
  if (!isTag(contentInfo, 0, UNIVERSAL.sequence)) fail('ContentInfo is not a SEQUENCE')
  if (!bytes.subarray(contentInfo.end).every((byte) => byte === 0)) fail('bytes after the ContentInfo')
  const [contentType, explicit] = children(contentInfo, 'ContentInfo', 2)
  if (berOid(bytes, contentType, 'contentType') !== CMS_OIDS.signedData) fail('the content is not SignedData')
  if (!isTag(explicit, 2, 0)) fail('ContentInfo content has an unexpected tag')
  const [signedData] = children(explicit, 'ContentInfo content', 1)
  if (!isTag(signedData, 0, UNIVERSAL.sequence)) fail('SignedData is not a SEQUENCE')
  const fields = children(signedData, 'SignedData')
  let index = 0
  const next = (): BerElement | undefined => fields[index++]
  const version = integerOf(bytes, next(), 'SignedData version')
  const digestAlgorithms = children(next(), 'digestAlgorithms').map((element) => berBytes(bytes, element))
  const encapsulated = children(next(), 'encapContentInfo')
  const eContentType = berOid(bytes, encapsulated[0], 'eContentType')
  const eContentElement = encapsulated[1]
  let eContent: Uint8Array | undefined
  if (eContentElement !== undefined) {
    if (!isTag(eContentElement, 2, 0)) fail('eContent has an unexpected tag')
    const [octets] = children(eContentElement, 'eContent', 1)
    if (!isTag(octets, 0, UNIVERSAL.octetString)) fail('eContent is not an OCTET STRING')
    eContent = berOctets(bytes, octets, 'eContent')
  }
  const certificateChoices: Uint8Array[] = []
  const certificates: Uint8Array[] = []
  let field = next()
  if (isTag(field, 2, 0)) {
    for (const choice of children(field, 'certificates')) {
      certificateChoices.push(berBytes(bytes, choice))
      // Only the plain Certificate choice (a SEQUENCE); attribute and "other" certificates are tagged.
      if (isTag(choice, 0, UNIVERSAL.sequence)) certificates.push(berBytes(bytes, choice))
    }
    field = next()
  }
  const revocationChoices: Uint8Array[] = []
  const crls: Uint8Array[] = []
  const ocspResponses: Uint8Array[] = []
  if (isTag(field, 2, 1)) {
    for (const choice of children(field, 'crls')) {
      revocationChoices.push(berBytes(bytes, choice))
      if (isTag(choice, 0, UNIVERSAL.sequence)) crls.push(berBytes(bytes, choice))
      else if (isTag(choice, 2, 1)) {
        const [format, value] = children(choice, 'OtherRevocationInfoFormat', 2)
        if (berOid(bytes, format, 'otherRevInfoFormat') === OCSP_REVOCATION_INFO && value !== undefined) {
          ocspResponses.push(berBytes(bytes, value))
        }
      }
    }
    field = next()
  }
  if (!isTag(field, 0, UNIVERSAL.set)) fail('signerInfos is not a SET')
  const signerInfos = children(field, 'signerInfos')
  if (signerInfos.length === 0) fail('no SignerInfo')
  if (index !== fields.length) fail('fields after signerInfos')
  const signers = signerInfos.map((signerInfo) => parseSignerInfo(bytes, signerInfo, 0))
  return {
    contentType: eContentType,
    ...(eContent === undefined ? {} : { content: eContent }),
    certificates,
    signer: signers[0] as CmsSignerInfo,
    signers,
    signerCount: signerInfos.length,
    crls,
    ocspResponses,
    parts: {
      version,
      digestAlgorithms,
      contentType: eContentType,
      certificates: certificateChoices,
      crls: revocationChoices,
      signerInfos: signerInfos.map((signerInfo) => berBytes(bytes, signerInfo)),
    },
  }
}

// Counter-signatures nest (a counter-signature may be counter-signed); past this depth the input is hostile.
const MAX_COUNTER_SIGNATURE_DEPTH = 8

function parseSignerInfo(bytes: Uint8Array, signerInfo: BerElement, depth: number): CmsSignerInfo {
  if (depth > MAX_COUNTER_SIGNATURE_DEPTH) fail(`counter-signatures nested deeper than ${MAX_COUNTER_SIGNATURE_DEPTH}`)
  if (!isTag(signerInfo, 0, UNIVERSAL.sequence)) fail('SignerInfo is not a SEQUENCE')
  const fields = berChildren(bytes, signerInfo, 'SignerInfo')
  let index = 0
  const next = (): BerElement | undefined => fields[index++]
  integerOf(bytes, next(), 'SignerInfo version')
  const sidElement = next()
  let sid: SignerIdentifier
  if (isTag(sidElement, 2, 0)) {
    sid = { subjectKeyIdentifier: berOctets(bytes, sidElement, 'subjectKeyIdentifier') }
  } else {
    if (!isTag(sidElement, 0, UNIVERSAL.sequence)) fail('sid is neither IssuerAndSerialNumber nor a key identifier')
    const [issuer, serial, extra] = berChildren(bytes, sidElement, 'IssuerAndSerialNumber')
    if (!isTag(issuer, 0, UNIVERSAL.sequence) || extra !== undefined) fail('IssuerAndSerialNumber has an unexpected issuer')
    if (!isTag(serial, 0, UNIVERSAL.integer)) fail('serialNumber is not an INTEGER')
    sid = { issuerAndSerial: { issuer: toDer(bytes, issuer), serialNumber: toDer(bytes, serial) } }
  }
  const digest = berAlgorithm(bytes, next(), 'digestAlgorithm')
  let field = next()
  let signedAttributesDer: Uint8Array | undefined
  let signedAttributesAsStored: Uint8Array | undefined
  let signedAttributes: CmsAttribute[] = []
  if (isTag(field, 2, 0)) {
    if (!field.constructed) fail('signedAttrs is not constructed')
    // RFC 5652 §5.4: the signature covers the DER SET OF, i.e. the [0] IMPLICIT element with its SET tag put back
    // and, should the signer have stored BER or another order, re-encoded in DER.
    const stored = new Uint8Array(berBytes(bytes, field))
    stored[0] = 0x31
    signedAttributesAsStored = stored
    signedAttributesDer = toDer(stored, readBer(stored, 0, stored.length, 'signedAttrs'))
    signedAttributes = attributesOf(bytes, field, 'signedAttrs')
    field = next()
  }
  const signatureAlgorithm = readSignatureAlgorithm(berAlgorithm(bytes, field, 'signatureAlgorithm'))
  const signatureElement = next()
  if (!isTag(signatureElement, 0, UNIVERSAL.octetString)) fail('signature is not an OCTET STRING')
  const signatureValue = berOctets(bytes, signatureElement, 'signature')
  field = next()
  let unsignedAttributes: CmsAttribute[] = []
  if (isTag(field, 2, 1)) {
    unsignedAttributes = attributesOf(bytes, field, 'unsignedAttrs')
    field = next()
  }
  if (field !== undefined) fail('fields after the SignerInfo signature')
  const counterSignatures = unsignedAttributes
    .filter((attribute) => attribute.oid === CMS_OIDS.counterSignature)
    .flatMap((attribute) => attribute.values)
    .map((value) => parseSignerInfo(value, readBer(value, 0, value.length, 'countersignature'), depth + 1))
  return {
    der: berBytes(bytes, signerInfo),
    sid,
    digestAlgorithm: cmsDigestFromOid(digest.oid, digest.parameters) ?? digest.oid,
    signatureAlgorithm,
    ...(signedAttributesDer === undefined ? {} : { signedAttributesDer, signedAttributesAsStored }),
    attributes: readAttributes(signedAttributes),
    signedAttributes,
    signatureValue,
    unsignedAttributes,
    counterSignatures,
  }
}

function readAttributes(attributes: readonly CmsAttribute[]): CmsSignedAttributes {
  const valuesOf = (type: string): Uint8Array[] =>
    attributes.filter((attribute) => attribute.oid === type).flatMap((attribute) => attribute.values)
  const single = (type: string, name: string): Uint8Array | undefined => {
    const found = attributes.filter((attribute) => attribute.oid === type)
    if (found.length === 0) return undefined
    // RFC 5652 §11.1–11.3: one instance with one value; two message digests would be ambiguous. ETSI EN 319 122-1
    // §5.2.9 gives signature-policy-identifier the same cardinality.
    if (found.length > 1 || found[0]?.values.length !== 1) fail(`the ${name} attribute must appear once with exactly one value`)
    return found[0]?.values[0]
  }
  const contentType = single(CMS_OIDS.contentType, 'content-type')
  const messageDigest = single(CMS_OIDS.messageDigest, 'message-digest')
  const signingTime = single(CMS_OIDS.signingTime, 'signing-time')
  const policy = single(CMS_OIDS.signaturePolicyIdentifier, 'signature-policy-identifier')
  // RFC 5126 §5.11.1 lets a signer indicate several commitments; DSS writes them as values of one attribute.
  const commitmentTypes = valuesOf(CMS_OIDS.commitmentTypeIndication).map((value) => {
    const [id] = childrenOfValue(value, 'commitment-type-indication')
    return berOid(value, id, 'commitmentTypeId')
  })
  const signingCertificates = [
    ...valuesOf(CMS_OIDS.signingCertificateV2).map((value) => decodeSigningCertificate(value, 2)),
    ...valuesOf(CMS_OIDS.signingCertificate).map((value) => decodeSigningCertificate(value, 1)),
  ]
  return {
    ...(policy === undefined ? {} : { signaturePolicy: policyOf(policy) }),
    ...(commitmentTypes[0] === undefined ? {} : { commitmentType: commitmentTypes[0] }),
    commitmentTypes,
    ...(contentType === undefined ? {} : { contentType: berOid(contentType, element(contentType, 'content-type'), 'content-type') }),
    ...(messageDigest === undefined ? {} : { messageDigest: octetsOfValue(messageDigest, 'message-digest') }),
    signingCertificates,
    ...(signingTime === undefined ? {} : { signingTime: timeOf(signingTime) }),
  }
}

function policyOf(value: Uint8Array): CmsSignaturePolicy {
  const top = element(value, 'signature-policy-identifier')
  if (isTag(top, 0, UNIVERSAL.null)) return { implied: true }
  if (!isTag(top, 0, UNIVERSAL.sequence)) fail('signature-policy-identifier is not a SignaturePolicyId')
  const [policyId, hash, qualifiers] = berChildren(value, top, 'SignaturePolicyId')
  if (!isTag(hash, 0, UNIVERSAL.sequence)) fail('sigPolicyHash is not a SEQUENCE')
  const [algorithm, digestValue] = berChildren(value, hash, 'sigPolicyHash')
  const hashAlgorithm = berAlgorithm(value, algorithm, 'sigPolicyHash algorithm')
  if (!isTag(digestValue, 0, UNIVERSAL.octetString)) fail('sigPolicyHash value is not an OCTET STRING')
  let uri: string | undefined
  if (qualifiers !== undefined) {
    for (const qualifier of berChildren(value, qualifiers, 'sigPolicyQualifiers')) {
      const [id, text] = berChildren(value, qualifier, 'SigPolicyQualifierInfo')
      // SPuri is an IA5String (tag 22).
      if (berOid(value, id, 'sigPolicyQualifierId') === CMS_OIDS.spqEtsUri && isTag(text, 0, 22)) {
        uri = new TextDecoder('latin1').decode(berOctets(value, text, 'SPuri'))
      }
    }
  }
  return {
    oid: berOid(value, policyId, 'sigPolicyId'),
    hashAlgorithm: cmsDigestFromOid(hashAlgorithm.oid, hashAlgorithm.parameters) ?? hashAlgorithm.oid,
    hash: new Uint8Array(berOctets(value, digestValue, 'sigPolicyHash')),
    ...(uri === undefined ? {} : { uri }),
  }
}

function attributesOf(bytes: Uint8Array, set: BerElement, what: string): CmsAttribute[] {
  return berChildren(bytes, set, what).map((attribute) => {
    if (!isTag(attribute, 0, UNIVERSAL.sequence)) fail(`${what}: an Attribute is not a SEQUENCE`)
    const [type, values, extra] = berChildren(bytes, attribute, what)
    if (!isTag(values, 0, UNIVERSAL.set) || extra !== undefined) fail(`${what}: an Attribute has no SET of values`)
    return {
      oid: berOid(bytes, type, what),
      values: berChildren(bytes, values, what).map((value) => new Uint8Array(berBytes(bytes, value))),
    }
  })
}

/** The single element an attribute value is. */
function element(value: Uint8Array, what: string): BerElement {
  const found = readBer(value, 0, value.length, what)
  if (found.end !== value.length) fail(`${what} has bytes after its value`)
  return found
}

function childrenOfValue(value: Uint8Array, what: string): BerElement[] {
  const top = element(value, what)
  if (!top.constructed) fail(`${what} is not constructed`)
  return berChildren(value, top, what)
}

function octetsOfValue(value: Uint8Array, what: string): Uint8Array {
  const top = element(value, what)
  if (!isTag(top, 0, UNIVERSAL.octetString)) fail(`${what} is not an OCTET STRING`)
  return new Uint8Array(berOctets(value, top, what))
}

function timeOf(value: Uint8Array): Date {
  const top = element(value, 'signing-time')
  if (!isTag(top, 0, UNIVERSAL.utcTime) && !isTag(top, 0, UNIVERSAL.generalizedTime)) fail('signing-time is not a time')
  // A time is a few bytes: asn1js decodes its two forms (RFC 5652 §11.3) from the DER re-encoding.
  const parsed = asn1js.fromBER(toDer(value, top))
  const time = parsed.result
  if (time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime) {
    const date = time.toDate()
    if (!Number.isNaN(date.getTime())) return date
  }
  return fail('signing-time is not a valid time')
}

function integerOf(bytes: Uint8Array, element: BerElement | undefined, what: string): number {
  if (!isTag(element, 0, UNIVERSAL.integer)) return fail(`${what} is not an INTEGER`)
  const contents = berContents(bytes, element, what)
  if (contents.length === 0 || contents.length > 4) fail(`${what} is not a small INTEGER`)
  let value = 0
  for (const byte of contents) value = value * 256 + byte
  return value
}

function fail(why: string): never {
  throw new SceauError('INPUT_MALFORMED', `CMS: ${why}`)
}
