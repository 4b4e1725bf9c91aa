/**
 * Safe DOM parsing for trusted lists: bounded size and depth, no DTD, no network, and small helpers to read
 * namespaced children without XPath.
 *
 * @packageDocumentation
 */

import { DOMParser } from '@xmldom/xmldom'
import { SceauError } from '../../errors.js'

/** Limits applied before and while parsing. */
export interface SafeXmlOptions {
  /** Named in error messages. */
  readonly file?: string
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number
  /** Deepest element nesting accepted. */
  readonly maxDepth: number
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace'
const ELEMENT_NODE = 1

/**
 * Where a message points: ` in "fr.xml"` or nothing.
 *
 * @example
 * ```ts
 * throw new SceauError('INPUT_MALFORMED', `no <TSLType>${inFile(options.file)}`)
 * ```
 */
export function inFile(file: string | undefined): string {
  return file === undefined ? '' : ` in "${file}"`
}

/**
 * An `INPUT_MALFORMED` error naming the file when known.
 *
 * @example
 * ```ts
 * if (root === null) throw malformed('the XML has no root element', options.file)
 * ```
 */
export function malformed(message: string, file: string | undefined, cause?: unknown): SceauError {
  return new SceauError('INPUT_MALFORMED', `${message}${inFile(file)}`, { cause, details: { file } })
}

/**
 * Parses `input` into a DOM document after refusing DTDs and oversized input, then checks the depth.
 *
 * @example
 * ```ts
 * const doc = parseXmlSafely(bytes, { file: 'tl-fr.xml', maxBytes: 20 * 1024 * 1024, maxDepth: 64 })
 * ```
 */
export function parseXmlSafely(input: Uint8Array | string, options: SafeXmlOptions): Document {
  const { file } = options
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength
  if (size > options.maxBytes) {
    throw new SceauError('INPUT_TOO_LARGE', `the XML is ${size} bytes, more than the ${options.maxBytes} allowed${inFile(file)}`, {
      details: { file, size, maxBytes: options.maxBytes },
    })
  }
  let text: string
  try {
    // fatal: a TL is UTF-8 (TS 119 612 §6.1); replacement characters would silently alter names and OIDs.
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input)
  } catch (err) {
    throw malformed('the XML is not valid UTF-8', file, err)
  }
  // Refused outright rather than parsed with care: a TL never has one, and internal entities are the
  // billion-laughs vector whatever the parser promises about external ones.
  if (/<!DOCTYPE/i.test(text)) throw malformed('DOCTYPE declarations are refused', file)
  const problems: string[] = []
  const record = (message: string): void => {
    problems.push(message.replace(/^\[xmldom [a-z]+\]\s*/, '').split('\n')[0] ?? message)
  }
  let doc: Document
  try {
    // xmldom reports and carries on; every report, warnings included (an unclosed tag is one), makes us refuse.
    doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(
      text,
      'text/xml',
    ) as unknown as Document
  } catch (err) {
    throw malformed(`the XML is not well-formed (${err instanceof Error ? err.message : String(err)})`, file, err)
  }
  if (problems.length > 0) throw malformed(`the XML is not well-formed (${problems[0]})`, file)
  if (doc.documentElement === null) throw malformed('the XML has no root element', file)
  checkDepth(doc.documentElement, options.maxDepth, file)
  return doc
}

// Iterative on purpose: the point is to survive nesting that would overflow a recursive walk.
function checkDepth(root: Element, maxDepth: number, file: string | undefined): void {
  const stack: [Element, number][] = [[root, 1]]
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [element, depth] = entry
    if (depth > maxDepth) {
      throw malformed(`the XML nests elements more than ${maxDepth} deep (at <${element.nodeName}>)`, file)
    }
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === ELEMENT_NODE) stack.push([child as Element, depth + 1])
    }
  }
}

/**
 * The element children of `parent` with the given namespace and local name, in document order.
 *
 * @example
 * ```ts
 * const providers = children(list, TL_NAMESPACES.tsl, 'TrustServiceProvider')
 * ```
 */
export function children(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = []
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType !== ELEMENT_NODE) continue
    const element = child as Element
    if (element.localName === localName && element.namespaceURI === namespace) found.push(element)
  }
  return found
}

/**
 * All element children of `parent`, whatever their name.
 *
 * @example
 * ```ts
 * for (const element of elementChildren(extension)) console.log(element.localName)
 * ```
 */
export function elementChildren(parent: Element): Element[] {
  const found: Element[] = []
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) found.push(child as Element)
  }
  return found
}

/**
 * The first matching child, or undefined.
 *
 * @example
 * ```ts
 * const nextUpdate = child(scheme, TL_NAMESPACES.tsl, 'NextUpdate')
 * ```
 */
export function child(parent: Element, namespace: string, localName: string): Element | undefined {
  return children(parent, namespace, localName)[0]
}

/**
 * The first matching child; a missing one is an `INPUT_MALFORMED` naming it and its parent.
 *
 * @example
 * ```ts
 * const scheme = requiredChild(root, TL_NAMESPACES.tsl, 'SchemeInformation', 'tl-fr.xml')
 * ```
 */
export function requiredChild(parent: Element, namespace: string, localName: string, file: string | undefined): Element {
  const found = child(parent, namespace, localName)
  if (found === undefined) throw malformed(`the mandatory element <${localName}> is missing from <${parent.localName}>`, file)
  return found
}

/**
 * The trimmed text content of an element.
 *
 * @example
 * ```ts
 * const status = text(requiredChild(info, TL_NAMESPACES.tsl, 'ServiceStatus', file))
 * ```
 */
export function text(element: Element): string {
  return (element.textContent ?? '').trim()
}

/**
 * The trimmed text of a mandatory child; missing or empty is `INPUT_MALFORMED`.
 *
 * @example
 * ```ts
 * const territory = requiredText(scheme, TL_NAMESPACES.tsl, 'SchemeTerritory', file)
 * ```
 */
export function requiredText(parent: Element, namespace: string, localName: string, file: string | undefined): string {
  const value = text(requiredChild(parent, namespace, localName, file))
  if (value === '') throw malformed(`the mandatory element <${localName}> of <${parent.localName}> is empty`, file)
  return value
}

/**
 * The `xml:lang` of an element, when it has one.
 *
 * @example
 * ```ts
 * const english = names.filter((name) => lang(name) === 'en')
 * ```
 */
export function lang(element: Element): string | undefined {
  const value = element.getAttributeNS(XML_NS, 'lang') || element.getAttribute('xml:lang')
  return value === null || value === '' ? undefined : value
}
