// Algorithm and namespace URIs of XML-DSig (1.0, 1.1, RFC 6931) and XAdES, and the mapping to sceau's algorithm
// names. The canonicalisation and transform URIs live with their implementations in src/xml.

import { algorithmParts, type AlgorithmParts } from '../signer/algorithms.js'
import type { SignatureAlgorithm } from '../types.js'
import type { XmlHash } from '../xml/digest.js'

export { C14N_10 as C14N, C14N_10_WITH_COMMENTS as C14N_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS } from '../xml/c14n-method.js'
export { ENVELOPED_SIGNATURE as ENVELOPED } from '../xml/transforms.js'

export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#'
/** XML-DSig 1.1: ECKeyValue, DEREncodedKeyValue. */
export const DSIG11_NS = 'http://www.w3.org/2009/xmldsig11#'
/** RFC 6931's 2007 namespace: RSA-PSS parameters. */
export const XMLDSIG_MORE_2007_NS = 'http://www.w3.org/2007/05/xmldsig-more#'
/** Reference/@Type of a Reference to a ds:Manifest (XML-DSig §5.1). */
export const MANIFEST_TYPE = 'http://www.w3.org/2000/09/xmldsig#Manifest'
/** XAdES 1.1.1: the namespace of the PES schemas and of every signed flow seen in the field (research/pes.md §1.4). */
export const XADES_111_NS = 'http://uri.etsi.org/01903/v1.1.1#'
/** XAdES 1.3.2 (EN 319 132): what trusted lists and most other XAdES producers use. */
export const XADES_132_NS = 'http://uri.etsi.org/01903/v1.3.2#'
/** Reference/@Type of the SignedProperties from XAdES 1.3.2 on: versionless, unlike 1.1.1's `<namespace>SignedProperties`. */
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties'
export const XADES_NAMESPACES: readonly string[] = [XADES_111_NS, XADES_132_NS, 'http://uri.etsi.org/01903/v1.2.2#']

/** Digests read in signatures. SHA-1 is read (old flows) but never written. */
export type XmlDigestAlgorithm = XmlHash

export const DIGEST_URIS: Readonly<Record<XmlDigestAlgorithm, string>> = {
  'SHA-1': 'http://www.w3.org/2000/09/xmldsig#sha1',
  'SHA-224': 'http://www.w3.org/2001/04/xmldsig-more#sha224',
  'SHA-256': 'http://www.w3.org/2001/04/xmlenc#sha256',
  'SHA-384': 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'SHA-512': 'http://www.w3.org/2001/04/xmlenc#sha512',
  'SHA3-224': 'http://www.w3.org/2007/05/xmldsig-more#sha3-224',
  'SHA3-256': 'http://www.w3.org/2007/05/xmldsig-more#sha3-256',
  'SHA3-384': 'http://www.w3.org/2007/05/xmldsig-more#sha3-384',
  'SHA3-512': 'http://www.w3.org/2007/05/xmldsig-more#sha3-512',
}

/** The digest named by a DigestMethod URI, or undefined when sceau does not know it. */
export function digestFromUri(uri: string): XmlDigestAlgorithm | undefined {
  for (const [name, known] of Object.entries(DIGEST_URIS)) if (known === uri) return name as XmlDigestAlgorithm
  return undefined
}

/** How a SignatureMethod verifies: the scheme and hash, as node:crypto needs them. */
export interface XmlSignatureMethod {
  readonly scheme: AlgorithmParts['scheme'] | 'DSA'
  readonly hash: XmlDigestAlgorithm
  /** RSA-PSS: the method reads its parameters from pss:RSAPSSParams (RFC 9231 `rsa-pss`). */
  readonly parameters?: true
}

const MORE = 'http://www.w3.org/2001/04/xmldsig-more#'
const SIGNATURE_METHODS: Readonly<Record<string, XmlSignatureMethod>> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
  [`${MORE}rsa-sha224`]: { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-224' },
  [`${MORE}rsa-sha256`]: { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  [`${MORE}rsa-sha384`]: { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  [`${MORE}rsa-sha512`]: { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  [`${XMLDSIG_MORE_2007_NS}rsa-pss`]: { scheme: 'RSASSA-PSS', hash: 'SHA-256', parameters: true },
  [`${XMLDSIG_MORE_2007_NS}sha1-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA-1' },
  [`${XMLDSIG_MORE_2007_NS}sha224-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA-224' },
  [`${XMLDSIG_MORE_2007_NS}sha256-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA-256' },
  [`${XMLDSIG_MORE_2007_NS}sha384-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA-384' },
  [`${XMLDSIG_MORE_2007_NS}sha512-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA-512' },
  [`${XMLDSIG_MORE_2007_NS}sha3-224-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA3-224' },
  [`${XMLDSIG_MORE_2007_NS}sha3-256-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA3-256' },
  [`${XMLDSIG_MORE_2007_NS}sha3-384-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA3-384' },
  [`${XMLDSIG_MORE_2007_NS}sha3-512-rsa-MGF1`]: { scheme: 'RSASSA-PSS', hash: 'SHA3-512' },
  // DSA (XML-DSig 1.0 §6.4.1, 1.1 dsa-sha256): read, never written; r‖s like ECDSA.
  'http://www.w3.org/2000/09/xmldsig#dsa-sha1': { scheme: 'DSA', hash: 'SHA-1' },
  'http://www.w3.org/2009/xmldsig11#dsa-sha256': { scheme: 'DSA', hash: 'SHA-256' },
  [`${MORE}ecdsa-sha1`]: { scheme: 'ECDSA', hash: 'SHA-1' },
  [`${MORE}ecdsa-sha224`]: { scheme: 'ECDSA', hash: 'SHA-224' },
  [`${MORE}ecdsa-sha256`]: { scheme: 'ECDSA', hash: 'SHA-256' },
  [`${MORE}ecdsa-sha384`]: { scheme: 'ECDSA', hash: 'SHA-384' },
  [`${MORE}ecdsa-sha512`]: { scheme: 'ECDSA', hash: 'SHA-512' },
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
