// XPath node-sets over a parsed document, as XML-DSig's transforms pass them along (XML-DSig 1.1 §4.4.3.2).
// Namespace nodes are not listed: a namespace node is taken to be in the set exactly when its element is, which
// is what every transform XML-DSig signers use produces (an XPath test on a namespace node looks at its element's
// ancestors, and XPath Filter 2.0 takes whole subtrees).

import { NODE, XMLNS_NS } from './dom.js'

/** A set of nodes of one document: elements, attributes (not namespace declarations), text, comments, PIs. */
export class NodeSet {
  constructor(
    readonly document: Document,
    private readonly members: ReadonlySet<Node>,
  ) {}

  has(node: Node): boolean {
    return this.members.has(node)
  }

  get size(): number {
    return this.members.size
  }

  /** The nodes of this set for which `keep` is true. */
  filter(keep: (node: Node) => boolean): NodeSet {
    const kept = new Set<Node>()
    for (const node of this.members) if (keep(node)) kept.add(node)
    return new NodeSet(this.document, kept)
  }

  /** The nodes of this set also in `other`. */
  intersect(other: ReadonlySet<Node>): NodeSet {
    return this.filter((node) => other.has(node))
  }

  /** Members in document order (an element, then its attributes, then its children). */
  *inDocumentOrder(): Generator<Node> {
    for (const node of walk(this.document)) if (this.members.has(node)) yield node
  }
}

/** Every node of the document in document order: elements are followed by their attributes, then their children. */
export function* walk(root: Node): Generator<Node> {
  const stack: Node[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as Node
    yield node
    if (node.nodeType === NODE.element) {
      const attributes = (node as Element).attributes
      for (let k = 0; k < attributes.length; k++) {
        const attribute = attributes.item(k) as Attr
        if (attribute.namespaceURI !== XMLNS_NS) yield attribute
      }
    }
    const children: Node[] = []
    for (let child = node.firstChild; child !== null; child = child.nextSibling) children.push(child)
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k] as Node)
  }
}

/**
 * `node` with everything under it (attributes included), without comments unless `comments`: what a same-document
 * URI selects (XML-DSig §4.4.3.3: `""` and `#id` leave comments out, `#xpointer(/)` and `#xpointer(id('…'))` keep
 * them).
 */
export function subtree(node: Node, comments: boolean): Set<Node> {
  const members = new Set<Node>()
  for (const member of walk(node)) if (comments || member.nodeType !== NODE.comment) members.add(member)
  return members
}

/** The node-set of a whole document. */
export function wholeDocument(document: Document, comments: boolean): NodeSet {
  return new NodeSet(document, subtree(document, comments))
}

/** The node-set of one element's subtree. */
export function elementSubtree(element: Element, comments: boolean): NodeSet {
  return new NodeSet(element.ownerDocument as Document, subtree(element, comments))
}
