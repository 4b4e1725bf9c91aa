// Canonical XML in one streaming pass over the document bytes, for a whole element (with its descendants) or the
// whole document, optionally minus one signature (the enveloped-signature transform): Canonical XML 1.0 and 1.1
// (inclusive) and Exclusive XML Canonicalization 1.0, each with or without comments. Rules: Canonical XML 1.0
// §2.3–2.4 (UTF-8, LF line ends, expanded references, sorted attributes, the document node's PIs and comments),
// Canonical XML 1.1 §2.4 (xml:* attributes of the omitted ancestors), xml-exc-c14n §3 (visibly used namespaces).
// Memory is O(depth): a PES flow of hundreds of MB never becomes a DOM.

import { SceauError } from '../errors.js'
import { inheritedXmlAttributes, XML_NS, EXCLUSIVE, type C14nMethod, type XmlAttribute } from './c14n-method.js'
import { attributeValue, escapeAttribute, isAllSpace, TextWriter, writeAttributeValue } from './c14n-text.js'
import { decodeBytes, readPrologue, readSourcePrologue, type DocumentEncoding, type DocumentPrologue } from './encoding.js'
import { XmlScanner, malformed, type RawAttribute } from './scanner.js'
import { ByteSink, type ChunkConsumer } from './sink.js'
import { isByteSource, type XmlInput } from './source.js'

/** Where an element sits in its document: what canonicalising it alone needs to know of its ancestors. */
export interface ElementContext {
  /** Byte offset of the element's `<`. */
  readonly offset: number
  /** Namespace declarations in scope at its parent (prefix '' is the default namespace). */
  readonly namespaces: ReadonlyMap<string, string>
  /** xml:* attributes of its ancestors, outermost first (inclusive canonical forms render the inherited ones). */
  readonly xmlAttributes?: readonly XmlAttribute[]
}

/** What to canonicalise and how; see `digestElementById` and `canonicalizeXml` for the public forms. */
export interface CanonicalizeOptions {
  /** The element to canonicalise: the one whose `Id` attribute has this value, found by scanning the document. */
  id?: string
  /**
   * Or the element at a known offset with its context (from an `indexDocument` pass): only that element is read,
   * so N elements cost one pass, not N. From a ByteSource, reading starts at that offset.
   */
  at?: ElementContext
  /**
   * Or the document node (a `URI=""` or `#xpointer(/)` reference): the root element with the processing
   * instructions, and with `method.comments` the comments, before and after it.
   */
  document?: boolean
  /** The document's encoding when already known (from an index): spares a validation pass over the whole file. */
  encoding?: DocumentEncoding
  /** The algorithm; exclusive without comments by default. */
  method?: C14nMethod
  /** Leave out every ds:Signature inside the element (what signing a PES element needs when it has none yet). */
  excludeSignature?: boolean
  /** Enveloped-signature transform as XML-DSig defines it: leave out the one element starting at this offset. */
  excludeAt?: number
  /** The exc-c14n InclusiveNamespaces PrefixList, when `method` does not carry it. */
  inclusiveNamespacePrefixes?: readonly string[]
  /** Deepest element nesting accepted; 256 by default. */
  maxDepth?: number
}

/** Byte offsets of the canonicalised element in the input, end exclusive (the root element for a document). */
export interface ElementRange {
  start: number
  end: number
}

const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'
const DEFAULT_MAX_DEPTH = 256
const NO_XML: readonly XmlAttribute[] = []

interface Frame {
  name: string
  /** Namespace declarations made on this element (prefix, '' for the default namespace). */
  declared: Map<string, string> | null
  /** exc-c14n: namespace declarations this element wrote to the output (output elements only). */
  rendered: Map<string, string> | null
  /** The default namespace in scope on this element: looked up for nearly every element, so kept at hand. */
  defaultNamespace: string
  /** Inclusive forms: xml:* attributes of this element and its ancestors, outermost first. */
  xml: readonly XmlAttribute[]
}

/**
 * Streams the canonical form of an element (by Id or offset) or of the whole document into `consumer`. By Id, the
 * whole document is scanned so that a duplicate Id (a signature-wrapping risk) is refused. Memory is O(depth).
 */
export function canonicalizeStream(document: XmlInput, options: CanonicalizeOptions, consumer: ChunkConsumer): ElementRange {
  const at = options.at
  const whole = options.document === true
  if ((at !== undefined ? 1 : 0) + (options.id !== undefined ? 1 : 0) + (whole ? 1 : 0) !== 1) {
    throw new TypeError('canonicalizeStream needs exactly one of id, at and document')
  }
  const input = isByteSource(document) ? document : Buffer.from(document.buffer, document.byteOffset, document.byteLength)
  const size = isByteSource(input) ? input.size : input.length
  const known = options.encoding
  const { encoding, contentStart }: DocumentPrologue =
    known !== undefined && !whole
      ? { encoding: known, contentStart: 0 }
      : isByteSource(input)
        ? readSourcePrologue(input)
        : readPrologue(input)
  const method = options.method ?? EXCLUSIVE
  const id = options.id
  const inclusiveForm = method.version !== 'exc-c14n'
  const version = method.version
  // In memory, readPrologue has checked the whole document; from a source, the scanner checks what it reads.
  const validateUtf8 = known === undefined && encoding === 'utf8' && isByteSource(input)
  const scanner = new XmlScanner(input, encoding, at?.offset ?? contentStart, { validateUtf8, comments: method.comments })
  const sink = new ByteSink(consumer)
  const text = new TextWriter(encoding, sink)
  const excludeSignature = options.excludeSignature ?? options.id !== undefined
  const excludeAt = options.excludeAt ?? -1
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
  const inclusive = inclusiveForm
    ? []
    : (method.prefixes ?? options.inclusiveNamespacePrefixes ?? []).map((prefix) => (prefix === '#default' ? '' : prefix))

  // In `at` mode a context frame holds the ancestors' declarations; the loop stops when the element closes.
  const stack: Frame[] =
    at === undefined
      ? []
      : [
          {
            name: '',
            declared: new Map(at.namespaces),
            rendered: null,
            defaultNamespace: at.namespaces.get('') ?? '',
            xml: at.xmlAttributes ?? NO_XML,
          },
        ]
  let targetDepth = -1 // stack length just after the target's start tag; -1 before and after it
  let skipDepth = -1 // stack length just after an excluded ds:Signature's start tag
  let range: ElementRange | undefined
  let rootSeen = at !== undefined

  const lookup = (prefix: string): string | undefined => {
    if (prefix === 'xml') return XML_NS
    if (prefix === '') return stack[stack.length - 1]?.defaultNamespace ?? ''
    for (let k = stack.length - 1; k >= 0; k--) {
      const value = stack[k]?.declared?.get(prefix)
      if (value !== undefined) return value
    }
    return undefined
  }
  const renderedValue = (prefix: string): string | undefined => {
    for (let k = stack.length - 1; k >= targetDepth - 1 && k >= 0; k--) {
      const value = stack[k]?.rendered?.get(prefix)
      if (value !== undefined) return value
    }
    return prefix === '' ? '' : undefined
  }
  /** Every namespace in scope on the element on top of the stack. */
  const inScope = (): Map<string, string> => {
    const all = new Map<string, string>()
    for (const frame of stack) if (frame.declared !== null) for (const [prefix, uri] of frame.declared) all.set(prefix, uri)
    return all
  }
  /** The value of `prefix` at the parent of the element on top of the stack. */
  const parentValue = (prefix: string): string | undefined => {
    if (prefix === '') return stack[stack.length - 2]?.defaultNamespace ?? ''
    for (let k = stack.length - 2; k >= 0; k--) {
      const value = stack[k]?.declared?.get(prefix)
      if (value !== undefined) return value
    }
    return undefined
  }
  /** Whether a top-level PI or comment comes before the root element (C14N 1.0 §2.3: followed by #xA) or after. */
  const writeTopLevel = (markup: string): void => {
    sink.writeString(rootSeen ? `\n${markup}` : `${markup}\n`)
  }

  for (;;) {
    if (at !== undefined && range !== undefined && targetDepth < 0) {
      sink.flush()
      return range
    }
    const token = scanner.next()
    if (token.kind === 'eof') break
    if (at !== undefined && range === undefined && token.kind !== 'start') throw malformed('no start tag at the given offset', at.offset)
    const emitting = targetDepth > 0 && skipDepth < 0
    const bytes = scanner.window
    const base = scanner.base
    switch (token.kind) {
      case 'start': {
        if (stack.length === 0) {
          if (rootSeen) throw malformed('more than one root element', token.start)
          rootSeen = true
        }
        if (stack.length >= maxDepth) throw malformed(`elements nested deeper than ${maxDepth}`, token.start)
        const parent = stack[stack.length - 1]
        const frame: Frame = {
          name: token.name,
          declared: null,
          rendered: null,
          defaultNamespace: parent?.defaultNamespace ?? '',
          xml: inclusiveForm ? (parent?.xml ?? NO_XML) : NO_XML,
        }
        let isTarget = false
        let ownXml: XmlAttribute[] | undefined
        for (const attribute of token.attributes) {
          const name = attribute.name
          if (name === 'xmlns' || name.startsWith('xmlns:')) {
            frame.declared ??= new Map()
            const value = attributeValue(bytes, encoding, attribute, base)
            frame.declared.set(name === 'xmlns' ? '' : name.slice(6), value)
            if (name === 'xmlns') frame.defaultNamespace = value
          } else if (inclusiveForm && name.startsWith('xml:')) {
            ownXml ??= []
            ownXml.push({ name: name.slice(4), value: attributeValue(bytes, encoding, attribute, base) })
          } else if (id !== undefined && name === 'Id' && attributeValue(bytes, encoding, attribute, base) === id) {
            if (range !== undefined || targetDepth > 0) {
              throw new SceauError('INPUT_MALFORMED', `Id "${id}" appears on more than one element (signature wrapping risk)`, {
                details: { id },
              })
            }
            isTarget = true
          }
        }
        if (at !== undefined && range === undefined) isTarget = true
        if (whole && stack.length === 0) isTarget = true
        const inherited = frame.xml
        if (ownXml !== undefined) frame.xml = [...inherited, ...ownXml]
        stack.push(frame)
        if (isTarget) {
          targetDepth = stack.length
          range = { start: token.start, end: -1 }
        }
        if (targetDepth > 0 && skipDepth < 0) {
          if (!isTarget && (token.start === excludeAt || (excludeSignature && isSignature(token.name, lookup)))) skipDepth = stack.length
          else if (!inclusiveForm) {
            writeExclusiveStartTag(sink, bytes, base, encoding, frame, token.attributes, inclusive, lookup, renderedValue, token.start)
          } else {
            const context: StartTag = { sink, bytes, base, encoding, frame, attributes: token.attributes, offset: token.start }
            writeInclusiveStartTag(context, version, isTarget, ownXml ?? NO_XML, inherited, lookup, inScope, parentValue)
          }
        }
        if (token.selfClosing) closeElement(token.end)
        break
      }
      case 'end': {
        const frame = stack[stack.length - 1]
        if (frame === undefined || frame.name !== token.name) {
          throw malformed(`end tag </${token.name}> does not match ${frame ? `<${frame.name}>` : 'any open element'}`, token.start)
        }
        closeElement(token.end)
        break
      }
      case 'text':
        if (emitting) text.write(bytes, base, token.start, token.end, false)
        else if (stack.length === 0 && !isAllSpace(bytes, token.start - base, token.end - base)) {
          throw malformed('text outside the root element', token.start)
        }
        break
      case 'cdata':
        if (stack.length === 0) throw malformed('CDATA section outside the root element', token.start)
        if (emitting) text.write(bytes, base, token.start, token.end, true)
        break
      case 'pi': {
        if (!emitting && !(whole && stack.length === 0)) break
        const data = decodeBytes(bytes, token.dataStart - base, token.dataEnd - base, encoding).replace(/\r\n?/g, '\n')
        const markup = data === '' ? `<?${token.target}?>` : `<?${token.target} ${data}?>`
        if (emitting) sink.writeString(markup)
        else writeTopLevel(markup)
        break
      }
      case 'comment': {
        if (!emitting && !(whole && stack.length === 0)) break
        const markup = `<!--${decodeBytes(bytes, token.start - base, token.end - base, encoding).replace(/\r\n?/g, '\n')}-->`
        if (emitting) sink.writeString(markup)
        else writeTopLevel(markup)
        break
      }
    }
  }
  if (stack.length > 0) throw malformed(`document ends inside <${stack[stack.length - 1]?.name}>`, size)
  if (!rootSeen) throw malformed('no root element', size)
  if (range === undefined) {
    throw new SceauError('INPUT_MALFORMED', `no element has Id "${options.id}"`, { details: { id: options.id ?? '' } })
  }
  sink.flush()
  return range

  function closeElement(end: number): void {
    const depth = stack.length
    const frame = stack[depth - 1] as Frame
    if (targetDepth > 0 && skipDepth < 0) {
      sink.writeByte(0x3c)
      sink.writeByte(0x2f)
      sink.writeString(frame.name)
      sink.writeByte(0x3e)
    }
    if (depth === skipDepth) skipDepth = -1
    if (depth === targetDepth) {
      targetDepth = -1
      if (range) range.end = end
    }
    stack.pop()
  }
}

function isSignature(name: string, lookup: (prefix: string) => string | undefined): boolean {
  const colon = name.indexOf(':')
  const local = colon < 0 ? name : name.slice(colon + 1)
  return local === 'Signature' && lookup(colon < 0 ? '' : name.slice(0, colon)) === XMLDSIG_NS
}

function prefixOf(name: string): string {
  const colon = name.indexOf(':')
  return colon < 0 ? '' : name.slice(0, colon)
}

/** A start tag being written: where its bytes are and where they go. */
interface StartTag {
  readonly sink: ByteSink
  readonly bytes: Buffer
  readonly base: number
  readonly encoding: DocumentEncoding
  readonly frame: Frame
  readonly attributes: RawAttribute[]
  readonly offset: number
}

/** An attribute to render: namespace URI and local name sort it (C14N 1.0 §2.2), `value` is unescaped. */
interface PlainAttribute {
  uri: string
  local: string
  name: string
  value: string
}

// Positional parameters: this runs for every element of a flow, and a context object per call shows in the bench.
function writeExclusiveStartTag(
  sink: ByteSink,
  bytes: Buffer,
  base: number,
  encoding: DocumentEncoding,
  frame: Frame,
  attributes: RawAttribute[],
  inclusive: string[],
  lookup: (prefix: string) => string | undefined,
  renderedValue: (prefix: string) => string | undefined,
  offset: number,
): void {
  if (frame.declared === null && inclusive.length === 0 && frame.name.indexOf(':') < 0 && allUnprefixed(attributes)) {
    // Fast path for the common PES element (`<X V="...">`): only the default namespace can need declaring.
    const uri = lookup('') as string
    if (renderedValue('') === uri) {
      // Written here rather than through writeSimpleStartTag: this runs for nearly every element of a flow.
      const sorted =
        attributes.length > 1 ? attributes.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : attributes
      sink.writeByte(0x3c)
      sink.writeString(frame.name)
      for (const attribute of sorted) {
        sink.writeByte(0x20)
        sink.writeString(attribute.name)
        sink.writeByte(0x3d)
        sink.writeByte(0x22)
        writeAttributeValue(sink, bytes, base, encoding, attribute)
        sink.writeByte(0x22)
      }
      sink.writeByte(0x3e)
      return
    }
  }
  const used = new Set<string>([prefixOf(frame.name)])
  const plain = plainAttributes(bytes, base, encoding, attributes, lookup, offset, used)
  for (const prefix of inclusive) if (prefix === '' || lookup(prefix) !== undefined) used.add(prefix)

  const declarations: [string, string][] = []
  for (const prefix of used) {
    if (prefix === 'xml') continue
    const uri = lookup(prefix)
    if (uri === undefined) throw malformed(`element prefix "${prefix}" is not bound to a namespace`, offset)
    if (renderedValue(prefix) !== uri) declarations.push([prefix, uri])
  }
  if (declarations.length > 0) {
    frame.rendered = new Map()
    for (const [prefix, uri] of declarations) frame.rendered.set(prefix, uri)
  }
  writeTag(sink, frame.name, declarations, plain)
}

/**
 * Canonical XML 1.0 / 1.1 namespace and attribute axes (§2.3, §2.4). The apex renders every namespace in scope
 * (a default namespace declared on an ancestor included; never `xmlns=""`) and the xml:* attributes it inherits;
 * a descendant renders the declarations that change what its parent has in scope.
 */
function writeInclusiveStartTag(
  tag: StartTag,
  version: C14nMethod['version'],
  apex: boolean,
  ownXml: readonly XmlAttribute[],
  inheritedXml: readonly XmlAttribute[],
  lookup: (prefix: string) => string | undefined,
  inScope: () => Map<string, string>,
  parentValue: (prefix: string) => string | undefined,
): void {
  const { sink, bytes, base, encoding, frame, attributes, offset } = tag
  if (!apex && frame.declared === null && allUnprefixed(attributes)) {
    writeSimpleStartTag(sink, bytes, base, encoding, frame.name, attributes)
    return
  }
  const prefix = prefixOf(frame.name)
  if (prefix !== '' && lookup(prefix) === undefined) throw malformed(`element prefix "${prefix}" is not bound to a namespace`, offset)
  const plain = plainAttributes(bytes, base, encoding, attributes, lookup, offset, undefined)
  const declarations: [string, string][] = []
  if (apex) {
    for (const [declared, uri] of inScope()) if (declared !== 'xml' && (declared !== '' || uri !== '')) declarations.push([declared, uri])
    const { added, ownBase } = inheritedXmlAttributes(version, inheritedXml, ownXml)
    for (const attribute of added) plain.push({ uri: XML_NS, local: attribute.name, name: `xml:${attribute.name}`, value: attribute.value })
    if (ownBase !== undefined) {
      const own = plain.find((attribute) => attribute.uri === XML_NS && attribute.local === 'base')
      if (own !== undefined) own.value = ownBase
    }
  } else if (frame.declared !== null) {
    for (const [declared, uri] of frame.declared) {
      if (declared === 'xml') continue
      if ((parentValue(declared) ?? '') !== uri) declarations.push([declared, uri])
    }
  }
  // libxml2, which xmlsec1 runs on, drops an xml:base whose value (fixed up) is empty in Canonical XML 1.1.
  const kept =
    version === 'c14n11'
      ? plain.filter((attribute) => attribute.uri !== XML_NS || attribute.local !== 'base' || attribute.value !== '')
      : plain
  writeTag(sink, frame.name, declarations, kept)
}

/** The attributes of a start tag other than namespace declarations, with their namespace URIs. */
function plainAttributes(
  bytes: Buffer,
  base: number,
  encoding: DocumentEncoding,
  attributes: RawAttribute[],
  lookup: (prefix: string) => string | undefined,
  offset: number,
  used: Set<string> | undefined,
): PlainAttribute[] {
  const plain: PlainAttribute[] = []
  for (const attribute of attributes) {
    const name = attribute.name
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue
    const prefix = prefixOf(name)
    let uri = ''
    if (prefix !== '') {
      const bound = lookup(prefix)
      if (bound === undefined) throw malformed(`attribute prefix "${prefix}" is not bound to a namespace`, offset)
      uri = bound
      used?.add(prefix)
    }
    const local = prefix === '' ? name : name.slice(prefix.length + 1)
    if (prefix !== '' && plain.some((other) => other.uri === uri && other.local === local)) {
      throw malformed(`attributes ${name} and another name the same {${uri}}${local} (Namespaces in XML §6.3)`, offset)
    }
    plain.push({ uri, local, name, value: attributeValue(bytes, encoding, attribute, base) })
  }
  return plain
}

function writeTag(sink: ByteSink, name: string, declarations: [string, string][], plain: PlainAttribute[]): void {
  declarations.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  plain.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.local < b.local ? -1 : a.local > b.local ? 1 : 0))
  let out = `<${name}`
  for (const [prefix, uri] of declarations) out += `${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${escapeAttribute(uri)}"`
  for (const attribute of plain) out += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`
  sink.writeString(`${out}>`)
}

/** A start tag with no namespace declaration to render and only unprefixed attributes, written from its bytes. */
function writeSimpleStartTag(
  sink: ByteSink,
  bytes: Buffer,
  base: number,
  encoding: DocumentEncoding,
  name: string,
  attributes: RawAttribute[],
): void {
  const sorted = attributes.length > 1 ? attributes.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : attributes
  sink.writeByte(0x3c)
  sink.writeString(name)
  for (const attribute of sorted) {
    sink.writeByte(0x20)
    sink.writeString(attribute.name)
    sink.writeByte(0x3d)
    sink.writeByte(0x22)
    writeAttributeValue(sink, bytes, base, encoding, attribute)
    sink.writeByte(0x22)
  }
  sink.writeByte(0x3e)
}

/** True when no attribute is a namespace declaration or carries a prefix. */
function allUnprefixed(attributes: RawAttribute[]): boolean {
  for (const attribute of attributes) {
    const name = attribute.name
    if (name.indexOf(':') >= 0 || name === 'xmlns') return false
  }
  return true
}
