// A DOM built from sceau's own scanner, for what cannot stream: the node-set transforms of XML-DSig (XPath,
// XPath Filter 2.0, base64 of a node-set, C14N of a document subset) and reading small fragments such as a
// ds:Signature. The scanner refuses DTDs (so no entity can expand), the size and the depth are bounded, and every
// value (attributes normalised, references expanded, line ends normalised) is the one the streaming canonicaliser
// uses, so both paths see the same document. Nodes are @xmldom/xmldom's, which the `xpath` package evaluates.

import { DOMImplementation } from '@xmldom/xmldom'
import { SceauError } from '../errors.js'
import { XML_NS } from './c14n-method.js'
import { attributeValue, characterData, isAllSpace } from './c14n-text.js'
import { contentStartOf, readPrologue, type DocumentEncoding } from './encoding.js'
import { XmlScanner, malformed } from './scanner.js'
import { inputSize, readRange, type XmlInput } from './source.js'

export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/'

/** DOM node types used here (the DOM's numbering). */
export const NODE = {
  element: 1,
  attribute: 2,
  text: 3,
  cdata: 4,
  processingInstruction: 7,
  comment: 8,
  document: 9,
} as const

/** Limits of {@link parseXml}. */
export interface ParseXmlOptions {
  /** Largest document accepted (INPUT_TOO_LARGE beyond); 64 MB by default. */
  readonly maxBytes?: number
  /** Deepest nesting accepted; 256 by default. */
  readonly maxDepth?: number
  /** The encoding when already known (from an index); else read from the document's prologue. */
  readonly encoding?: DocumentEncoding
  /**
   * For a fragment cut out of a document (a ds:Signature): the namespaces in scope at its parent, and the offset
   * of its first byte in the document, added to the offsets `elementAt` and `offsetOf` use.
   */
  readonly fragment?: { readonly namespaces: ReadonlyMap<string, string>; readonly offset: number }
}

/** A parsed document and where each element's start tag is in the bytes it came from. */
export interface ParsedXml {
  readonly document: Document
  /** Element whose `<` is at this byte offset of the input. */
  elementAt(offset: number): Element | undefined
  /** Byte offset of an element's `<` in the input. */
  offsetOf(element: Element): number | undefined
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/**
 * Parses a document into a DOM with sceau's scanner: no DTD, bounded size and depth, comments and processing
 * instructions kept.
 *
 * @example
 * ```ts
 * const { document, elementAt } = parseXml(bytes, { maxBytes: 8 * 1024 * 1024 })
 * const signature = elementAt(index.signatures[0].start)
 * ```
 * @throws SceauError INPUT_MALFORMED (not well-formed, DOCTYPE, unbound prefix), INPUT_TOO_LARGE.
 */
export function parseXml(input: XmlInput, options: ParseXmlOptions = {}): ParsedXml {
  const size = inputSize(input)
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (size > maxBytes) {
    throw new SceauError('INPUT_TOO_LARGE', `an XML document of ${size} bytes is over the ${maxBytes} bytes a DOM is built for`, {
      details: { size, limit: maxBytes },
    })
  }
  const bytes = readRange(input, 0, size)
  const { encoding, contentStart } =
    options.encoding === undefined ? readPrologue(bytes) : { encoding: options.encoding, contentStart: contentStartOf(bytes) }
  const shift = options.fragment?.offset ?? 0
  const maxDepth = options.maxDepth ?? 256
  const document = new DOMImplementation().createDocument(null, null as unknown as string, null) as unknown as Document
  if (options.fragment !== undefined) contexts.set(document, options.fragment.namespaces)
  const byOffset = new Map<number, Element>()
  const offsets = new WeakMap<Element, number>()
  const scanner = new XmlScanner(bytes, encoding, contentStart, { comments: true })
  // Each open element with the namespaces in scope on it.
  const stack: { element: Element; name: string; namespaces: Map<string, string> }[] = []
  let root: Element | undefined
  for (;;) {
    const token = scanner.next()
    if (token.kind === 'eof') break
    const parent: Node = stack[stack.length - 1]?.element ?? document
    switch (token.kind) {
      case 'start': {
        if (stack.length === 0 && root !== undefined) throw malformed('more than one root element', token.start)
        if (stack.length >= maxDepth) throw malformed(`elements nested deeper than ${maxDepth}`, token.start)
        const inherited = stack[stack.length - 1]?.namespaces ?? options.fragment?.namespaces
        const namespaces = new Map(inherited)
        for (const attribute of token.attributes) {
          if (attribute.name === 'xmlns') namespaces.set('', attributeValue(bytes, encoding, attribute))
          else if (attribute.name.startsWith('xmlns:')) namespaces.set(attribute.name.slice(6), attributeValue(bytes, encoding, attribute))
        }
        const element = document.createElementNS(namespaceOf(token.name, namespaces, true, token.start), token.name)
        for (const attribute of token.attributes) {
          const name = attribute.name
          const value = attributeValue(bytes, encoding, attribute)
          const namespace = name === 'xmlns' || name.startsWith('xmlns:') ? XMLNS_NS : namespaceOf(name, namespaces, false, token.start)
          const local = name.slice(name.indexOf(':') + 1)
          if (namespace !== null && element.getAttributeNodeNS(namespace, local) !== null) {
            throw malformed(`attributes ${name} and another name the same {${namespace}}${local} (Namespaces in XML §6.3)`, token.start)
          }
          element.setAttributeNS(namespace, name, value)
        }
        parent.appendChild(element)
        byOffset.set(token.start + shift, element)
        offsets.set(element, token.start + shift)
        if (stack.length === 0) root = element
        if (!token.selfClosing) stack.push({ element, name: token.name, namespaces })
        break
      }
      case 'end': {
        const open = stack.pop()
        if (open === undefined || open.name !== token.name) {
          throw malformed(`end tag </${token.name}> does not match ${open ? `<${open.name}>` : 'any open element'}`, token.start)
        }
        break
      }
      case 'text':
        if (stack.length === 0) {
          if (!isAllSpace(bytes, token.start, token.end)) throw malformed('text outside the root element', token.start)
          break
        }
        parent.appendChild(document.createTextNode(characterData(bytes, token.start, token.end, encoding, false, token.start)))
        break
      case 'cdata':
        if (stack.length === 0) throw malformed('CDATA section outside the root element', token.start)
        parent.appendChild(document.createCDATASection(characterData(bytes, token.start, token.end, encoding, true, token.start)))
        break
      case 'comment':
        parent.appendChild(document.createComment(characterData(bytes, token.start, token.end, encoding, true, token.start)))
        break
      case 'pi':
        parent.appendChild(
          document.createProcessingInstruction(
            token.target,
            characterData(bytes, token.dataStart, token.dataEnd, encoding, true, token.dataStart),
          ),
        )
        break
    }
  }
  if (stack.length > 0) throw malformed(`document ends inside <${stack[stack.length - 1]?.name}>`, size)
  if (root === undefined) throw malformed('no root element', size)
  return { document, elementAt: (offset) => byOffset.get(offset), offsetOf: (element) => offsets.get(element) }
}

function namespaceOf(name: string, namespaces: ReadonlyMap<string, string>, element: boolean, offset: number): string | null {
  const colon = name.indexOf(':')
  if (colon < 0) return element ? namespaces.get('') || null : null
  const prefix = name.slice(0, colon)
  if (prefix === 'xml') return XML_NS
  const uri = namespaces.get(prefix)
  if (uri === undefined || uri === '') throw malformed(`prefix "${prefix}" is not bound to a namespace`, offset)
  return uri
}

/** Namespaces in scope around a parsed fragment. */
const contexts = new WeakMap<Document, ReadonlyMap<string, string>>()

/**
 * The namespaces in scope on an element (prefix '' for the default one; xmlns="" maps '' to ''), xml excluded; for
 * a parsed fragment, those declared around it included.
 */
export function namespacesInScope(element: Element): Map<string, string> {
  const chain: Element[] = []
  for (let node: Node | null = element; node !== null && node.nodeType === NODE.element; node = node.parentNode) chain.push(node as Element)
  const context = element.ownerDocument === null ? undefined : contexts.get(element.ownerDocument)
  const scope = new Map<string, string>(context)
  for (let k = chain.length - 1; k >= 0; k--) {
    const attributes = (chain[k] as Element).attributes
    for (let a = 0; a < attributes.length; a++) {
      const attribute = attributes.item(a) as Attr
      if (attribute.namespaceURI !== XMLNS_NS) continue
      scope.set(attribute.name === 'xmlns' ? '' : attribute.name.slice(6), attribute.value)
    }
  }
  return scope
}
