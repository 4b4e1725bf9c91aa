// Reads one ds:Signature element (a few KB, cut out of the document by byte range) into plain values: its
// SignedInfo, References (and those of its ds:Manifests), KeyInfo certificates and key values, and XAdES
// properties. Nothing is judged here. The fragment is parsed by src/xml's scanner with the namespaces declared
// around it, and every Reference keeps its byte offset, where the node-set pipeline finds its transforms.

import { SceauError } from '../errors.js'
import { child, children, elementChildren, text } from '../policy/trusted-list/xml.js'
import type { DocumentEncoding } from '../xml/encoding.js'
import { parseXml, type ParsedXml } from '../xml/dom.js'
import type { IndexedElement } from '../xml/index-document.js'
import { readRange, type XmlInput } from '../xml/source.js'
import { C14N, DS_NS, DSIG11_NS, XADES_NAMESPACES, XMLDSIG_MORE_2007_NS } from './uris.js'

const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024

/** One ds:Reference. */
export interface ReadReference {
  readonly id?: string
  readonly uri: string | undefined
  readonly type?: string
  readonly transforms: readonly { readonly algorithm: string; readonly prefixList?: readonly string[] }[]
  readonly digestMethod: string
  readonly digestValue: Uint8Array
  /** Byte offset of the ds:Reference element in the document. */
  readonly offset: number
  /** The ds:Transform elements as parsed from the signature: what transforms on detached content run. */
  readonly transformElements: readonly Element[]
}

/** A ds:Manifest in one of the signature's ds:Objects (XML-DSig §5.1). */
export interface ReadManifest {
  readonly id?: string
  /** Byte offset of the ds:Manifest element in the document. */
  readonly offset: number
  readonly references: readonly ReadReference[]
}

/** A public key written in KeyInfo/KeyValue or DEREncodedKeyValue (XML-DSig 1.1 §4.5.2, §4.5.6). */
export type ReadKeyValue =
  | { readonly kind: 'rsa'; readonly modulus: Uint8Array; readonly exponent: Uint8Array }
  | { readonly kind: 'ec'; readonly namedCurve: string; readonly publicKey: Uint8Array }
  | { readonly kind: 'dsa'; readonly p: Uint8Array; readonly q: Uint8Array; readonly g: Uint8Array; readonly y: Uint8Array }
  | { readonly kind: 'spki'; readonly der: Uint8Array }
  | { readonly kind: 'unsupported'; readonly element: string }

/** RSASSA-PSS parameters of the rsa-pss SignatureMethod (RFC 6931 §2.3.10); absent fields take their defaults. */
export interface ReadPssParameters {
  readonly digestMethod?: string
  readonly maskGenerationFunction?: string
  readonly maskDigestMethod?: string
  readonly saltLength?: number
  readonly trailerField?: number
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
  /** Parameters of an rsa-pss SignatureMethod. */
  readonly pss?: ReadPssParameters
  readonly references: readonly ReadReference[]
  readonly manifests: readonly ReadManifest[]
  readonly signatureValue: Uint8Array
  /** DER of every X509Certificate in KeyInfo, in order. */
  readonly keyInfoCertificates: readonly Uint8Array[]
  /** KeyInfo/X509Data/X509IssuerSerial entries, which name the signer's certificate among several. */
  readonly keyInfoIssuerSerials: readonly { readonly issuerName: string; readonly serialNumber: string }[]
  /**
   * The other ways X509Data names a certificate without holding it (XML-DSig 1.1 §4.5.4): X509SubjectName, X509SKI,
   * dsig11:X509Digest. The certificate may then come from the caller.
   */
  readonly keyInfoHints: {
    readonly subjectNames: readonly string[]
    readonly subjectKeyIdentifiers: readonly Uint8Array[]
    readonly digests: readonly { readonly digestMethod: string; readonly digestValue: Uint8Array }[]
  }
  /** The first key value of KeyInfo (KeyValue or DEREncodedKeyValue), when there is one. */
  readonly keyValue?: ReadKeyValue
  readonly xades?: ReadXadesProperties
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
  let parsed: ParsedXml
  try {
    parsed = parseXml(readRange(document, element.start, element.end), {
      encoding,
      maxDepth: 64,
      fragment: { namespaces: element.inheritedNamespaces, offset: element.start },
    })
  } catch (err) {
    if (err instanceof SceauError && file !== undefined) throw new SceauError(err.code, `${err.message} in "${file}"`, { cause: err })
    throw err
  }
  const signature = parsed.document.documentElement as Element
  const missing = (what: string): SceauError =>
    new SceauError('INPUT_MALFORMED', `the ds:Signature at byte ${element.start} has no ${what}`, { details: { offset: element.start } })

  const parts = elementChildren(signature)
  const signedInfo = parts[0]
  if (signedInfo === undefined || signedInfo.localName !== 'SignedInfo' || signedInfo.namespaceURI !== DS_NS)
    throw missing('SignedInfo as first child')
  const canonicalization = child(signedInfo, DS_NS, 'CanonicalizationMethod')
  const signatureMethodElement = child(signedInfo, DS_NS, 'SignatureMethod')
  const signatureMethod = signatureMethodElement?.getAttribute('Algorithm')
  if (canonicalization === undefined) throw missing('CanonicalizationMethod')
  if (!signatureMethod) throw missing('SignatureMethod')
  const offsetOf = (node: Element): number => parsed.offsetOf(node) ?? element.start
  const readReference = (reference: Element): ReadReference => {
    const digestMethod = child(reference, DS_NS, 'DigestMethod')?.getAttribute('Algorithm')
    const digestValue = child(reference, DS_NS, 'DigestValue')
    if (!digestMethod || digestValue === undefined) throw missing('DigestMethod or DigestValue in a Reference')
    const transforms = child(reference, DS_NS, 'Transforms')
    const transformElements = transforms === undefined ? [] : children(transforms, DS_NS, 'Transform')
    return {
      id: reference.getAttribute('Id') ?? undefined,
      uri: reference.hasAttribute('URI') ? (reference.getAttribute('URI') ?? '') : undefined,
      type: reference.getAttribute('Type') ?? undefined,
      transforms: transformElements.map((transform) => ({
        algorithm: transform.getAttribute('Algorithm') ?? '',
        prefixList: prefixList(transform),
      })),
      transformElements,
      digestMethod,
      digestValue: fromBase64(text(digestValue)),
      offset: offsetOf(reference),
    }
  }
  const references = children(signedInfo, DS_NS, 'Reference').map(readReference)
  if (references.length === 0) throw missing('Reference')
  const manifests = children(signature, DS_NS, 'Object')
    .flatMap((object) => children(object, DS_NS, 'Manifest'))
    .map((manifest) => ({
      id: manifest.getAttribute('Id') ?? undefined,
      offset: offsetOf(manifest),
      references: children(manifest, DS_NS, 'Reference').map(readReference),
    }))
  const signatureValue = child(signature, DS_NS, 'SignatureValue')
  if (signatureValue === undefined) throw missing('SignatureValue')
  const keyInfo = followKeyInfoReference(signature, child(signature, DS_NS, 'KeyInfo'))
  const retrieved = keyInfo === undefined ? [] : retrievedKeyElements(signature, keyInfo)
  const x509Data = [
    ...(keyInfo === undefined ? [] : children(keyInfo, DS_NS, 'X509Data')),
    ...retrieved.filter((entry) => entry.localName === 'X509Data' && entry.namespaceURI === DS_NS),
  ]
  const keyInfoCertificates = x509Data
    .flatMap((data) => children(data, DS_NS, 'X509Certificate'))
    .map((certificate) => fromBase64(text(certificate)))
  const keyInfoIssuerSerials = x509Data
    .flatMap((data) => children(data, DS_NS, 'X509IssuerSerial'))
    .flatMap((issuerSerial) => {
      const name = child(issuerSerial, DS_NS, 'X509IssuerName')
      const serial = child(issuerSerial, DS_NS, 'X509SerialNumber')
      return name === undefined || serial === undefined ? [] : [{ issuerName: text(name), serialNumber: text(serial) }]
    })

  const inData = (namespace: string, name: string): Element[] => x509Data.flatMap((data) => children(data, namespace, name))
  const keyInfoHints = {
    subjectNames: inData(DS_NS, 'X509SubjectName').map(text),
    subjectKeyIdentifiers: inData(DS_NS, 'X509SKI').map((ski) => fromBase64(text(ski))),
    digests: inData(DSIG11_NS, 'X509Digest').map((digest) => ({
      digestMethod: digest.getAttribute('Algorithm') ?? '',
      digestValue: fromBase64(text(digest)),
    })),
  }

  return {
    id: signature.getAttribute('Id') ?? undefined,
    canonicalization: canonicalization.getAttribute('Algorithm') ?? '',
    canonicalizationPrefixList: prefixList(canonicalization),
    signatureMethod,
    pss: signatureMethodElement === undefined ? undefined : pssParameters(signatureMethodElement),
    references,
    manifests,
    signatureValue: fromBase64(text(signatureValue)),
    keyInfoCertificates,
    keyInfoIssuerSerials,
    keyInfoHints,
    keyValue: (keyInfo === undefined ? undefined : keyValue(keyInfo)) ?? retrieved.map(keyValueOf).find((value) => value !== undefined),
    xades: readXades(signature),
  }
}

/** pss:RSAPSSParams of a SignatureMethod, when present. */
function pssParameters(method: Element): ReadPssParameters | undefined {
  const params = child(method, XMLDSIG_MORE_2007_NS, 'RSAPSSParams')
  if (params === undefined) return undefined
  const mgf = child(params, XMLDSIG_MORE_2007_NS, 'MaskGenerationFunction')
  const number = (name: string): number | undefined => {
    const found = child(params, XMLDSIG_MORE_2007_NS, name)
    if (found === undefined) return undefined
    const value = text(found)
    if (!/^[0-9]{1,6}$/.test(value)) throw new SceauError('INPUT_MALFORMED', `pss:${name} "${value}" is not a number`)
    return Number(value)
  }
  return {
    digestMethod: child(params, DS_NS, 'DigestMethod')?.getAttribute('Algorithm') ?? undefined,
    maskGenerationFunction: mgf?.getAttribute('Algorithm') ?? undefined,
    maskDigestMethod: (mgf && child(mgf, DS_NS, 'DigestMethod')?.getAttribute('Algorithm')) ?? undefined,
    saltLength: number('SaltLength'),
    trailerField: number('TrailerField'),
  }
}

/** The first KeyValue (RSA, EC) or DEREncodedKeyValue of a KeyInfo. */
function keyValue(keyInfo: Element): ReadKeyValue | undefined {
  for (const entry of elementChildren(keyInfo)) {
    if (entry.localName === 'DEREncodedKeyValue' && entry.namespaceURI === DSIG11_NS) return { kind: 'spki', der: fromBase64(text(entry)) }
    if (entry.localName !== 'KeyValue' || entry.namespaceURI !== DS_NS) continue
    const value = elementChildren(entry)[0]
    if (value !== undefined) return keyValueOf(value)
  }
  return undefined
}

/**
 * KeyInfo given by reference (XML-DSig 1.1 §4.5.11 KeyInfoReference): the ds:KeyInfo it names in the same
 * ds:Signature, one level only. Other documents and other parts of the file are never followed.
 */
function followKeyInfoReference(signature: Element, keyInfo: Element | undefined): Element | undefined {
  if (keyInfo === undefined) return undefined
  const reference = child(keyInfo, DSIG11_NS, 'KeyInfoReference')
  if (reference === undefined || elementChildren(keyInfo).length !== 1) return keyInfo
  const target = byId(signature, reference.getAttribute('URI') ?? '')
  return target?.localName === 'KeyInfo' && target.namespaceURI === DS_NS ? target : keyInfo
}

/**
 * The key material ds:RetrievalMethod points at (XML-DSig §4.5.3) inside the same ds:Signature, without transforms:
 * an X509Data or a key value element (RSAKeyValue, DSAKeyValue, dsig11:ECKeyValue), of the type it announces.
 */
function retrievedKeyElements(signature: Element, keyInfo: Element): Element[] {
  return children(keyInfo, DS_NS, 'RetrievalMethod').flatMap((method) => {
    if (child(method, DS_NS, 'Transforms') !== undefined) return []
    const target = byId(signature, method.getAttribute('URI') ?? '')
    const type = method.getAttribute('Type') ?? ''
    if (target === undefined || target.namespaceURI === null) return []
    return type === `${target.namespaceURI}${target.localName}` ? [target] : []
  })
}

/** The one element of `root` whose Id is the fragment of `uri` ("#id"), or undefined (none, or several). */
function byId(root: Element, uri: string): Element | undefined {
  if (!uri.startsWith('#') || uri.length < 2) return undefined
  const id = uri.slice(1)
  const found: Element[] = []
  const walk = (node: Element): void => {
    if (node.getAttribute('Id') === id) found.push(node)
    for (const next of elementChildren(node)) walk(next)
  }
  walk(root)
  return found.length === 1 ? found[0] : undefined
}

/** A key value element (the child of ds:KeyValue) as sceau reads it; undefined for anything else. */
function keyValueOf(value: Element): ReadKeyValue | undefined {
  if (value.localName === 'RSAKeyValue' && value.namespaceURI === DS_NS) {
    const modulus = child(value, DS_NS, 'Modulus')
    const exponent = child(value, DS_NS, 'Exponent')
    if (modulus === undefined || exponent === undefined) throw new SceauError('INPUT_MALFORMED', 'an RSAKeyValue lacks Modulus or Exponent')
    return { kind: 'rsa', modulus: fromBase64(text(modulus)), exponent: fromBase64(text(exponent)) }
  }
  if (value.localName === 'DSAKeyValue' && value.namespaceURI === DS_NS) {
    const part = (name: string): Uint8Array => {
      const found = child(value, DS_NS, name)
      if (found === undefined) throw new SceauError('INPUT_MALFORMED', `a DSAKeyValue lacks ${name}`)
      return fromBase64(text(found))
    }
    return { kind: 'dsa', p: part('P'), q: part('Q'), g: part('G'), y: part('Y') }
  }
  if (value.localName === 'ECKeyValue' && value.namespaceURI === DSIG11_NS) {
    const curve = child(value, DSIG11_NS, 'NamedCurve')?.getAttribute('URI')
    const publicKey = child(value, DSIG11_NS, 'PublicKey')
    // Explicit curve parameters (ECParameters) are not read: no signer in the field writes them.
    if (!curve || publicKey === undefined) return { kind: 'unsupported', element: 'dsig11:ECKeyValue with ECParameters' }
    return { kind: 'ec', namedCurve: curve, publicKey: fromBase64(text(publicKey)) }
  }
  if (value.localName === 'X509Data') return undefined
  return { kind: 'unsupported', element: value.localName ?? value.nodeName }
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
