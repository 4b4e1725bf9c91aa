// Reads one ds:Signature element (a few KB, cut out of the document by byte range) into plain values: its
// SignedInfo, References, KeyInfo certificates and XAdES properties. Nothing is judged here.

import { SceauError } from '../errors.js'
import { child, children, elementChildren, parseXmlSafely, text } from '../policy/trusted-list/xml.js'
import { decodeBytes, type DocumentEncoding } from '../xml/encoding.js'
import type { IndexedElement } from '../xml/index-document.js'
import { readRange, type XmlInput } from '../xml/source.js'
import { C14N, DS_NS, XADES_NAMESPACES } from './uris.js'

const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024

/** One ds:Reference. */
export interface ReadReference {
  readonly id?: string
  readonly uri: string | undefined
  readonly type?: string
  readonly transforms: readonly { readonly algorithm: string; readonly prefixList?: readonly string[] }[]
  readonly digestMethod: string
  readonly digestValue: Uint8Array
}

/** The XAdES SignedProperties of a signature, as written. */
export interface ReadXadesProperties {
  readonly namespace: string
  readonly id?: string
  readonly target?: string
  readonly signingTime?: string
  /** SigningCertificate (V1) or SigningCertificateV2 entries. */
  readonly signingCertificates: readonly {
    readonly digestMethod: string
    readonly digestValue: Uint8Array
    readonly issuerName?: string
    readonly serialNumber?: string
    /** SigningCertificateV2's IssuerSerialV2: the DER IssuerSerial of RFC 5035. */
    readonly issuerSerialV2?: Uint8Array
  }[]
  readonly policy?: { readonly identifier: string; readonly hashMethod?: string; readonly hash?: string; readonly uri?: string }
  /** Implied policy (SignaturePolicyImplied). */
  readonly policyImplied: boolean
  readonly role?: string
  readonly place?: { readonly city?: string; readonly postalCode?: string; readonly country?: string }
  /** SignedDataObjectProperties/DataObjectFormat entries. */
  readonly dataObjectFormats: readonly { readonly objectReference?: string; readonly mimeType?: string }[]
  /** CommitmentTypeIndication/CommitmentTypeId/Identifier values. */
  readonly commitmentTypes: readonly string[]
  /** UnsignedSignatureProperties/SignatureTimeStamp entries; `token` absent when the time-stamp is not encapsulated. */
  readonly signatureTimeStamps: readonly {
    readonly canonicalization: string
    readonly prefixList?: readonly string[]
    readonly token?: Uint8Array
  }[]
}

/** What a ds:Signature says. */
export interface ReadSignature {
  readonly id?: string
  readonly canonicalization: string
  readonly canonicalizationPrefixList?: readonly string[]
  readonly signatureMethod: string
  readonly references: readonly ReadReference[]
  readonly signatureValue: Uint8Array
  /** DER of every X509Certificate in KeyInfo, in order. */
  readonly keyInfoCertificates: readonly Uint8Array[]
  readonly xades?: ReadXadesProperties
  /** The parsed fragment, for the DOM fallback of inclusive C14N. */
  readonly signedInfo: Element
  /** The parsed ds:SignatureValue, for that fallback when a signature time-stamp covers it. */
  readonly signatureValueElement: Element
  /** Namespace declarations in scope at the signature, for that fallback. */
  readonly namespaces: ReadonlyMap<string, string>
}

/**
 * Parses the ds:Signature at `element` in `document`.
 *
 * @throws SceauError INPUT_MALFORMED when a required part (SignedInfo, SignatureMethod, a DigestValue…) is missing.
 */
export function readSignature(document: XmlInput, encoding: DocumentEncoding, element: IndexedElement, file?: string): ReadSignature {
  const size = element.end - element.start
  if (size > MAX_SIGNATURE_BYTES) {
    throw new SceauError('INPUT_TOO_LARGE', `a ds:Signature of ${size} bytes is over the ${MAX_SIGNATURE_BYTES} accepted`, {
      details: { size },
    })
  }
  // The fragment is parsed inside a wrapper that declares what its ancestors declared, so prefixes resolve.
  const declarations = [...element.inheritedNamespaces]
    .map(
      ([prefix, uri]) =>
        `${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${uri.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`,
    )
    .join(' ')
  const source = `<sceau-wrapper ${declarations}>${(() => {
    const bytes = readRange(document, element.start, element.end)
    return decodeBytes(bytes, 0, bytes.length, encoding)
  })()}</sceau-wrapper>`
  const wrapper = parseXmlSafely(source, { file, maxBytes: MAX_SIGNATURE_BYTES * 2, maxDepth: 64 }).documentElement
  const signature = elementChildren(wrapper)[0] as Element
  const missing = (what: string): SceauError =>
    new SceauError('INPUT_MALFORMED', `the ds:Signature at byte ${element.start} has no ${what}`, { details: { offset: element.start } })

  const parts = elementChildren(signature)
  const signedInfo = parts[0]
  if (signedInfo === undefined || signedInfo.localName !== 'SignedInfo' || signedInfo.namespaceURI !== DS_NS)
    throw missing('SignedInfo as first child')
  const canonicalization = child(signedInfo, DS_NS, 'CanonicalizationMethod')
  const signatureMethod = child(signedInfo, DS_NS, 'SignatureMethod')?.getAttribute('Algorithm')
  if (canonicalization === undefined) throw missing('CanonicalizationMethod')
  if (!signatureMethod) throw missing('SignatureMethod')
  const references = children(signedInfo, DS_NS, 'Reference').map((reference): ReadReference => {
    const digestMethod = child(reference, DS_NS, 'DigestMethod')?.getAttribute('Algorithm')
    const digestValue = child(reference, DS_NS, 'DigestValue')
    if (!digestMethod || digestValue === undefined) throw missing('DigestMethod or DigestValue in a Reference')
    const transforms = child(reference, DS_NS, 'Transforms')
    return {
      id: reference.getAttribute('Id') ?? undefined,
      uri: reference.hasAttribute('URI') ? (reference.getAttribute('URI') ?? '') : undefined,
      type: reference.getAttribute('Type') ?? undefined,
      transforms: (transforms === undefined ? [] : children(transforms, DS_NS, 'Transform')).map((transform) => ({
        algorithm: transform.getAttribute('Algorithm') ?? '',
        prefixList: prefixList(transform),
      })),
      digestMethod,
      digestValue: fromBase64(text(digestValue)),
    }
  })
  if (references.length === 0) throw missing('Reference')
  const signatureValue = child(signature, DS_NS, 'SignatureValue')
  if (signatureValue === undefined) throw missing('SignatureValue')
  const keyInfo = child(signature, DS_NS, 'KeyInfo')
  const keyInfoCertificates = (keyInfo === undefined ? [] : children(keyInfo, DS_NS, 'X509Data'))
    .flatMap((data) => children(data, DS_NS, 'X509Certificate'))
    .map((certificate) => fromBase64(text(certificate)))

  return {
    id: signature.getAttribute('Id') ?? undefined,
    canonicalization: canonicalization.getAttribute('Algorithm') ?? '',
    canonicalizationPrefixList: prefixList(canonicalization),
    signatureMethod,
    references,
    signatureValue: fromBase64(text(signatureValue)),
    keyInfoCertificates,
    xades: readXades(signature),
    signedInfo,
    signatureValueElement: signatureValue,
    namespaces: element.inheritedNamespaces,
  }
}

function readXades(signature: Element): ReadXadesProperties | undefined {
  for (const object of children(signature, DS_NS, 'Object')) {
    for (const qualifying of elementChildren(object)) {
      const ns = qualifying.namespaceURI ?? ''
      if (qualifying.localName !== 'QualifyingProperties' || !XADES_NAMESPACES.includes(ns)) continue
      const signedProperties = child(qualifying, ns, 'SignedProperties')
      const signatureProperties = signedProperties && child(signedProperties, ns, 'SignedSignatureProperties')
      const find = (parent: Element | undefined, ...path: string[]): Element | undefined => {
        let at = parent
        for (const name of path) at = at && child(at, ns, name)
        return at
      }
      const digestOf = (certDigest: Element | undefined): { digestMethod: string; digestValue: Uint8Array } | undefined => {
        if (certDigest === undefined) return undefined
        // XAdES 1.1.1 qualifies DigestMethod/DigestValue in its own namespace; 1.3.2 uses ds:.
        const method = child(certDigest, ns, 'DigestMethod') ?? child(certDigest, DS_NS, 'DigestMethod')
        const value = child(certDigest, ns, 'DigestValue') ?? child(certDigest, DS_NS, 'DigestValue')
        if (method === undefined || value === undefined) return undefined
        return { digestMethod: method.getAttribute('Algorithm') ?? '', digestValue: fromBase64(text(value)) }
      }
      const certs = (container: Element | undefined): Element[] => (container === undefined ? [] : children(container, ns, 'Cert'))
      const signingCertificates = [
        ...certs(find(signatureProperties, 'SigningCertificate')),
        ...certs(find(signatureProperties, 'SigningCertificateV2')),
      ].flatMap((cert) => {
        const digest = digestOf(child(cert, ns, 'CertDigest'))
        if (digest === undefined) return []
        const issuerSerial = child(cert, ns, 'IssuerSerial')
        const issuerName = issuerSerial && child(issuerSerial, DS_NS, 'X509IssuerName')
        const serialNumber = issuerSerial && child(issuerSerial, DS_NS, 'X509SerialNumber')
        const issuerSerialV2 = child(cert, ns, 'IssuerSerialV2')
        return [
          {
            ...digest,
            issuerName: issuerName && text(issuerName),
            serialNumber: serialNumber && text(serialNumber),
            issuerSerialV2: issuerSerialV2 && fromBase64(text(issuerSerialV2)),
          },
        ]
      })
      const policyIdentifier = find(signatureProperties, 'SignaturePolicyIdentifier')
      const policyId = find(policyIdentifier, 'SignaturePolicyId')
      const hash = digestOf(find(policyId, 'SigPolicyHash'))
      const identifier = find(policyId, 'SigPolicyId', 'Identifier')
      const spuri = find(policyId, 'SigPolicyQualifiers', 'SigPolicyQualifier', 'SPURI')
      const place = find(signatureProperties, 'SignatureProductionPlace') ?? find(signatureProperties, 'SignatureProductionPlaceV2')
      const role =
        find(signatureProperties, 'SignerRole', 'ClaimedRoles', 'ClaimedRole') ??
        find(signatureProperties, 'SignerRoleV2', 'ClaimedRoles', 'ClaimedRole')
      const placeText = (name: string): string | undefined => {
        const found = place && child(place, ns, name)
        return found && text(found)
      }
      const signingTime = find(signatureProperties, 'SigningTime')
      const dataObjectProperties = signedProperties && child(signedProperties, ns, 'SignedDataObjectProperties')
      const dataObjectFormats = (dataObjectProperties === undefined ? [] : children(dataObjectProperties, ns, 'DataObjectFormat')).map(
        (format) => {
          const mimeType = child(format, ns, 'MimeType')
          return { objectReference: format.getAttribute('ObjectReference') ?? undefined, mimeType: mimeType && text(mimeType) }
        },
      )
      const commitmentTypes = (dataObjectProperties === undefined ? [] : children(dataObjectProperties, ns, 'CommitmentTypeIndication'))
        .map((indication) => find(indication, 'CommitmentTypeId', 'Identifier'))
        .flatMap((identifier) => (identifier === undefined ? [] : [text(identifier)]))
      const unsignedSignatureProperties = find(qualifying, 'UnsignedProperties', 'UnsignedSignatureProperties')
      const signatureTimeStamps = (
        unsignedSignatureProperties === undefined ? [] : children(unsignedSignatureProperties, ns, 'SignatureTimeStamp')
      ).map((timeStamp) => {
        const canonicalization = child(timeStamp, DS_NS, 'CanonicalizationMethod')
        const encapsulated = child(timeStamp, ns, 'EncapsulatedTimeStamp')
        return {
          // XAdES: without CanonicalizationMethod the input is canonicalised with inclusive C14N 1.0.
          canonicalization: canonicalization?.getAttribute('Algorithm') ?? C14N,
          prefixList: canonicalization && prefixList(canonicalization),
          token: encapsulated && fromBase64(text(encapsulated)),
        }
      })
      return {
        namespace: ns,
        id: signedProperties?.getAttribute('Id') ?? undefined,
        target: qualifying.getAttribute('Target') ?? undefined,
        signingTime: signingTime && text(signingTime),
        signingCertificates,
        policy:
          identifier === undefined
            ? undefined
            : {
                identifier: text(identifier),
                hashMethod: hash?.digestMethod,
                hash: hash && Buffer.from(hash.digestValue).toString('base64'),
                uri: spuri && text(spuri),
              },
        policyImplied: find(policyIdentifier, 'SignaturePolicyImplied') !== undefined,
        role: role && text(role),
        place: place && { city: placeText('City'), postalCode: placeText('PostalCode'), country: placeText('CountryName') },
        dataObjectFormats,
        commitmentTypes,
        signatureTimeStamps,
      }
    }
  }
  return undefined
}

function prefixList(element: Element): string[] | undefined {
  const inclusive = elementChildren(element).find((candidate) => candidate.localName === 'InclusiveNamespaces')
  const list = inclusive?.getAttribute('PrefixList')
  return list ? list.trim().split(/\s+/) : undefined
}

function fromBase64(value: string): Uint8Array {
  const compact = value.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new SceauError('INPUT_MALFORMED', 'a signature value or digest is not base64')
  return new Uint8Array(Buffer.from(compact, 'base64'))
}
