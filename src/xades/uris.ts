// Algorithm and namespace URIs of XML-DSig and XAdES, and the mapping to sceau's algorithm names.

import { algorithmParts, type AlgorithmParts } from '../signer/algorithms.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'

export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#'
/** XAdES 1.1.1: the namespace of the PES schemas and of every signed flow seen in the field (research/pes.md §1.4). */
export const XADES_111_NS = 'http://uri.etsi.org/01903/v1.1.1#'
/** XAdES 1.3.2 (EN 319 132): what trusted lists and most other XAdES producers use. */
export const XADES_132_NS = 'http://uri.etsi.org/01903/v1.3.2#'
/** Reference/@Type of the SignedProperties from XAdES 1.3.2 on: versionless, unlike 1.1.1's `<namespace>SignedProperties`. */
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties'
export const XADES_NAMESPACES: readonly string[] = [XADES_111_NS, XADES_132_NS, 'http://uri.etsi.org/01903/v1.2.2#']

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments'
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
export const C14N_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments'
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'

/** Digests read in signatures. SHA-1 is read (old flows) but never written. */
export type XmlDigestAlgorithm = 'SHA-1' | DigestAlgorithm

export const DIGEST_URIS: Readonly<Record<XmlDigestAlgorithm, string>> = {
  'SHA-1': 'http://www.w3.org/2000/09/xmldsig#sha1',
  'SHA-256': 'http://www.w3.org/2001/04/xmlenc#sha256',
  'SHA-384': 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'SHA-512': 'http://www.w3.org/2001/04/xmlenc#sha512',
}

/** The digest named by a DigestMethod URI, or undefined when sceau does not know it. */
export function digestFromUri(uri: string): XmlDigestAlgorithm | undefined {
  for (const [name, known] of Object.entries(DIGEST_URIS)) if (known === uri) return name as XmlDigestAlgorithm
  return undefined
}

/** How a SignatureMethod verifies: the scheme and hash, as node:crypto needs them. */
export interface XmlSignatureMethod {
  readonly scheme: AlgorithmParts['scheme']
  readonly hash: XmlDigestAlgorithm
}

const SIGNATURE_METHODS: Readonly<Record<string, XmlSignatureMethod>> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1': { scheme: 'RSASSA-PSS', hash: 'SHA-256' },
  'http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1': { scheme: 'RSASSA-PSS', hash: 'SHA-384' },
  'http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1': { scheme: 'RSASSA-PSS', hash: 'SHA-512' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1': { scheme: 'ECDSA', hash: 'SHA-1' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { scheme: 'ECDSA', hash: 'SHA-256' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { scheme: 'ECDSA', hash: 'SHA-384' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { scheme: 'ECDSA', hash: 'SHA-512' },
}

/** The SignatureMethod URI sceau writes for an algorithm. */
export function signatureMethodUri(algorithm: SignatureAlgorithm): string {
  const { scheme, hash } = algorithmParts(algorithm)
  const bits = hash.slice(4)
  if (scheme === 'RSASSA-PKCS1-v1_5') return `http://www.w3.org/2001/04/xmldsig-more#rsa-sha${bits}`
  if (scheme === 'RSASSA-PSS') return `http://www.w3.org/2007/05/xmldsig-more#sha${bits}-rsa-MGF1`
  return `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha${bits}`
}

/** The verification method of a SignatureMethod URI, or undefined when sceau does not know it. */
export function signatureMethodFromUri(uri: string): XmlSignatureMethod | undefined {
  return SIGNATURE_METHODS[uri]
}
