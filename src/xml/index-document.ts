// One streaming pass over a document that records only what signing and verifying need: the root, every element
// carrying an Id, every ds:Signature and the elements a caller asks for, each with its byte range and the
// namespace declarations in scope. PES flows hold millions of elements; only a few hundred are ever recorded.

import { SceauError } from '../errors.js'
import { readPrologue, readSourcePrologue, type DocumentEncoding } from './encoding.js'
import type { XmlAttribute } from './c14n-method.js'
import { attributeValue, isAllSpace } from './c14n-text.js'
import { XmlScanner, malformed } from './scanner.js'
import { isByteSource, type XmlInput } from './source.js'

export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'

/** Attribute names treated as identifiers, as xmlsec1 and xml-crypto resolve `#id` references. */
export const ID_ATTRIBUTES: readonly string[] = ['Id', 'ID', 'id']

/** An attribute of a recorded element, value decoded and normalised. */
export interface IndexedAttribute {
  readonly name: string
  readonly value: string
  /** Byte range of the raw value, quotes excluded. */
  readonly valueStart: number
  readonly valueEnd: number
}

/** A recorded element. Offsets are absolute bytes in the document, end exclusive. */
export interface IndexedElement {
  /** Qualified name as written. */
  readonly name: string
  readonly localName: string
  /** Namespace URI, '' for none. */
  readonly namespace: string
  /** Offset of `<`. */
  readonly start: number
  /** Offset just past the start tag's `>`. */
  readonly startTagEnd: number
  readonly selfClosing: boolean
  /** Offset of the end tag's `<` (= startTagEnd for a self-closing element). */
  endTagStart: number
  /** Offset just past the element. */
  end: number
  /** 0 for the root. */
  readonly depth: number
  /** Start offset of the parent element, -1 for the root. */
  readonly parentStart: number
  /** Qualified name of the parent element, '' for the root. */
  readonly parentName: string
  /** Namespace declarations in scope on the element, its own included (prefix '' is the default namespace). */
  readonly namespaces: ReadonlyMap<string, string>
  /** Declarations in scope at the parent: the context `canonicalizeStream({ at })` needs. */
  readonly inheritedNamespaces: ReadonlyMap<string, string>
  /**
   * The xml:* attributes (xml:lang, xml:space, xml:base, xml:id…) of the ancestors, outermost first: what the
   * inclusive canonical forms carry over to the element when it is canonicalised alone (C14N 1.0 and 1.1 §2.4).
   */
  readonly inheritedXmlAttributes: readonly XmlAttribute[]
  readonly attributes: readonly IndexedAttribute[]
}

/** What {@link indexDocument} found. */
export interface DocumentIndex {
  readonly encoding: DocumentEncoding
  readonly root: IndexedElement
  /** Recorded elements in document order. */
  readonly elements: readonly IndexedElement[]
  /** Id value → the elements carrying it (more than one is a wrapping risk, reported by the callers). */
  readonly ids: ReadonlyMap<string, readonly IndexedElement[]>
  /** Every ds:Signature element, in document order. */
  readonly signatures: readonly IndexedElement[]
}

/** Options of {@link indexDocument}. */
export interface IndexDocumentOptions {
  /** Record elements for which this returns true, besides the root, Id carriers and signatures. */
  readonly keep?: (localName: string, namespace: string, depth: number) => boolean
  /** Deepest nesting accepted; 256 by default. */
  readonly maxDepth?: number
}

interface Frame {
  name: string
  start: number
  namespaces: ReadonlyMap<string, string>
  /** xml:* attributes of the element and its ancestors, outermost first. */
  xml: readonly XmlAttribute[]
  record: IndexedElement | undefined
}

const EMPTY: ReadonlyMap<string, string> = new Map()
const NO_XML: readonly XmlAttribute[] = []

/**
 * Indexes a document in one pass, checking well-formedness on the way (tags balanced, one root, prefixes bound,
 * no DOCTYPE). From a ByteSource, memory stays bounded by the window and what is recorded.
 *
 * @example
 * ```ts
 * const index = indexDocument(fileSource(fd, fstatSync(fd).size))
 * index.signatures.length
 * ```
 * @throws SceauError INPUT_MALFORMED, INPUT_TOO_LARGE (a single tag over 16 MiB)
 */
export function indexDocument(document: XmlInput, options: IndexDocumentOptions = {}): DocumentIndex {
  const input = isByteSource(document) ? document : Buffer.from(document.buffer, document.byteOffset, document.byteLength)
  const size = isByteSource(input) ? input.size : input.length
  const { encoding, contentStart } = isByteSource(input) ? readSourcePrologue(input) : readPrologue(input)
  // In memory, readPrologue has checked the whole document; from a source, the scanner checks what it reads.
  const scanner = new XmlScanner(input, encoding, contentStart, { validateUtf8: encoding === 'utf8' && isByteSource(input) })
  const maxDepth = options.maxDepth ?? 256
  const keep = options.keep
  const stack: Frame[] = []
  const elements: IndexedElement[] = []
  const ids = new Map<string, IndexedElement[]>()
  const signatures: IndexedElement[] = []
  let root: IndexedElement | undefined

  for (;;) {
    const token = scanner.next()
    if (token.kind === 'eof') break
    const bytes = scanner.window
    const base = scanner.base
    if (token.kind === 'start') {
      if (stack.length === 0 && root !== undefined) throw malformed('more than one root element', token.start)
      if (stack.length >= maxDepth) throw malformed(`elements nested deeper than ${maxDepth}`, token.start)
      const parent = stack[stack.length - 1]
      const inherited = parent?.namespaces ?? EMPTY
      const inheritedXml = parent?.xml ?? NO_XML
      let namespaces = inherited
      let xml = inheritedXml
      let idCarrier = false
      for (const attribute of token.attributes) {
        const name = attribute.name
        if (name === 'xmlns' || name.startsWith('xmlns:')) {
          if (namespaces === inherited) namespaces = new Map(inherited)
          ;(namespaces as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), attributeValue(bytes, encoding, attribute, base))
        } else if (name.startsWith('xml:')) {
          if (xml === inheritedXml) xml = [...inheritedXml]
          ;(xml as XmlAttribute[]).push({ name: name.slice(4), value: attributeValue(bytes, encoding, attribute, base) })
        } else if (ID_ATTRIBUTES.includes(name)) idCarrier = true
      }
      const colon = token.name.indexOf(':')
      const prefix = colon < 0 ? '' : token.name.slice(0, colon)
      const localName = colon < 0 ? token.name : token.name.slice(colon + 1)
      const namespace = namespaces.get(prefix) ?? ''
      if (prefix !== '' && !namespaces.has(prefix)) throw malformed(`element prefix "${prefix}" is not bound to a namespace`, token.start)
      const depth = stack.length
      const isSignature = localName === 'Signature' && namespace === XMLDSIG_NS
      let record: IndexedElement | undefined
      if (depth === 0 || idCarrier || isSignature || keep?.(localName, namespace, depth) === true) {
        record = {
          name: token.name,
          localName,
          namespace,
          start: token.start,
          startTagEnd: token.end,
          selfClosing: token.selfClosing,
          endTagStart: token.end,
          end: token.end,
          depth,
          parentStart: parent?.start ?? -1,
          parentName: parent?.name ?? '',
          namespaces,
          inheritedNamespaces: inherited,
          inheritedXmlAttributes: inheritedXml,
          attributes: token.attributes
            .filter((attribute) => attribute.name !== 'xmlns' && !attribute.name.startsWith('xmlns:'))
            .map((attribute) => ({
              name: attribute.name,
              value: attributeValue(bytes, encoding, attribute, base),
              valueStart: attribute.valueStart,
              valueEnd: attribute.valueEnd,
            })),
        }
        elements.push(record)
        if (depth === 0) root = record
        if (isSignature) signatures.push(record)
        for (const attribute of record.attributes) {
          if (!ID_ATTRIBUTES.includes(attribute.name)) continue
          const carriers = ids.get(attribute.value)
          if (carriers === undefined) ids.set(attribute.value, [record])
          else if (!carriers.includes(record)) carriers.push(record)
        }
      }
      if (!token.selfClosing) stack.push({ name: token.name, start: token.start, namespaces, xml, record })
    } else if (token.kind === 'end') {
      const frame = stack.pop()
      if (frame === undefined || frame.name !== token.name) {
        throw malformed(`end tag </${token.name}> does not match ${frame ? `<${frame.name}>` : 'any open element'}`, token.start)
      }
      if (frame.record !== undefined) {
        frame.record.endTagStart = token.start
        frame.record.end = token.end
      }
    } else if (stack.length === 0 && (token.kind === 'text' || token.kind === 'cdata')) {
      if (token.kind === 'cdata' || !isAllSpace(bytes, token.start - base, token.end - base))
        throw malformed('text outside the root element', token.start)
    }
  }
  if (stack.length > 0) throw malformed(`document ends inside <${stack[stack.length - 1]?.name}>`, size)
  if (root === undefined) throw malformed('no root element', size)
  return { encoding, root, elements, ids, signatures }
}

/** The value of an attribute of a recorded element. */
export function attribute(element: IndexedElement, name: string): string | undefined {
  return element.attributes.find((candidate) => candidate.name === name)?.value
}

/** The single element with this Id, or an error saying why there is not exactly one. */
export function elementById(index: DocumentIndex, id: string): IndexedElement {
  const carriers = index.ids.get(id) ?? []
  if (carriers.length === 1) return carriers[0] as IndexedElement
  throw new SceauError(
    'INPUT_MALFORMED',
    carriers.length === 0 ? `no element has Id "${id}"` : `Id "${id}" appears on ${carriers.length} elements (signature wrapping risk)`,
    { details: { id } },
  )
}
