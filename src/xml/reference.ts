// The digest of one same-document ds:Reference and what it covers. The common shapes stream (an element or the
// document, an optional enveloped-signature transform, at most one canonicalisation: every PES signature and most
// others); anything else runs through the node-set pipeline on a DOM of the document, parsed once and bounded.

import { createHash } from 'node:crypto'
import { SceauError } from '../errors.js'
import { canonicalizeStream } from './canonicalize-stream.js'
import { c14nMethodFromUri, C14N_10, type C14nMethod } from './c14n-method.js'
import { nodeHash, type XmlHash } from './digest.js'
import { NODE, type ParsedXml } from './dom.js'
import type { DocumentIndex, IndexedElement } from './index-document.js'
import type { NodeSet } from './node-set.js'
import { inputSize, type XmlInput } from './source.js'
import { dereference, DSIG_NS, ENVELOPED_SIGNATURE, runTransforms, type SameDocumentUri } from './transforms.js'

/** A document being verified: its bytes, its index, and a DOM of it built on first need. */
export interface ReferenceDocument {
  readonly input: XmlInput
  readonly index: DocumentIndex
  /** The whole document as a DOM (bounded in size); called only when a Reference cannot stream. */
  readonly dom: () => ParsedXml
}

/** One Reference as read from its signature. */
export interface ReferenceRequest {
  /** The parsed URI and the element it names (the root for the document). */
  readonly uri: SameDocumentUri
  readonly target: IndexedElement
  readonly transforms: readonly { readonly algorithm: string; readonly prefixList?: readonly string[] }[]
  readonly hash: XmlHash
  /** Byte offset of the ds:Reference element: the DOM path reads its ds:Transform elements there. */
  readonly offset: number
  /** The ds:Signature holding the Reference (what enveloped-signature removes). */
  readonly signature: IndexedElement
}

/** A Reference's digest and what the digested data holds. */
export interface ReferenceDigest {
  readonly digest: Uint8Array
  /** True when computed by the streaming canonicaliser, false through the DOM. */
  readonly streamed: boolean
  /**
   * Whether the digested data holds this element whole (ds:Signature subtrees inside it aside): how a verifier
   * tells which parts of a document a valid Reference signs.
   */
  covers(element: IndexedElement): boolean
}

/**
 * Computes the digest of a same-document Reference.
 *
 * @example
 * ```ts
 * const { digest, covers } = digestReference(doc, { uri: { kind: 'document', comments: false }, target: index.root,
 *   transforms: [{ algorithm: ENVELOPED_SIGNATURE }], hash: 'SHA-256', offset, signature })
 * ```
 * @throws SceauError ALGORITHM_UNSUPPORTED for a transform sceau does not implement; INPUT_TOO_LARGE when the
 * DOM path is needed for a document over its bound; INPUT_MALFORMED for malformed transforms.
 */
export function digestReference(document: ReferenceDocument, request: ReferenceRequest): ReferenceDigest {
  const streaming = streamingPlan(request)
  if (streaming !== undefined) return streamed(document, request, streaming)
  return throughDom(document, request)
}

interface StreamingPlan {
  readonly enveloped: boolean
  readonly method: C14nMethod
}

/** The streaming form of a Reference: [enveloped-signature] then at most one canonicalisation; else undefined. */
function streamingPlan(request: ReferenceRequest): StreamingPlan | undefined {
  let enveloped = false
  let method: C14nMethod | undefined
  for (const transform of request.transforms) {
    if (transform.algorithm === ENVELOPED_SIGNATURE && !enveloped && method === undefined) enveloped = true
    else if (method === undefined) {
      method = c14nMethodFromUri(transform.algorithm, transform.prefixList)
      if (method === undefined) return undefined
    } else return undefined
  }
  // No canonicalisation: the node-set becomes octets through Canonical XML 1.0 without comments (§4.4.3.2).
  method ??= c14nMethodFromUri(C14N_10) as C14nMethod
  // Comments reach the output only when the URI kept them (XML-DSig §4.4.3.3) and the method keeps them.
  return { enveloped, method: { ...method, comments: method.comments && request.uri.comments } }
}

function streamed(document: ReferenceDocument, request: ReferenceRequest, plan: StreamingPlan): ReferenceDigest {
  const { target, signature } = request
  const hash = createHash(nodeHash(request.hash))
  const removesTarget = plan.enveloped && target.start >= signature.start && target.end <= signature.end
  const excluded = plan.enveloped && signature.start > target.start && signature.end <= target.end
  // The enveloped-signature transform removes the signature with everything in it: a target inside it is gone.
  if (!removesTarget) {
    const options = {
      encoding: document.index.encoding,
      method: plan.method,
      excludeAt: excluded ? signature.start : undefined,
      excludeSignature: false,
    }
    const consume = (chunk: Buffer): void => {
      hash.update(chunk)
    }
    if (request.uri.kind === 'document') canonicalizeStream(document.input, { ...options, document: true }, consume)
    else {
      const at = { offset: target.start, namespaces: target.inheritedNamespaces, xmlAttributes: target.inheritedXmlAttributes }
      canonicalizeStream(document.input, { ...options, at }, consume)
    }
  }
  return {
    digest: new Uint8Array(hash.digest()),
    streamed: true,
    covers: (element) =>
      !removesTarget &&
      element.start >= target.start &&
      element.end <= target.end &&
      !(excluded && element.start >= signature.start && element.end <= signature.end),
  }
}

function throughDom(document: ReferenceDocument, request: ReferenceRequest): ReferenceDigest {
  const parsed = document.dom()
  const nodes = dereference(parsed, request.uri, () => parsed.elementAt(request.target.start))
  const reference = parsed.elementAt(request.offset)
  const signature = parsed.elementAt(request.signature.start)
  if (nodes === undefined || reference === undefined || signature === undefined) {
    throw new SceauError('INPUT_MALFORMED', `the Reference at byte ${request.offset} or what it names is not in the parsed document`)
  }
  const transforms: Element[] = []
  const list = childElement(reference, 'Transforms')
  for (let child = list?.firstChild ?? null; child !== null; child = child.nextSibling) {
    if (child.nodeType === NODE.element) transforms.push(child as Element)
  }
  const { octets, canonicalized } = runTransforms({ nodes }, transforms, { signature, parse: { maxBytes: octetsBound(document) } })
  return {
    digest: new Uint8Array(createHash(nodeHash(request.hash)).update(octets).digest()),
    streamed: false,
    covers: (element) => canonicalized !== undefined && holdsWhole(canonicalized, parsed.elementAt(element.start)),
  }
}

/** Octets parsed back into a document are bounded like the document itself. */
function octetsBound(document: ReferenceDocument): number {
  return Math.max(inputSize(document.input) * 2, 1024 * 1024)
}

function childElement(parent: Element, localName: string): Element | undefined {
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === NODE.element && (child as Element).localName === localName && (child as Element).namespaceURI === DSIG_NS) {
      return child as Element
    }
  }
  return undefined
}

/** The element and every node under it, ds:Signature subtrees aside, are in the set. */
function holdsWhole(set: NodeSet, element: Element | undefined): boolean {
  if (element === undefined || !set.has(element)) return false
  const stack: Node[] = [element]
  while (stack.length > 0) {
    const node = stack.pop() as Node
    if (node !== element && node.nodeType === NODE.element) {
      const child = node as Element
      if (child.localName === 'Signature' && child.namespaceURI === DSIG_NS) continue
    }
    if (node.nodeType !== NODE.comment && !set.has(node)) return false
    if (node.nodeType === NODE.element) {
      const attributes = (node as Element).attributes
      for (let k = 0; k < attributes.length; k++) {
        const attribute = attributes.item(k) as Attr
        if (attribute.namespaceURI !== 'http://www.w3.org/2000/xmlns/' && !set.has(attribute)) return false
      }
    }
    for (let child = node.firstChild; child !== null; child = child.nextSibling) stack.push(child)
  }
  return true
}
