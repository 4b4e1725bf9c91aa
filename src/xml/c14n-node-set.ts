// Canonical XML of a document subset (an XPath node-set) with any of the six algorithms: Canonical XML 1.0 §2.3
// and §2.4, Canonical XML 1.1 §2.4, Exclusive XML Canonicalization §3. What the streaming canonicaliser does for a
// whole element or document, for the sets XPath and XPath Filter 2.0 transforms leave (elements left out while
// their descendants stay in, attributes left out…). Namespace nodes follow their element (see node-set.ts).

import { inheritedXmlAttributes, XML_NS, type C14nMethod, type XmlAttribute } from './c14n-method.js'
import { escapeAttribute, escapeText } from './c14n-text.js'
import { NODE, XMLNS_NS, namespacesInScope } from './dom.js'
import type { NodeSet } from './node-set.js'

/**
 * The canonical form (UTF-8) of a node-set.
 *
 * @example
 * ```ts
 * const bytes = canonicalizeNodeSet(elementSubtree(element, false), { version: 'c14n11', comments: false })
 * ```
 */
export function canonicalizeNodeSet(set: NodeSet, method: C14nMethod): Buffer {
  return new NodeSetCanonicalizer(set, method).run()
}

class NodeSetCanonicalizer {
  private readonly out: string[] = []
  private readonly scopes = new Map<Element, Map<string, string>>()
  /** exc-c14n: declarations rendered by each output ancestor, innermost last. */
  private readonly rendered: Map<string, string>[] = []
  private readonly prefixes: readonly string[]

  constructor(
    private readonly set: NodeSet,
    private readonly method: C14nMethod,
  ) {
    this.prefixes = (method.prefixes ?? []).map((prefix) => (prefix === '#default' ? '' : prefix))
  }

  run(): Buffer {
    const document = this.set.document
    let afterRoot = false
    for (let child = document.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === NODE.element) {
        this.element(child as Element)
        afterRoot = true
      } else if (child.nodeType === NODE.processingInstruction || child.nodeType === NODE.comment) {
        const before = this.out.length
        this.leaf(child)
        // Canonical XML 1.0 §2.3: PIs and comments of the root node are followed by #xA before the document
        // element, preceded by #xA after it.
        if (this.out.length > before) {
          if (afterRoot) this.out.splice(before, 0, '\n')
          else this.out.push('\n')
        }
      }
    }
    return Buffer.from(this.out.join(''), 'utf8')
  }

  private scope(element: Element): Map<string, string> {
    let scope = this.scopes.get(element)
    if (scope === undefined) {
      scope = namespacesInScope(element)
      this.scopes.set(element, scope)
    }
    return scope
  }

  private element(element: Element): void {
    // Iterative over children, recursive over depth (bounded by the parser).
    const visible = this.set.has(element)
    let pushed = false
    if (visible) {
      this.out.push(`<${element.nodeName}`)
      pushed = this.namespaces(element)
      this.attributes(element)
      this.out.push('>')
    }
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === NODE.element) this.element(child as Element)
      else this.leaf(child)
    }
    if (visible) this.out.push(`</${element.nodeName}>`)
    if (pushed) this.rendered.pop()
  }

  private leaf(node: Node): void {
    if (!this.set.has(node)) return
    switch (node.nodeType) {
      case NODE.text:
      case NODE.cdata:
        this.out.push(escapeText((node as Text).data))
        break
      case NODE.processingInstruction: {
        const { target, data } = node as ProcessingInstruction
        this.out.push(data === '' ? `<?${target}?>` : `<?${target} ${data}?>`)
        break
      }
      case NODE.comment:
        if (this.method.comments) this.out.push(`<!--${(node as Comment).data}-->`)
        break
    }
  }

  /** The nearest ancestor element in the set. */
  private visibleAncestor(element: Element): Element | undefined {
    for (let node = element.parentNode; node !== null && node.nodeType === NODE.element; node = node.parentNode) {
      if (this.set.has(node)) return node as Element
    }
    return undefined
  }

  /** Writes the namespace axis; returns true when it pushed an exc-c14n rendered map. */
  private namespaces(element: Element): boolean {
    const scope = this.scope(element)
    const declarations: [string, string][] = []
    if (this.method.version === 'exc-c14n') {
      const used = new Set<string>([prefixOf(element.nodeName)])
      for (const attribute of this.visibleAttributes(element)) {
        const prefix = prefixOf(attribute.name)
        if (prefix !== '' && prefix !== 'xml') used.add(prefix)
      }
      for (const prefix of this.prefixes) if (prefix === '' || scope.has(prefix)) used.add(prefix)
      for (const prefix of used) {
        if (prefix === 'xml') continue
        const uri = scope.get(prefix) ?? ''
        if (this.renderedValue(prefix) !== uri) declarations.push([prefix, uri])
      }
    } else {
      const ancestor = this.visibleAncestor(element)
      const above = ancestor === undefined ? undefined : this.scope(ancestor)
      for (const [prefix, uri] of scope) {
        if (prefix === 'xml') continue
        if (prefix === '' && uri === '') {
          if ((above?.get('') ?? '') !== '') declarations.push(['', ''])
        } else if (above?.get(prefix) !== uri) declarations.push([prefix, uri])
      }
    }
    declarations.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    for (const [prefix, uri] of declarations) this.out.push(`${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${escapeAttribute(uri)}"`)
    if (this.method.version !== 'exc-c14n' || declarations.length === 0) return false
    this.rendered.push(new Map(declarations))
    return true
  }

  private renderedValue(prefix: string): string | undefined {
    for (let k = this.rendered.length - 1; k >= 0; k--) {
      const value = this.rendered[k]?.get(prefix)
      if (value !== undefined) return value
    }
    return prefix === '' ? '' : undefined
  }

  private visibleAttributes(element: Element): Attr[] {
    const found: Attr[] = []
    const attributes = element.attributes
    for (let k = 0; k < attributes.length; k++) {
      const attribute = attributes.item(k) as Attr
      if (attribute.namespaceURI !== XMLNS_NS && this.set.has(attribute)) found.push(attribute)
    }
    return found
  }

  private attributes(element: Element): void {
    const plain = this.visibleAttributes(element).map((attribute) => ({
      uri: attribute.namespaceURI ?? '',
      local: attribute.localName ?? attribute.name,
      name: attribute.name,
      value: attribute.value,
    }))
    const version = this.method.version
    if (version !== 'exc-c14n') {
      const own: XmlAttribute[] = plain.filter((attribute) => attribute.uri === XML_NS).map(({ local, value }) => ({ name: local, value }))
      // C14N 1.0 looks at every ancestor once the parent is left out; C14N 1.1 at the omitted ancestors only.
      const parent = element.parentNode
      const parentLeftOut = parent !== null && parent.nodeType === NODE.element && !this.set.has(parent)
      const ancestors: XmlAttribute[] = []
      if (version === 'c14n11' || parentLeftOut) {
        for (let node = parent; node !== null && node.nodeType === NODE.element; node = node.parentNode) {
          if (version === 'c14n11' && this.set.has(node)) break
          ancestors.unshift(...xmlAttributesOf(node as Element))
        }
      }
      const { added, ownBase } = inheritedXmlAttributes(version, ancestors, own)
      for (const attribute of added)
        plain.push({ uri: XML_NS, local: attribute.name, name: `xml:${attribute.name}`, value: attribute.value })
      const base = plain.find((attribute) => attribute.uri === XML_NS && attribute.local === 'base')
      if (base !== undefined && ownBase !== undefined) base.value = ownBase
      // libxml2 (xmlsec1) drops an xml:base whose fixed-up value is empty in Canonical XML 1.1.
      if (version === 'c14n11' && base !== undefined && base.value === '') plain.splice(plain.indexOf(base), 1)
    }
    plain.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.local < b.local ? -1 : a.local > b.local ? 1 : 0))
    for (const attribute of plain) this.out.push(` ${attribute.name}="${escapeAttribute(attribute.value)}"`)
  }
}

function xmlAttributesOf(element: Element): XmlAttribute[] {
  const found: XmlAttribute[] = []
  const attributes = element.attributes
  for (let k = 0; k < attributes.length; k++) {
    const attribute = attributes.item(k) as Attr
    if (attribute.namespaceURI === XML_NS) found.push({ name: attribute.localName ?? attribute.name.slice(4), value: attribute.value })
  }
  return found
}

function prefixOf(name: string): string {
  const colon = name.indexOf(':')
  return colon < 0 ? '' : name.slice(0, colon)
}
