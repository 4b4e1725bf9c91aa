import { createHash } from 'node:crypto'
import { canonicalizeStream, type CanonicalizeOptions, type ElementRange } from './canonicalize-stream.js'
import type { C14nMethod, XmlAttribute } from './c14n-method.js'
import type { DocumentEncoding } from './encoding.js'
import type { XmlInput } from './source.js'

/** Digest algorithms of XML-DSig and RFC 6931 that Node computes. */
export type XmlHash = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA3-224' | 'SHA3-256' | 'SHA3-384' | 'SHA3-512'

/** The node:crypto name of a digest algorithm. */
export function nodeHash(hash: XmlHash): string {
  return hash.toLowerCase().replace('sha-', 'sha')
}

/** Which element to digest, and how. */
export interface ElementDigestOptions {
  /** Value of the `Id` attribute (unprefixed, as PES uses it) of the element to digest. */
  id: string
  /** Digest algorithm; SHA-256 by default. */
  hash?: XmlHash
  /** Enveloped-signature transform: leave out every ds:Signature element inside the element. Default true. */
  excludeSignature?: boolean
  /** The exc-c14n InclusiveNamespaces PrefixList (`#default` names the default namespace). */
  inclusiveNamespacePrefixes?: string[]
  /** The canonicalisation; exclusive without comments by default. */
  method?: C14nMethod
}

/** Where an element starts and what its ancestors pass on to it: an `IndexedElement` has all of it. */
export interface ElementLocation {
  readonly start: number
  readonly inheritedNamespaces: ReadonlyMap<string, string>
  /** Needed by the inclusive canonical forms only. */
  readonly inheritedXmlAttributes?: readonly XmlAttribute[]
}

/** Options of {@link digestElementAt}. */
export interface ElementAtDigestOptions {
  hash?: XmlHash
  /** Enveloped-signature transform: the start offset of the signature to leave out. */
  excludeAt?: number
  /** Leave out every ds:Signature inside the element. Default false. */
  excludeSignature?: boolean
  inclusiveNamespacePrefixes?: readonly string[]
  /** The canonicalisation; exclusive without comments by default. */
  method?: C14nMethod
}

/** A digest and the byte range of the digested element in the input (end exclusive). */
export interface ElementDigest {
  digest: Uint8Array
  start: number
  end: number
}

/**
 * Digest of the exclusive canonical form (xml-exc-c14n#, without comments, unless `method` says otherwise) of the
 * element with the given Id, computed in one streaming pass over the document bytes: memory stays O(nesting depth)
 * for any file size, and a `ByteSource` (`fileSource`) spares holding the document itself.
 * The document is refused (INPUT_MALFORMED) when it has a DOCTYPE, no or several elements with that Id, an
 * encoding that must be transcoded first, or is not well-formed.
 *
 * @example
 * ```ts
 * const { digest } = digestElementById(await readFile('flow.xml'), { id: 'N10025' })
 * Buffer.from(digest).toString('base64') // the DigestValue of a Reference URI="#N10025"
 * ```
 */
export function digestElementById(document: XmlInput, options: ElementDigestOptions): ElementDigest {
  return hashed(options.hash, (consumer) => canonicalizeStream(document, options, consumer))
}

/**
 * Digest of the canonical form of the element at a known offset (from `indexDocument`): reads only that element,
 * from its offset when `document` is a ByteSource.
 *
 * @example
 * ```ts
 * const index = indexDocument(source)
 * const { digest } = digestElementAt(source, index.encoding, elementById(index, 'N10025'))
 * ```
 */
export function digestElementAt(
  document: XmlInput,
  encoding: DocumentEncoding,
  element: ElementLocation,
  options: ElementAtDigestOptions = {},
): ElementDigest {
  return hashed(options.hash, (consumer) => canonicalizeStream(document, atOptions(encoding, element, options), consumer))
}

/** Options of {@link digestDocument}. */
export interface DocumentDigestOptions {
  hash?: XmlHash
  /** The canonicalisation; `comments` keeps the comments (a `#xpointer(/)` reference, not `URI=""`). */
  method?: C14nMethod
  /** Enveloped-signature transform: the start offset of the signature to leave out. */
  excludeAt?: number
}

/**
 * Digest of the canonical form of the document node (Canonical XML 1.0 §2.1: the root element, and the processing
 * instructions and comments around it), in one streaming pass.
 *
 * @example
 * ```ts
 * const { digest } = digestDocument(bytes, { method: { version: 'c14n', comments: false }, excludeAt: signature.start })
 * ```
 */
export function digestDocument(document: XmlInput, options: DocumentDigestOptions = {}): ElementDigest {
  return hashed(options.hash, (consumer) =>
    canonicalizeStream(document, { document: true, method: options.method, excludeAt: options.excludeAt }, consumer),
  )
}

/**
 * The canonical form of the document node, in memory (for tests and small documents).
 *
 * @example
 * ```ts
 * const canonical = canonicalizeDocument(bytes, { method: { version: 'c14n11', comments: true } })
 * ```
 */
export function canonicalizeDocument(document: XmlInput, options: Omit<DocumentDigestOptions, 'hash'> = {}): Uint8Array {
  return collected((consumer) =>
    canonicalizeStream(document, { document: true, method: options.method, excludeAt: options.excludeAt }, consumer),
  )
}

function atOptions(
  encoding: DocumentEncoding,
  element: ElementLocation,
  options: Omit<ElementAtDigestOptions, 'hash'>,
): CanonicalizeOptions {
  return {
    at: { offset: element.start, namespaces: element.inheritedNamespaces, xmlAttributes: element.inheritedXmlAttributes },
    encoding,
    excludeAt: options.excludeAt,
    excludeSignature: options.excludeSignature ?? false,
    inclusiveNamespacePrefixes: options.inclusiveNamespacePrefixes,
    method: options.method,
  }
}

/** The canonical form of the element at a known offset, in memory (for SignedInfo and SignedProperties). */
export function canonicalizeElementAt(
  document: XmlInput,
  encoding: DocumentEncoding,
  element: ElementLocation,
  options: Omit<ElementAtDigestOptions, 'hash'> = {},
): Uint8Array {
  return collected((consumer) => canonicalizeStream(document, atOptions(encoding, element, options), consumer))
}

/**
 * The canonical form (UTF-8 bytes) of the element with the given Id; holds it all in memory, so meant for tests
 * and small elements such as SignedProperties.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeElementById(document, { id: 'S1_SP', excludeSignature: false })
 * ```
 */
export function canonicalizeElementById(document: XmlInput, options: Omit<ElementDigestOptions, 'hash'>): Uint8Array {
  return collected((consumer) => canonicalizeStream(document, options, consumer))
}

function hashed(hash: XmlHash | undefined, run: (consumer: (chunk: Buffer) => void) => ElementRange): ElementDigest {
  const digest = createHash(nodeHash(hash ?? 'SHA-256'))
  const { start, end } = run((chunk) => digest.update(chunk))
  return { digest: new Uint8Array(digest.digest()), start, end }
}

function collected(run: (consumer: (chunk: Buffer) => void) => ElementRange): Uint8Array {
  const chunks: Buffer[] = []
  run((chunk) => chunks.push(Buffer.from(chunk)))
  return new Uint8Array(Buffer.concat(chunks))
}
