import { createHash } from 'node:crypto'
import { nodeHashName } from '../signer/algorithms.js'
import { canonicalizeStream, type CanonicalizeOptions } from './exc-c14n.js'
import type { XmlInput } from './source.js'

/** Which element to digest, and how. */
export interface ElementDigestOptions {
  /** Value of the `Id` attribute (unprefixed, as PES uses it) of the element to digest. */
  id: string
  /** Digest algorithm; SHA-256 by default. */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'
  /** Enveloped-signature transform: leave out every ds:Signature element inside the element. Default true. */
  excludeSignature?: boolean
  /** The exc-c14n InclusiveNamespaces PrefixList (`#default` names the default namespace). */
  inclusiveNamespacePrefixes?: string[]
}

/** Where an element starts and the namespaces its ancestors declare: an `IndexedElement` has both. */
export interface ElementLocation {
  readonly start: number
  readonly inheritedNamespaces: ReadonlyMap<string, string>
}

/** The encoding the element's document uses (`DocumentIndex.encoding`). */
type Encoding = 'latin1' | 'utf8'

/** Options of {@link digestElementAt}. */
export interface ElementAtDigestOptions {
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'
  /** Enveloped-signature transform: the start offset of the signature to leave out. */
  excludeAt?: number
  /** Leave out every ds:Signature inside the element. Default false. */
  excludeSignature?: boolean
  inclusiveNamespacePrefixes?: string[]
}

/** A digest and the byte range of the digested element in the input (end exclusive). */
export interface ElementDigest {
  digest: Uint8Array
  start: number
  end: number
}

/**
 * Digest of the exclusive canonical form (xml-exc-c14n#, without comments) of the element with the given Id,
 * computed in one streaming pass over the document bytes: memory stays O(nesting depth) for any file size, and
 * a `ByteSource` (`fileSource`) spares holding the document itself.
 * The document is refused (INPUT_MALFORMED) when it has a DOCTYPE, no or several elements with that Id, an
 * encoding other than UTF-8 / ISO-8859-1, or is not well-formed.
 *
 * @example
 * ```ts
 * const { digest } = digestElementById(await readFile('flow.xml'), { id: 'N10025' })
 * Buffer.from(digest).toString('base64') // the DigestValue of a Reference URI="#N10025"
 * ```
 */
export function digestElementById(document: XmlInput, options: ElementDigestOptions): ElementDigest {
  const hash = createHash(nodeHashName(options.hash ?? 'SHA-256'))
  const { start, end } = canonicalizeStream(document, options, (chunk) => hash.update(chunk))
  return { digest: new Uint8Array(hash.digest()), start, end }
}

/**
 * Digest of the exc-c14n form of the element at a known offset (from `indexDocument`): reads only that element,
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
  encoding: Encoding,
  element: ElementLocation,
  options: ElementAtDigestOptions = {},
): ElementDigest {
  const hash = createHash(nodeHashName(options.hash ?? 'SHA-256'))
  const { start, end } = canonicalizeStream(document, atOptions(encoding, element, options), (chunk) => hash.update(chunk))
  return { digest: new Uint8Array(hash.digest()), start, end }
}

function atOptions(encoding: Encoding, element: ElementLocation, options: Omit<ElementAtDigestOptions, 'hash'>): CanonicalizeOptions {
  return {
    at: { offset: element.start, namespaces: element.inheritedNamespaces },
    encoding,
    excludeAt: options.excludeAt,
    excludeSignature: options.excludeSignature ?? false,
    inclusiveNamespacePrefixes: options.inclusiveNamespacePrefixes,
  }
}

/** The exc-c14n form of the element at a known offset, in memory (for SignedInfo and SignedProperties). */
export function canonicalizeElementAt(
  document: XmlInput,
  encoding: Encoding,
  element: ElementLocation,
  options: Omit<ElementAtDigestOptions, 'hash'> = {},
): Uint8Array {
  const chunks: Buffer[] = []
  canonicalizeStream(document, atOptions(encoding, element, options), (chunk) => chunks.push(Buffer.from(chunk)))
  return new Uint8Array(Buffer.concat(chunks))
}

/**
 * The exclusive canonical form (UTF-8 bytes) of the element with the given Id; holds it all in memory, so meant
 * for tests and small elements such as SignedProperties.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeElementById(document, { id: 'S1_SP', excludeSignature: false })
 * ```
 */
export function canonicalizeElementById(document: XmlInput, options: Omit<ElementDigestOptions, 'hash'>): Uint8Array {
  const chunks: Buffer[] = []
  canonicalizeStream(document, options, (chunk) => chunks.push(Buffer.from(chunk)))
  return new Uint8Array(Buffer.concat(chunks))
}
