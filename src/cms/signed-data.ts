// A SignedData taken apart into its fields' bytes and put back together, for the changes that leave every
// signature valid: another SignerInfo (co-signature), an unsigned attribute (time-stamp, counter-signature),
// more certificates and revocation data (B-LT). Each part keeps its bytes; only the wrappers are re-encoded.

import { concatBytes } from '../bytes.js'
import { SceauError } from '../errors.js'
import { oid, setOf, smallInteger, TAG, tlv, tlvHeader } from './der-encode.js'
import { CMS_OIDS } from './oids.js'

/** The fields of a SignedData, each as the bytes of its elements. */
export interface SignedDataParts {
  readonly version: number
  /** DER AlgorithmIdentifier each. */
  readonly digestAlgorithms: readonly Uint8Array[]
  /** eContentType. */
  readonly contentType: string
  /** CertificateChoices, each as written. */
  readonly certificates: readonly Uint8Array[]
  /** RevocationInfoChoices, each as written: a CertificateList, or [1] OtherRevocationInfoFormat (OCSP). */
  readonly crls: readonly Uint8Array[]
  readonly signerInfos: readonly Uint8Array[]
}

/** id-ri-ocsp-response (RFC 5940): an OCSP response carried among a SignedData's crls. */
export const OCSP_REVOCATION_INFO = '1.3.6.1.5.5.7.16.2'

/**
 * DER of ContentInfo(SignedData) from its parts, with the encapsulated `content` (enveloping) or without (detached).
 */
export function joinSignedData(parts: SignedDataParts, content?: Uint8Array): Uint8Array {
  const { head, tail } = signedDataFrame(parts, content?.length)
  return content === undefined ? concatBytes([head, tail]) : concatBytes([head, content, tail])
}

/**
 * The bytes before and after the content of an enveloping SignedData whose content is `contentLength` bytes long
 * (undefined: detached), so that a file of any size can be written as head + file + tail without being held.
 */
export function signedDataFrame(parts: SignedDataParts, contentLength?: number): { head: Uint8Array; tail: Uint8Array } {
  const version = smallInteger(Math.max(parts.version, versionOf(parts)))
  const digestAlgorithms = setOf(unique(parts.digestAlgorithms))
  const type = oid(parts.contentType)
  let encapsulated: { head: Uint8Array; length: number }
  if (contentLength === undefined) {
    const whole = tlv(TAG.sequence, type)
    encapsulated = { head: whole, length: whole.length }
  } else {
    const octetHead = tlvHeader(TAG.octetString, contentLength)
    const explicitHead = tlvHeader(TAG.context0, octetHead.length + contentLength)
    const innerLength = type.length + explicitHead.length + octetHead.length + contentLength
    const head = concatBytes([tlvHeader(TAG.sequence, innerLength), type, explicitHead, octetHead])
    encapsulated = { head, length: head.length + contentLength }
  }
  const tail = concatBytes([
    parts.certificates.length === 0 ? new Uint8Array() : setOf(unique(parts.certificates), TAG.context0),
    parts.crls.length === 0 ? new Uint8Array() : setOf(unique(parts.crls), TAG.context1),
    // In signing order rather than DER's sorted order: a parapheur's circuit reads first signer first, and BER (which
    // CMS readers accept for SignedData) allows it; only the signed attributes must be DER.
    tlv(TAG.set, ...parts.signerInfos),
  ])
  const signedDataLength = version.length + digestAlgorithms.length + encapsulated.length + tail.length
  const signedDataHead = tlvHeader(TAG.sequence, signedDataLength)
  const explicitHead = tlvHeader(TAG.context0, signedDataHead.length + signedDataLength)
  const contentType = oid(CMS_OIDS.signedData)
  const outerHead = tlvHeader(TAG.sequence, contentType.length + explicitHead.length + signedDataHead.length + signedDataLength)
  return {
    head: concatBytes([outerHead, contentType, explicitHead, signedDataHead, version, digestAlgorithms, encapsulated.head]),
    tail,
  }
}

/**
 * The parts of two SignedData over the same content made one: every SignerInfo of both, the union of digest
 * algorithms, certificates and revocation data. The caller has checked that the contents are the same.
 */
export function mergeSignedData(into: SignedDataParts, added: SignedDataParts): SignedDataParts {
  if (into.contentType !== added.contentType) {
    throw new SceauError('INPUT_MALFORMED', `CMS: content types differ (${into.contentType}, ${added.contentType})`)
  }
  return {
    version: Math.max(into.version, added.version),
    contentType: into.contentType,
    digestAlgorithms: unique([...into.digestAlgorithms, ...added.digestAlgorithms]),
    certificates: unique([...into.certificates, ...added.certificates]),
    crls: unique([...into.crls, ...added.crls]),
    signerInfos: [...into.signerInfos, ...added.signerInfos],
  }
}

/** A revocation choice for an OCSP response (RFC 5940 §2.1): [1] IMPLICIT OtherRevocationInfoFormat. */
export function ocspRevocationChoice(ocspResponse: Uint8Array): Uint8Array {
  return tlv(0xa1, oid(OCSP_REVOCATION_INFO), ocspResponse)
}

// RFC 5652 §5.1: the lowest version that describes what the SignedData holds.
function versionOf(parts: SignedDataParts): number {
  const isOther = (choice: Uint8Array, otherTag: number): boolean => choice[0] === otherTag
  if (parts.certificates.some((choice) => isOther(choice, 0xa3)) || parts.crls.some((choice) => isOther(choice, 0xa1))) return 5
  if (parts.certificates.some((choice) => isOther(choice, 0xa2))) return 4
  if (parts.certificates.some((choice) => isOther(choice, 0xa1)) || parts.contentType !== CMS_OIDS.data) return 3
  // A SignerInfo of version 3 (subjectKeyIdentifier) makes the SignedData version 3; its INTEGER follows the header.
  if (parts.signerInfos.some((signerInfo) => signerInfoVersion(signerInfo) === 3)) return 3
  return 1
}

function signerInfoVersion(signerInfo: Uint8Array): number | undefined {
  let offset = 1
  const first = signerInfo[offset] ?? 0
  offset += first & 0x80 ? 1 + (first & 0x7f) : 1
  if (first === 0x80) return undefined
  return signerInfo[offset] === TAG.integer && signerInfo[offset + 1] === 1 ? signerInfo[offset + 2] : undefined
}

function unique(elements: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>()
  return elements.filter((element) => {
    const key = Buffer.from(element).toString('base64')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
