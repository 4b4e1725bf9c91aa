import { AsnConvert } from '@peculiar/asn1-schema'
import { SceauError } from '../errors.js'
import { algorithmParts } from '../signer/algorithms.js'
import { ecdsaP1363ToDer } from '../signer/ecdsa.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'
import { digestAlgorithmIdentifier, signatureAlgorithmIdentifier } from './algorithms.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { oid, setOf, smallInteger, TAG, tlv } from './der-encode.js'
import { CMS_OIDS } from './oids.js'
import { signedAttributeList } from './signed-attributes.js'

/** An attribute outside the signature, with its values as DER. */
export interface UnsignedAttribute {
  readonly oid: string
  readonly values: readonly Uint8Array[]
}

/** What {@link signCms} signs and how. */
export interface SignCmsOptions {
  readonly signer: Signer
  /** One of `signer.algorithms`. */
  readonly algorithm: SignatureAlgorithm
  /** Digest of the detached content, computed with `hash`. */
  readonly contentDigest: Uint8Array
  /** The SignerInfo's digest algorithm. Default: the hash of `algorithm`, which it must equal. */
  readonly hash?: DigestAlgorithm
  /** Adds a signing-time attribute (CAdES); PAdES leaves it out. */
  readonly signingTime?: Date
  /** Attributes to put outside the signature from the start. */
  readonly unsignedAttributes?: readonly UnsignedAttribute[]
  /** Cancels before the signer is called. */
  readonly signal?: AbortSignal
}

/** A detached CMS signature. */
export interface SignedCms {
  /** DER of ContentInfo { id-signedData, SignedData }. */
  readonly der: Uint8Array
  /** The SignerInfo's signature (DER for ECDSA): what a signature time-stamp is taken over. */
  readonly signatureValue: Uint8Array
}

/**
 * Builds a detached CMS SignedData (RFC 5652) over a content digest: version 1, no eContent, the signer's
 * certificate and chain, one SignerInfo identified by issuer and serial number, with the signed attributes of
 * {@link signedAttributes}.
 *
 * @example
 * ```ts
 * const { der } = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', byteRange) })
 * ```
 */
export async function signCms(options: SignCmsOptions): Promise<SignedCms> {
  const { signer, algorithm, contentDigest } = options
  const parts = algorithmParts(algorithm)
  const hash = options.hash ?? parts.hash
  // With rsaEncryption as the signature algorithm the verifier takes the hash from digestAlgorithm, so the two
  // must agree or the signature would not verify anywhere.
  if (hash !== parts.hash) {
    throw new SceauError('USAGE', `the digest algorithm ${hash} differs from the hash of ${algorithm}`, { details: { algorithm, hash } })
  }
  options.signal?.throwIfAborted()
  const attributes = signedAttributeList({ contentDigest, hash, certificate: signer.certificate, signingTime: options.signingTime })
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
  const certificates = uniqueCertificates([signer.certificate, ...signer.chain])
  const signedData = tlv(
    TAG.sequence,
    smallInteger(1),
    setOf([digestAlgorithm]),
    tlv(TAG.sequence, oid(CMS_OIDS.data)),
    setOf(certificates, TAG.context0),
    setOf([signerInfo]),
  )
  const der = tlv(TAG.sequence, oid(CMS_OIDS.signedData), tlv(TAG.context0, signedData))
  return { der, signatureValue }
}

/** One unsigned Attribute, DER. */
export function encodeUnsigned(unsignedAttribute: UnsignedAttribute): Uint8Array {
  if (unsignedAttribute.values.length === 0) {
    throw new SceauError('USAGE', `attribute ${unsignedAttribute.oid} has no value`, { details: { oid: unsignedAttribute.oid } })
  }
  return tlv(TAG.sequence, oid(unsignedAttribute.oid), setOf(unsignedAttribute.values))
}

function uniqueCertificates(certificates: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>()
  return certificates.filter((certificate) => {
    const key = Buffer.from(certificate).toString('base64')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
