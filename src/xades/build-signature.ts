// Builds one enveloped XAdES-EPES ds:Signature as bytes ready to insert into a document, in the shape of the
// DGFiP profile (research/pes.md §1.5): exc-c14n everywhere, a content Reference with enveloped-signature then
// exc-c14n, a Reference to the SignedProperties, KeyInfo with the signer's certificate only.
//
// The digests are taken from our own canonicaliser run on the very bytes that get inserted, so what is signed is
// what is written; exc-c14n does not depend on the ancestors beyond the prefixes the signature declares itself.

import { SceauError } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'
import { canonicalizeElementAt } from '../xml/digest.js'
import type { DocumentEncoding } from '../xml/encoding.js'
import { elementById, indexDocument } from '../xml/index-document.js'
import { issuerSerialOf, xmlDigest } from './certificate-ref.js'
import type { SignaturePolicy } from './policies.js'
import { DIGEST_URIS, DS_NS, ENVELOPED, EXC_C14N, XADES_111_NS, signatureMethodUri } from './uris.js'

/** Where a signature was produced (XAdES SignatureProductionPlace); every field optional. */
export interface ProductionPlace {
  readonly city?: string
  readonly postalCode?: string
  readonly country?: string
}

/** The signed XAdES properties of one signature. */
export interface XadesProperties {
  readonly signingTime: Date
  /** ClaimedRole; none when undefined. */
  readonly role?: string
  readonly place?: ProductionPlace
  /** SignaturePolicyIdentifier; none when undefined (XAdES-BES). */
  readonly policy?: SignaturePolicy
}

/** Everything one enveloped signature needs. */
export interface EnvelopedSignatureRequest {
  /** Id of ds:Signature; `<id>_SP`, `_SV`, `_KI`, `_QI` name its parts. Must be unused in the document. */
  readonly id: string
  /** `#<Id>` of the signed element (or `""` for the whole document). */
  readonly referenceUri: string
  /** Digest of the signed element's exc-c14n form, made with `digest`. */
  readonly referenceDigest: Uint8Array
  readonly digest: DigestAlgorithm
  readonly algorithm: SignatureAlgorithm
  readonly signer: Signer
  readonly properties: XadesProperties
  /** The encoding of the document the signature goes into. */
  readonly encoding: DocumentEncoding
  readonly signal?: AbortSignal
}

interface Filled {
  signedPropertiesDigest?: string
  signatureValue?: string
}

/**
 * Builds and signs one enveloped signature. Returns its bytes in the document's encoding (characters the
 * encoding lacks become character references), with no whitespace around or inside it.
 */
export async function buildEnvelopedSignature(request: EnvelopedSignatureRequest): Promise<Uint8Array> {
  const certificateRef = issuerSerialOf(request.signer.certificate)
  const xml = (filled: Filled): string => signatureXml(request, certificateRef, filled)

  const draft = encodeFragment(xml({}), request.encoding)
  const draftIndex = indexDocument(draft.bytes, { keep: isSignedInfo })
  const signedProperties = elementById(draftIndex, `${request.id}_SP`)
  const signedPropertiesDigest = base64(xmlDigest(request.digest, canonicalizeElementAt(draft.bytes, request.encoding, signedProperties)))

  const unsigned = encodeFragment(xml({ signedPropertiesDigest }), request.encoding)
  const signedInfo = indexDocument(unsigned.bytes, { keep: isSignedInfo }).elements.find((element) => element.localName === 'SignedInfo')
  if (signedInfo === undefined) throw new Error('signature template without SignedInfo')
  const canonicalSignedInfo = canonicalizeElementAt(unsigned.bytes, request.encoding, signedInfo)
  const value = await request.signer.sign(canonicalSignedInfo, request.algorithm, { signal: request.signal })

  const final = encodeFragment(xml({ signedPropertiesDigest, signatureValue: base64(value) }), request.encoding)
  return final.bytes.subarray(final.prologueLength)
}

function isSignedInfo(localName: string, namespace: string): boolean {
  return localName === 'SignedInfo' && namespace === DS_NS
}

function signatureXml(request: EnvelopedSignatureRequest, certificateRef: ReturnType<typeof issuerSerialOf>, filled: Filled): string {
  const { id, encoding, properties } = request
  const digestMethod = DIGEST_URIS[request.digest]
  const text = (value: string): string => escapeText(value, encoding)
  const attr = (value: string): string => escapeAttribute(value, encoding)

  const signedInfo =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${signatureMethodUri(request.algorithm)}"/>` +
    `<ds:Reference URI="${attr(request.referenceUri)}"><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"/>` +
    `<ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms><ds:DigestMethod Algorithm="${digestMethod}"/>` +
    `<ds:DigestValue>${base64(request.referenceDigest)}</ds:DigestValue></ds:Reference>` +
    `<ds:Reference Type="${XADES_111_NS}SignedProperties" URI="#${attr(id)}_SP"><ds:Transforms>` +
    `<ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms><ds:DigestMethod Algorithm="${digestMethod}"/>` +
    `<ds:DigestValue>${filled.signedPropertiesDigest ?? ''}</ds:DigestValue></ds:Reference></ds:SignedInfo>`

  const policy = properties.policy
  const policyXml =
    policy === undefined
      ? ''
      : `<xad:SignaturePolicyIdentifier><xad:SignaturePolicyId><xad:SigPolicyId>` +
        `<xad:Identifier>urn:oid:${text(policy.oid)}</xad:Identifier><xad:Description>${text(policy.description)}</xad:Description>` +
        `</xad:SigPolicyId><xad:SigPolicyHash><xad:DigestMethod Algorithm="${DIGEST_URIS[policy.hashAlgorithm]}"/>` +
        `<xad:DigestValue>${text(policy.hash)}</xad:DigestValue></xad:SigPolicyHash>` +
        (policy.uri === undefined
          ? ''
          : `<xad:SigPolicyQualifiers><xad:SigPolicyQualifier><xad:SPURI>${text(policy.uri)}</xad:SPURI>` +
            `</xad:SigPolicyQualifier></xad:SigPolicyQualifiers>`) +
        `</xad:SignaturePolicyId></xad:SignaturePolicyIdentifier>`
  const place = properties.place
  const placeXml =
    place === undefined || (place.city === undefined && place.postalCode === undefined && place.country === undefined)
      ? ''
      : `<xad:SignatureProductionPlace>` +
        (place.city === undefined ? '' : `<xad:City>${text(place.city)}</xad:City>`) +
        (place.postalCode === undefined ? '' : `<xad:PostalCode>${text(place.postalCode)}</xad:PostalCode>`) +
        (place.country === undefined ? '' : `<xad:CountryName>${text(place.country)}</xad:CountryName>`) +
        `</xad:SignatureProductionPlace>`
  const roleXml =
    properties.role === undefined
      ? ''
      : `<xad:SignerRole><xad:ClaimedRoles><xad:ClaimedRole>${text(properties.role)}</xad:ClaimedRole></xad:ClaimedRoles></xad:SignerRole>`

  const signedProperties =
    `<xad:SignedProperties Id="${attr(id)}_SP"><xad:SignedSignatureProperties>` +
    `<xad:SigningTime>${utcDateTime(properties.signingTime)}</xad:SigningTime>` +
    `<xad:SigningCertificate><xad:Cert><xad:CertDigest><xad:DigestMethod Algorithm="${digestMethod}"/>` +
    `<xad:DigestValue>${base64(xmlDigest(request.digest, request.signer.certificate))}</xad:DigestValue></xad:CertDigest>` +
    `<xad:IssuerSerial><ds:X509IssuerName>${text(certificateRef.issuerName)}</ds:X509IssuerName>` +
    `<ds:X509SerialNumber>${certificateRef.serialNumber}</ds:X509SerialNumber></xad:IssuerSerial></xad:Cert></xad:SigningCertificate>` +
    policyXml +
    placeXml +
    roleXml +
    `</xad:SignedSignatureProperties></xad:SignedProperties>`

  return (
    `<ds:Signature xmlns:ds="${DS_NS}" Id="${attr(id)}">` +
    signedInfo +
    `<ds:SignatureValue Id="${attr(id)}_SV">${filled.signatureValue ?? ''}</ds:SignatureValue>` +
    `<ds:KeyInfo Id="${attr(id)}_KI"><ds:X509Data><ds:X509Certificate>${base64(request.signer.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    `<ds:Object Id="${attr(id)}_QI"><xad:QualifyingProperties xmlns:xad="${XADES_111_NS}" Target="#${attr(id)}">` +
    signedProperties +
    `</xad:QualifyingProperties></ds:Object></ds:Signature>`
  )
}

/** xsd:dateTime in UTC with `Z` and whole seconds, as the DGFiP verifier requires (research/pes.md §1.7). */
export function utcDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new SceauError('USAGE', 'the signing time is not a valid date')
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function encodeFragment(xml: string, encoding: DocumentEncoding): { bytes: Buffer; prologueLength: number } {
  if (encoding === 'utf8') return { bytes: Buffer.from(xml, 'utf8'), prologueLength: 0 }
  // Other single-byte encodings get only ASCII from escape(): their bytes are the Latin-1 bytes of the text.
  const prologue = `<?xml version="1.0" encoding="${encoding === 'latin1' ? 'ISO-8859-1' : encoding}"?>`
  return { bytes: Buffer.from(prologue + xml, 'latin1'), prologueLength: prologue.length }
}

/** Text content for a document in `encoding`: markup escaped, characters the encoding lacks as references. */
export function escapeText(value: string, encoding: DocumentEncoding): string {
  return escape(value, encoding, /[&<>\r]/)
}

function escapeAttribute(value: string, encoding: DocumentEncoding): string {
  return escape(value, encoding, /[&<>"\t\n\r]/)
}

function escape(value: string, encoding: DocumentEncoding, special: RegExp): string {
  let out = ''
  for (const character of value) {
    const code = character.codePointAt(0) as number
    if (!(
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000
    )) {
      throw new SceauError('USAGE', `U+${code.toString(16).toUpperCase().padStart(4, '0')} cannot appear in an XML document`)
    }
    if (special.test(character)) out += `&#x${code.toString(16).toUpperCase()};`
    else if (encoding !== 'utf8' && code > (encoding === 'latin1' ? 0xff : 0x7f)) out += `&#x${code.toString(16).toUpperCase()};`
    else out += character
  }
  return out
}
