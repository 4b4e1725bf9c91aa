import * as asn1js from 'asn1js'
import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { concatBytes } from '../bytes.js'
import { SceauError } from '../errors.js'
import type { DigestAlgorithm } from '../types.js'
import { digestFromOid, readSignatureAlgorithm, type CmsSignatureAlgorithm } from './algorithms.js'
import { CMS_OIDS } from './oids.js'
import { OCSP_REVOCATION_INFO, type SignedDataParts } from './signed-data.js'
import { decodeSigningCertificateV2, type EssCertIdV2 } from './signing-certificate.js'

/** The largest CMS parseCms reads: far above a PAdES signature with its chain and time-stamp (tens of KB). */
export const MAX_CMS_LENGTH = 16 * 1024 * 1024

/** How a SignerInfo names its certificate. */
export type SignerIdentifier =
  | {
      /** DER of the issuer Name and of the serialNumber INTEGER, as written in the SignerInfo. */
      readonly issuerAndSerial: { readonly issuer: Uint8Array; readonly serialNumber: Uint8Array }
    }
  | { readonly subjectKeyIdentifier: Uint8Array }

/** The signed attributes sceau reads; others are only covered by the signature. */
export interface CmsSignedAttributes {
  readonly contentType?: string
  readonly messageDigest?: Uint8Array
  readonly signingCertificateV2?: EssCertIdV2
  readonly signingTime?: Date
  /** signature-policy-identifier (CAdES-EPES): the policy named and the digest of its document, or implied. */
  readonly signaturePolicy?: CmsSignaturePolicy
  /** commitment-type-indication: the commitment type's OID. */
  readonly commitmentType?: string
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

/** An attribute as written: its type and each value's DER. */
export interface CmsAttribute {
  readonly oid: string
  readonly values: readonly Uint8Array[]
}

/** One SignerInfo of a SignedData. */
export interface CmsSignerInfo {
  /** The SignerInfo's bytes as written. */
  readonly der: Uint8Array
  readonly sid: SignerIdentifier
  /** A sceau digest name, or the OID as written when sceau does not compute that digest (SHA-1, SHA-224…). */
  readonly digestAlgorithm: DigestAlgorithm | (string & {})
  readonly signatureAlgorithm: CmsSignatureAlgorithm
  /** The signed attributes retagged as SET OF (0x31): the bytes the signature covers. Absent when there are none. */
  readonly signedAttributesDer?: Uint8Array
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
  /** The encapsulated content, or undefined for a detached signature. */
  readonly content?: Uint8Array
  /** Every certificate of the certificates field, DER, in order (other certificate formats are skipped). */
  readonly certificates: readonly Uint8Array[]
  /** The first SignerInfo (PAdES has exactly one). */
  readonly signer: CmsSignerInfo
  /** Every SignerInfo in the order written (co-signatures of a .p7s are parallel SignerInfos). */
  readonly signers: readonly CmsSignerInfo[]
  /** How many SignerInfos there are. */
  readonly signerCount: number
  /** CertificateLists among the crls field (CAdES B-LT), DER. */
  readonly crls: readonly Uint8Array[]
  /** OCSP responses among the crls field (RFC 5940 other revocation info), DER. */
  readonly ocspResponses: readonly Uint8Array[]
  /** Each field's bytes, to rebuild the SignedData with a change (see signed-data.ts). */
  readonly parts: SignedDataParts
}

/**
 * Reads a CMS ContentInfo(SignedData), BER or DER. Trailing zero bytes are ignored, since a PDF pads
 * /Contents with them. Throws `INPUT_TOO_LARGE` beyond {@link MAX_CMS_LENGTH} and `INPUT_MALFORMED` when the
 * bytes are not a SignedData with at least one SignerInfo.
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
  const parsed = asn1js.fromBER(der)
  if (parsed.offset === -1) fail(`not BER: ${parsed.result.error}`)
  if (!der.subarray(parsed.offset).every((byte) => byte === 0)) fail('bytes after the ContentInfo')
  const [contentType, explicit] = children(parsed.result, 'ContentInfo', 2)
  if (oidOf(contentType, 'contentType') !== CMS_OIDS.signedData) fail('the content is not SignedData')
  expectTag(explicit, 3, 0, 'ContentInfo content')
  const [signedData] = children(explicit, 'ContentInfo content', 1)
  const fields = children(signedData, 'SignedData')
  let index = 0
  const next = (): asn1js.AsnType | undefined => fields[index++]
  const version = next()
  integerOf(version, 'SignedData version')
  const digestAlgorithms = children(next(), 'digestAlgorithms').map(raw)
  const encapsulated = children(next(), 'encapContentInfo')
  const eContentType = oidOf(encapsulated[0], 'eContentType')
  const eContent = encapsulated[1] === undefined ? undefined : octets(children(encapsulated[1], 'eContent', 1)[0], 'eContent')
  const certificateChoices: Uint8Array[] = []
  const certificates: Uint8Array[] = []
  let field = next()
  if (isContext(field, 0)) {
    for (const choice of children(field, 'certificates')) {
      certificateChoices.push(raw(choice))
      // Only the plain Certificate choice (a SEQUENCE); attribute and "other" certificates are tagged.
      if (choice.idBlock.tagClass === 1 && choice.idBlock.tagNumber === 16) certificates.push(raw(choice))
    }
    field = next()
  }
  const revocationChoices: Uint8Array[] = []
  const crls: Uint8Array[] = []
  const ocspResponses: Uint8Array[] = []
  if (isContext(field, 1)) {
    for (const choice of children(field, 'crls')) {
      revocationChoices.push(raw(choice))
      if (choice.idBlock.tagClass === 1 && choice.idBlock.tagNumber === 16) crls.push(raw(choice))
      else if (isContext(choice, 1)) {
        const [format, value] = children(choice, 'OtherRevocationInfoFormat', 2)
        if (oidOf(format, 'otherRevInfoFormat') === OCSP_REVOCATION_INFO && value !== undefined) ocspResponses.push(raw(value))
      }
    }
    field = next()
  }
  const signerInfos = children(field, 'signerInfos')
  if (signerInfos.length === 0) fail('no SignerInfo')
  if (index !== fields.length) fail('fields after signerInfos')
  const signers = signerInfos.map((signerInfo) => parseSignerInfo(signerInfo, 0))
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
      version: version.valueBlock.valueDec,
      digestAlgorithms,
      contentType: eContentType,
      certificates: certificateChoices,
      crls: revocationChoices,
      signerInfos: signerInfos.map(raw),
    },
  }
}

// Counter-signatures nest (a counter-signature may be counter-signed); past this depth the input is hostile.
const MAX_COUNTER_SIGNATURE_DEPTH = 8

function parseSignerInfo(signerInfo: asn1js.AsnType, depth: number): CmsSignerInfo {
  if (depth > MAX_COUNTER_SIGNATURE_DEPTH) fail(`counter-signatures nested deeper than ${MAX_COUNTER_SIGNATURE_DEPTH}`)
  const fields = children(signerInfo, 'SignerInfo')
  let index = 0
  const next = (): asn1js.AsnType | undefined => fields[index++]
  integerOf(next(), 'SignerInfo version')
  const sidElement = next()
  let sid: SignerIdentifier
  if (isContext(sidElement, 0)) {
    sid = { subjectKeyIdentifier: octets(sidElement, 'subjectKeyIdentifier') }
  } else {
    const [issuer, serial] = children(sidElement, 'IssuerAndSerialNumber', 2)
    expectTag(issuer, 1, 16, 'issuer')
    integerOf(serial, 'serialNumber')
    sid = { issuerAndSerial: { issuer: raw(issuer), serialNumber: raw(serial) } }
  }
  const digestOid = algorithmOf(next(), 'digestAlgorithm').algorithm
  let field = next()
  let signedAttributesDer: Uint8Array | undefined
  let signedAttributes: CmsAttribute[] = []
  if (isContext(field, 0)) {
    const bytes = raw(field)
    // RFC 5652 §5.4: the signature covers the DER SET OF, i.e. the [0] IMPLICIT element with its tag put back.
    signedAttributesDer = concatBytes([[0x31], bytes.subarray(1)])
    signedAttributes = attributesOf(field, 'signedAttrs')
    field = next()
  }
  const signatureAlgorithm = readSignatureAlgorithm(algorithmOf(field, 'signatureAlgorithm'))
  const signatureValue = octets(next(), 'signature')
  field = next()
  let unsignedAttributes: CmsAttribute[] = []
  if (isContext(field, 1)) {
    unsignedAttributes = attributesOf(field, 'unsignedAttrs')
    field = next()
  }
  if (field !== undefined) fail('fields after the SignerInfo signature')
  const counterSignatures = unsignedAttributes
    .filter((attribute) => attribute.oid === CMS_OIDS.counterSignature)
    .flatMap((attribute) => attribute.values)
    .map((value) => parseSignerInfo(decode(value, 'countersignature'), depth + 1))
  return {
    der: raw(signerInfo),
    sid,
    digestAlgorithm: digestFromOid(digestOid) ?? digestOid,
    signatureAlgorithm,
    ...(signedAttributesDer === undefined ? {} : { signedAttributesDer }),
    attributes: readAttributes(signedAttributes),
    signedAttributes,
    signatureValue,
    unsignedAttributes,
    counterSignatures,
  }
}

function readAttributes(attributes: readonly CmsAttribute[]): CmsSignedAttributes {
  const single = (type: string): Uint8Array | undefined => {
    const found = attributes.filter((attribute) => attribute.oid === type)
    if (found.length === 0) return undefined
    // RFC 5652 §11: these attributes appear once, with one value; two message digests would be ambiguous.
    if (found.length > 1 || found[0]?.values.length !== 1) fail(`attribute ${type} must have exactly one value`)
    return found[0]?.values[0]
  }
  const contentType = single(CMS_OIDS.contentType)
  const messageDigest = single(CMS_OIDS.messageDigest)
  const signingCertificateV2 = single(CMS_OIDS.signingCertificateV2)
  const signingTime = single(CMS_OIDS.signingTime)
  const policy = single(CMS_OIDS.signaturePolicyIdentifier)
  const commitment = single(CMS_OIDS.commitmentTypeIndication)
  return {
    ...(policy === undefined ? {} : { signaturePolicy: policyOf(decode(policy, 'signature-policy-identifier')) }),
    ...(commitment === undefined
      ? {}
      : {
          commitmentType: oidOf(
            children(decode(commitment, 'commitment-type-indication'), 'commitment-type-indication')[0],
            'commitmentTypeId',
          ),
        }),
    ...(contentType === undefined ? {} : { contentType: oidOf(decode(contentType, 'content-type'), 'content-type') }),
    ...(messageDigest === undefined ? {} : { messageDigest: octets(decode(messageDigest, 'message-digest'), 'message-digest') }),
    ...(signingCertificateV2 === undefined ? {} : { signingCertificateV2: decodeSigningCertificateV2(signingCertificateV2) }),
    ...(signingTime === undefined ? {} : { signingTime: timeOf(decode(signingTime, 'signing-time')) }),
  }
}

function policyOf(element: asn1js.AsnType): CmsSignaturePolicy {
  if (element instanceof asn1js.Null) return { implied: true }
  const [policyId, hash, qualifiers] = children(element, 'SignaturePolicyId')
  const [algorithm, value] = children(hash, 'sigPolicyHash', 2)
  const hashOid = algorithmOf(algorithm, 'sigPolicyHash algorithm').algorithm
  let uri: string | undefined
  for (const qualifier of qualifiers === undefined ? [] : children(qualifiers, 'sigPolicyQualifiers')) {
    const [id, text] = children(qualifier, 'SigPolicyQualifierInfo')
    if (oidOf(id, 'sigPolicyQualifierId') === CMS_OIDS.spqEtsUri && text instanceof asn1js.IA5String) uri = text.valueBlock.value
  }
  return {
    oid: oidOf(policyId, 'sigPolicyId'),
    hashAlgorithm: digestFromOid(hashOid) ?? hashOid,
    hash: octets(value, 'sigPolicyHash'),
    ...(uri === undefined ? {} : { uri }),
  }
}

function attributesOf(set: asn1js.AsnType, what: string): CmsAttribute[] {
  return children(set, what).map((attribute) => {
    const [type, values] = children(attribute, what, 2)
    return { oid: oidOf(type, what), values: children(values, what).map(raw) }
  })
}

function timeOf(element: asn1js.AsnType): Date {
  if (element instanceof asn1js.UTCTime || element instanceof asn1js.GeneralizedTime) return element.toDate()
  return fail('signing-time is not a time')
}

function algorithmOf(element: asn1js.AsnType | undefined, what: string): AlgorithmIdentifier {
  expectTag(element, 1, 16, what)
  try {
    return AsnConvert.parse(raw(element), AlgorithmIdentifier)
  } catch (cause) {
    throw new SceauError('INPUT_MALFORMED', `CMS: ${what} is not an AlgorithmIdentifier`, { cause })
  }
}

function decode(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes)
  if (parsed.offset === -1) fail(`${what} is not BER`)
  return parsed.result
}

function children(element: asn1js.AsnType | undefined, what: string, count?: number): asn1js.AsnType[] {
  if (!(element instanceof asn1js.Constructed) && !(element instanceof asn1js.Sequence) && !(element instanceof asn1js.Set)) {
    return fail(`${what} is not constructed`)
  }
  const value = element.valueBlock.value as asn1js.AsnType[]
  if (count !== undefined && value.length !== count) fail(`${what} has ${value.length} elements, expected ${count}`)
  return value
}

function oidOf(element: asn1js.AsnType | undefined, what: string): string {
  if (!(element instanceof asn1js.ObjectIdentifier)) return fail(`${what} is not an OBJECT IDENTIFIER`)
  return element.getValue()
}

function integerOf(element: asn1js.AsnType | undefined, what: string): asserts element is asn1js.Integer {
  if (!(element instanceof asn1js.Integer)) fail(`${what} is not an INTEGER`)
}

/** The octets of an OCTET STRING, primitive or (BER) constructed, or of a primitive [n] IMPLICIT one. */
function octets(element: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (element instanceof asn1js.OctetString && element.valueBlock.isConstructed) {
    return concatBytes(element.valueBlock.value.map((part) => octets(part, what)))
  }
  if (element instanceof asn1js.OctetString || (element instanceof asn1js.Primitive && element.idBlock.tagClass === 3)) {
    return new Uint8Array(element.valueBlock.valueHexView)
  }
  return fail(`${what} is not an OCTET STRING`)
}

function isContext(element: asn1js.AsnType | undefined, tagNumber: number): element is asn1js.AsnType {
  return element !== undefined && element.idBlock.tagClass === 3 && element.idBlock.tagNumber === tagNumber
}

function expectTag(
  element: asn1js.AsnType | undefined,
  tagClass: number,
  tagNumber: number,
  what: string,
): asserts element is asn1js.AsnType {
  if (element?.idBlock.tagClass !== tagClass || element.idBlock.tagNumber !== tagNumber) fail(`${what} has an unexpected tag`)
}

/** The element's bytes exactly as they were in the input. */
function raw(element: asn1js.AsnType): Uint8Array {
  return new Uint8Array(element.valueBeforeDecodeView)
}

function fail(why: string): never {
  throw new SceauError('INPUT_MALFORMED', `CMS: ${why}`)
}
