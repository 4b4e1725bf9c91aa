import { AsnConvert } from '@peculiar/asn1-schema'
import { SceauError } from '../errors.js'
import { algorithmParts } from '../signer/algorithms.js'
import { ecdsaP1363ToDer } from '../signer/ecdsa.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'
import { digestAlgorithmIdentifier, signatureAlgorithmIdentifier } from './algorithms.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { oid, setOf, smallInteger, TAG, tlv } from './der-encode.js'
import { joinSignedData, type SignedDataParts } from './signed-data.js'
import { CMS_OIDS } from './oids.js'
import { signedAttributeList, type SignedAttributesOptions } from './signed-attributes.js'

/** An attribute outside the signature, with its values as DER. */
export interface UnsignedAttribute {
  readonly oid: string
  readonly values: readonly Uint8Array[]
}

/** What {@link signCms} signs and how. */
export interface SignCmsOptions extends Pick<
  SignedAttributesOptions,
  'signingTime' | 'signaturePolicy' | 'commitmentType' | 'counterSignature'
> {
  readonly signer: Signer
  /** One of `signer.algorithms`. */
  readonly algorithm: SignatureAlgorithm
  /** Digest of the content (for a counter-signature, of the counter-signed signature value), computed with `hash`. */
  readonly contentDigest: Uint8Array
  /** The SignerInfo's digest algorithm. Default: the hash of `algorithm`, which it must equal. */
  readonly hash?: DigestAlgorithm
  /** Attributes to put outside the signature from the start. */
  readonly unsignedAttributes?: readonly UnsignedAttribute[]
  /** Cancels before the signer is called. */
  readonly signal?: AbortSignal
}

/** A detached CMS signature. */
export interface SignedCms {
  /** DER of ContentInfo { id-signedData, SignedData }, detached (or enveloping when `content` was given). */
  readonly der: Uint8Array
  /** The SignerInfo's signature (DER for ECDSA): what a signature time-stamp is taken over. */
  readonly signatureValue: Uint8Array
  /** The SignedData's fields, to frame an enveloped content of any size or merge into another SignedData. */
  readonly parts: SignedDataParts
}

/** One signed SignerInfo, before it is put in a SignedData. */
export interface SignedSignerInfo {
  /** DER SignerInfo. */
  readonly signerInfo: Uint8Array
  readonly signatureValue: Uint8Array
  /** DER AlgorithmIdentifier of its digest algorithm. */
  readonly digestAlgorithm: Uint8Array
}

/**
 * Builds a CMS SignedData (RFC 5652) over a content digest: no eContent unless `content` is given (enveloping), the
 * signer's certificate and chain, one SignerInfo identified by issuer and serial number, with the signed attributes
 * of {@link signedAttributes}.
 *
 * @example
 * ```ts
 * const { der } = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', byteRange) })
 * ```
 */
export async function signCms(options: SignCmsOptions & { readonly content?: Uint8Array }): Promise<SignedCms> {
  const { signerInfo, signatureValue, digestAlgorithm } = await signSignerInfo(options)
  const parts: SignedDataParts = {
    version: 1,
    digestAlgorithms: [digestAlgorithm],
    contentType: CMS_OIDS.data,
    certificates: [options.signer.certificate, ...options.signer.chain],
    crls: [],
    signerInfos: [signerInfo],
  }
  return { der: joinSignedData(parts, options.content), signatureValue, parts }
}

/** Signs the attributes of one SignerInfo with the signer and returns it, DER. */
export async function signSignerInfo(options: SignCmsOptions): Promise<SignedSignerInfo> {
  const { signer, algorithm, contentDigest } = options
  const parts = algorithmParts(algorithm)
  const hash = options.hash ?? parts.hash
  // With rsaEncryption as the signature algorithm the verifier takes the hash from digestAlgorithm, so the two
  // must agree or the signature would not verify anywhere.
  if (hash !== parts.hash) {
    throw new SceauError('USAGE', `the digest algorithm ${hash} differs from the hash of ${algorithm}`, { details: { algorithm, hash } })
  }
  options.signal?.throwIfAborted()
  const attributes = signedAttributeList({
    contentDigest,
    hash,
    certificate: signer.certificate,
    signingTime: options.signingTime,
    signaturePolicy: options.signaturePolicy,
    commitmentType: options.commitmentType,
    counterSignature: options.counterSignature,
  })
  const raw = await signer.sign(setOf(attributes), algorithm, options.signal === undefined ? {} : { signal: options.signal })
  const signatureValue = parts.scheme === 'ECDSA' ? ecdsaP1363ToDer(raw) : raw

  const { issuer, serialNumber } = issuerAndSerialOf(signer.certificate)
  const digestAlgorithm = new Uint8Array(AsnConvert.serialize(digestAlgorithmIdentifier(hash)))
  const unsigned = options.unsignedAttributes ?? []
  const signerInfo = tlv(
    TAG.sequence,
    smallInteger(1),
    tlv(TAG.sequence, issuer, serialNumber),
    digestAlgorithm,
    setOf(attributes, TAG.context0),
    new Uint8Array(AsnConvert.serialize(signatureAlgorithmIdentifier(algorithm))),
    tlv(TAG.octetString, signatureValue),
    unsigned.length === 0 ? new Uint8Array() : setOf(unsigned.map(encodeUnsigned), TAG.context1),
  )
  return { signerInfo, signatureValue, digestAlgorithm }
}

/** One unsigned Attribute, DER. */
export function encodeUnsigned(unsignedAttribute: UnsignedAttribute): Uint8Array {
  if (unsignedAttribute.values.length === 0) {
    throw new SceauError('USAGE', `attribute ${unsignedAttribute.oid} has no value`, { details: { oid: unsignedAttribute.oid } })
  }
  return tlv(TAG.sequence, oid(unsignedAttribute.oid), setOf(unsignedAttribute.values))
}
