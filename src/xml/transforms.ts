// XML-DSig reference processing on a DOM (XML-DSig 1.1 §4.4.3): same-document dereferencing (§4.4.3.3) and the
// transforms (§6.6) that pass node-sets along — enveloped-signature, XPath, XPath Filter 2.0, base64, the six
// canonicalisations — with the conversions between octets and node-sets §4.4.3.2 asks for. The streaming
// canonicaliser covers the common cases (an element or the document, enveloped-signature, one canonicalisation);
// this covers the rest, for documents a DOM can hold.

import { SceauError } from '../errors.js'
import { canonicalizeNodeSet } from './c14n-node-set.js'
import { c14nMethodFromUri, C14N_10 } from './c14n-method.js'
import { NODE, parseXml, type ParseXmlOptions, type ParsedXml } from './dom.js'
import { elementSubtree, NodeSet, subtree, wholeDocument } from './node-set.js'
import { compileXPath } from './xpath.js'

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
export const BASE64_TRANSFORM = 'http://www.w3.org/2000/09/xmldsig#base64'
export const XPATH_TRANSFORM = 'http://www.w3.org/TR/1999/REC-xpath-19991116'
export const XPATH_FILTER2 = 'http://www.w3.org/2002/06/xmldsig-filter2'
const EXC_C14N_NS = 'http://www.w3.org/2001/10/xml-exc-c14n#'

/** What flows between transforms: octets, or a node-set of some document. */
export type TransformData = { readonly octets: Uint8Array } | { readonly nodes: NodeSet }

/** A same-document URI (XML-DSig §4.4.3.3): which node-set it selects, comments included or not. */
export type SameDocumentUri =
  { readonly kind: 'document'; readonly comments: boolean } | { readonly kind: 'id'; readonly id: string; readonly comments: boolean }

/**
 * What a same-document URI names: `""` (the document, no comments), `#xpointer(/)` (the document, comments),
 * `#id` (an element, no comments), `#xpointer(id('id'))` (an element, comments); undefined for anything else.
 *
 * @example
 * ```ts
 * parseSameDocumentUri("#xpointer(id('S1'))") // { kind: 'id', id: 'S1', comments: true }
 * ```
 */
export function parseSameDocumentUri(uri: string): SameDocumentUri | undefined {
  if (uri === '') return { kind: 'document', comments: false }
  if (uri === '#xpointer(/)') return { kind: 'document', comments: true }
  const xpointer = /^#xpointer\(id\((?:'([^']*)'|"([^"]*)")\)\)$/.exec(uri)
  if (xpointer !== null) return { kind: 'id', id: xpointer[1] ?? xpointer[2] ?? '', comments: true }
  if (uri.startsWith('#') && !uri.startsWith('#xpointer(') && uri.length > 1) return { kind: 'id', id: uri.slice(1), comments: false }
  return undefined
}

/** Where the transforms of one Reference run. */
export interface TransformContext {
  /** The ds:Signature the Reference belongs to, in the same DOM as the data (the enveloped-signature transform). */
  readonly signature: Element | undefined
  /** Limits for octets parsed back into a node-set. */
  readonly parse?: ParseXmlOptions
}

/** What a Reference's transforms produce. */
export interface TransformOutput {
  /** The octets to digest. */
  readonly octets: Uint8Array
  /**
   * The node-set of the input document these octets are the canonical form of, when they are one (the chain ends
   * with a node-set, or with a canonicalisation of one); undefined when later transforms changed the octets.
   */
  readonly canonicalized: NodeSet | undefined
}

/**
 * Runs the ds:Transform elements of a Reference over its data and returns the octets to digest (a node-set left
 * at the end is canonicalised with Canonical XML 1.0, §4.4.3.2).
 *
 * @example
 * ```ts
 * const { octets } = runTransforms({ nodes }, transformElements, { signature })
 * ```
 * @throws SceauError ALGORITHM_UNSUPPORTED for a transform sceau does not implement (XSLT, decryption…),
 * INPUT_MALFORMED for malformed transform parameters or octets that do not parse.
 */
export function runTransforms(input: TransformData, transforms: readonly Element[], context: TransformContext): TransformOutput {
  let data = input
  let canonicalized: NodeSet | undefined
  for (const transform of transforms) {
    const before = data
    data = runTransform(data, transform, context)
    canonicalized = 'octets' in data && 'nodes' in before && isCanonicalization(transform) ? before.nodes : undefined
  }
  if ('nodes' in data) return { octets: toOctets(data), canonicalized: data.nodes }
  return { octets: data.octets, canonicalized }
}

/** The octets of transform data: a node-set is canonicalised with Canonical XML 1.0 without comments. */
export function toOctets(data: TransformData): Uint8Array {
  if ('octets' in data) return data.octets
  return canonicalizeNodeSet(data.nodes, c14nMethodFromUri(C14N_10) as NonNullable<ReturnType<typeof c14nMethodFromUri>>)
}

function isCanonicalization(transform: Element): boolean {
  return c14nMethodFromUri(transform.getAttribute('Algorithm') ?? '') !== undefined
}

function runTransform(data: TransformData, transform: Element, context: TransformContext): TransformData {
  const algorithm = transform.getAttribute('Algorithm') ?? ''
  const method = c14nMethodFromUri(algorithm, inclusivePrefixes(transform))
  if (method !== undefined) {
    // Octets are parsed first: their canonical form is that of the whole document they hold, with its comments
    // for a WithComments method.
    return { octets: canonicalizeNodeSet(nodesOf(data, context, method.comments), method) }
  }
  switch (algorithm) {
    case ENVELOPED_SIGNATURE: {
      const nodes = nodesOf(data, context, true)
      const signature = context.signature
      if (signature === undefined || signature.ownerDocument !== nodes.document) return { nodes }
      const removed = subtree(signature, true)
      return { nodes: nodes.filter((node) => !removed.has(node)) }
    }
    case BASE64_TRANSFORM:
      return { octets: base64Decode('octets' in data ? Buffer.from(data.octets).toString('latin1') : textOf(data.nodes)) }
    case XPATH_TRANSFORM: {
      const expression = childElements(transform).find((child) => child.localName === 'XPath' && child.namespaceURI === DSIG_NS)
      if (expression === undefined) throw new SceauError('INPUT_MALFORMED', 'an XPath transform has no ds:XPath element')
      const xpath = compileXPath(expression)
      return { nodes: nodesOf(data, context, true).filter((node) => xpath.test(node)) }
    }
    case XPATH_FILTER2:
      return { nodes: filter2(nodesOf(data, context, true), transform) }
    default:
      throw new SceauError('ALGORITHM_UNSUPPORTED', `transform ${algorithm} is not supported`, { details: { algorithm } })
  }
}

/**
 * XPath Filter 2.0 (§3): each expression, evaluated from the document root, selects subtrees; the filter starts as
 * the whole document and each step intersects, subtracts or unites; the output is the input intersected with it.
 */
function filter2(input: NodeSet, transform: Element): NodeSet {
  const steps = childElements(transform).filter((child) => child.localName === 'XPath' && child.namespaceURI === XPATH_FILTER2)
  if (steps.length === 0) throw new SceauError('INPUT_MALFORMED', 'an XPath Filter 2.0 transform has no XPath element')
  let filter = subtree(input.document, true)
  for (const step of steps) {
    const operation = step.getAttribute('Filter')
    const selected = new Set<Node>()
    for (const node of compileXPath(step).select(input.document)) for (const member of subtree(node, true)) selected.add(member)
    if (operation === 'intersect') filter = new Set([...filter].filter((node) => selected.has(node)))
    else if (operation === 'subtract') filter = new Set([...filter].filter((node) => !selected.has(node)))
    else if (operation === 'union') for (const node of selected) filter.add(node)
    else throw new SceauError('INPUT_MALFORMED', `XPath Filter 2.0 operation "${operation ?? ''}" is not intersect, subtract or union`)
  }
  return input.intersect(filter)
}

/** The node-set of transform data; octets are parsed (§4.4.3.2), keeping comments only when asked. */
function nodesOf(data: TransformData, context: TransformContext, comments: boolean): NodeSet {
  if ('nodes' in data) return data.nodes
  return wholeDocument(parseXml(data.octets, context.parse).document, comments)
}

/** §6.6.2: a node-set becomes the string value of its text nodes (self::text()), in document order. */
function textOf(nodes: NodeSet): string {
  let text = ''
  for (const node of nodes.inDocumentOrder()) if (node.nodeType === NODE.text || node.nodeType === NODE.cdata) text += (node as Text).data
  return text
}

function base64Decode(text: string): Uint8Array {
  const compact = text.replace(/[\t\n\r ]+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new SceauError('INPUT_MALFORMED', 'the base64 transform input is not base64')
  }
  return new Uint8Array(Buffer.from(compact, 'base64'))
}

function inclusivePrefixes(transform: Element): string[] | undefined {
  const inclusive = childElements(transform).find(
    (child) => child.localName === 'InclusiveNamespaces' && child.namespaceURI === EXC_C14N_NS,
  )
  const list = inclusive?.getAttribute('PrefixList')
  return list === null || list === undefined
    ? undefined
    : list
        .trim()
        .split(/\s+/)
        .filter((prefix) => prefix !== '')
}

function childElements(parent: Element): Element[] {
  const found: Element[] = []
  for (let child = parent.firstChild; child !== null; child = child.nextSibling)
    if (child.nodeType === NODE.element) found.push(child as Element)
  return found
}

/**
 * The node-set a same-document URI selects in a parsed document, or undefined when no element carries the Id.
 * `elementById` resolves Ids (the caller's index refuses an Id carried twice).
 */
export function dereference(
  parsed: ParsedXml,
  uri: SameDocumentUri,
  elementById: (id: string) => Element | undefined,
): NodeSet | undefined {
  if (uri.kind === 'document') return wholeDocument(parsed.document, uri.comments)
  const element = elementById(uri.id)
  return element === undefined ? undefined : elementSubtree(element, uri.comments)
}
