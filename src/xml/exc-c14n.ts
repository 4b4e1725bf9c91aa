// Exclusive XML Canonicalization 1.0 (without comments) of the element carrying a given Id, in one streaming
// pass over the document bytes, with the optional enveloped-signature transform. Rules: W3C xml-exc-c14n §3 on
// top of Canonical XML 1.0 §2.3 and §2.4 (UTF-8, LF line ends, expanded references, sorted attributes).

import { isAscii } from 'node:buffer'
import { SceauError } from '../errors.js'
import { readPrologue, readSourcePrologue, type DocumentEncoding, type DocumentPrologue } from './encoding.js'
import { XmlScanner, malformed, type RawAttribute } from './scanner.js'
import { ByteSink, type ChunkConsumer } from './sink.js'
import { isByteSource, type XmlInput } from './source.js'

/** What to canonicalise; see `digestElementById` for the public form. */
export interface CanonicalizeOptions {
  /** The element to canonicalise: the one whose `Id` attribute has this value, found by scanning the document. */
  id?: string
  /**
   * Or the element whose start tag begins at this byte offset, with the namespace declarations in scope there
   * (from a {@link indexDocument} pass): only that element is read, so N elements cost one pass, not N. From a
   * ByteSource, reading starts at that offset.
   */
  at?: { offset: number; namespaces: ReadonlyMap<string, string> }
  /** The document's encoding when already known (from an index): spares a validation pass over the whole file. */
  encoding?: DocumentEncoding
  /** Leave out every ds:Signature inside the element (what signing a PES element needs when it has none yet). */
  excludeSignature?: boolean
  /** Enveloped-signature transform as XML-DSig defines it: leave out the one element starting at this offset. */
  excludeAt?: number
  inclusiveNamespacePrefixes?: string[]
  /** Deepest element nesting accepted; 256 by default. */
  maxDepth?: number
}

/** Byte offsets of the canonicalised element in the input, end exclusive. */
export interface ElementRange {
  start: number
  end: number
}

const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'
const XML_NS = 'http://www.w3.org/XML/1998/namespace'
const DEFAULT_MAX_DEPTH = 256

interface Frame {
  name: string
  /** Namespace declarations made on this element (prefix, '' for the default namespace). */
  declared: Map<string, string> | null
  /** Namespace declarations this element wrote to the output (output elements only). */
  rendered: Map<string, string> | null
  /** The default namespace in scope on this element: looked up for nearly every element, so kept at hand. */
  defaultNamespace: string
}

/**
 * Streams the exc-c14n form of the element whose `Id` attribute equals `options.id` into `consumer`, scanning
 * the whole document so that a duplicate Id (a signature-wrapping risk) is refused. Memory is O(depth).
 */
export function canonicalizeStream(document: XmlInput, options: CanonicalizeOptions, consumer: ChunkConsumer): ElementRange {
  const at = options.at
  if ((at === undefined) === (options.id === undefined)) throw new TypeError('canonicalizeStream needs exactly one of id and at')
  const input = isByteSource(document) ? document : Buffer.from(document.buffer, document.byteOffset, document.byteLength)
  const size = isByteSource(input) ? input.size : input.length
  const known = options.encoding
  const { encoding, contentStart }: DocumentPrologue =
    known !== undefined ? { encoding: known, contentStart: 0 } : isByteSource(input) ? readSourcePrologue(input) : readPrologue(input)
  // In memory, readPrologue has checked the whole document; from a source, the scanner checks what it reads.
  const validateUtf8 = known === undefined && encoding === 'utf8' && isByteSource(input)
  const scanner = new XmlScanner(input, encoding, at?.offset ?? contentStart, { validateUtf8 })
  const sink = new ByteSink(consumer)
  const text = new TextWriter(encoding, sink)
  const excludeSignature = options.excludeSignature ?? at === undefined
  const excludeAt = options.excludeAt ?? -1
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
  const inclusive = (options.inclusiveNamespacePrefixes ?? []).map((prefix) => (prefix === '#default' ? '' : prefix))

  // In `at` mode a context frame holds the ancestors' declarations; the loop stops when the element closes.
  const stack: Frame[] =
    at === undefined ? [] : [{ name: '', declared: new Map(at.namespaces), rendered: null, defaultNamespace: at.namespaces.get('') ?? '' }]
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
    return prefix === '' ? '' : undefined
  }
  const renderedValue = (prefix: string): string | undefined => {
    for (let k = stack.length - 1; k >= targetDepth - 1 && k >= 0; k--) {
      const value = stack[k]?.rendered?.get(prefix)
      if (value !== undefined) return value
    }
    return prefix === '' ? '' : undefined
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
        const frame: Frame = {
          name: token.name,
          declared: null,
          rendered: null,
          defaultNamespace: stack[stack.length - 1]?.defaultNamespace ?? '',
        }
        let isTarget = false
        for (const attribute of token.attributes) {
          const name = attribute.name
          if (name === 'xmlns' || name.startsWith('xmlns:')) {
            frame.declared ??= new Map()
            const value = attributeValue(bytes, encoding, attribute, base)
            frame.declared.set(name === 'xmlns' ? '' : name.slice(6), value)
            if (name === 'xmlns') frame.defaultNamespace = value
          } else if (at === undefined && name === 'Id' && attributeValue(bytes, encoding, attribute, base) === options.id) {
            if (range !== undefined || targetDepth > 0) {
              throw new SceauError('INPUT_MALFORMED', `Id "${options.id}" appears on more than one element (signature wrapping risk)`, {
                details: { id: options.id },
              })
            }
            isTarget = true
          }
        }
        if (at !== undefined && range === undefined) isTarget = true
        stack.push(frame)
        if (isTarget) {
          targetDepth = stack.length
          range = { start: token.start, end: -1 }
        }
        if (targetDepth > 0 && skipDepth < 0) {
          if (!isTarget && (token.start === excludeAt || (excludeSignature && isSignature(token.name, lookup)))) skipDepth = stack.length
          else writeStartTag(sink, bytes, base, encoding, frame, token.attributes, inclusive, lookup, renderedValue, token.start)
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
      case 'pi':
        if (emitting) {
          const data = bytes.toString(encoding, token.dataStart - base, token.dataEnd - base).replace(/\r\n?/g, '\n')
          sink.writeString(data === '' ? `<?${token.target}?>` : `<?${token.target} ${data}?>`)
        }
        break
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

function writeStartTag(
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
  const plain: { uri: string; local: string; name: string; value: string }[] = []
  for (const attribute of attributes) {
    const name = attribute.name
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue
    const prefix = prefixOf(name)
    let uri = ''
    if (prefix !== '') {
      const bound = lookup(prefix)
      if (bound === undefined) throw malformed(`attribute prefix "${prefix}" is not bound to a namespace`, offset)
      uri = bound
      used.add(prefix)
    }
    plain.push({
      uri,
      local: prefix === '' ? name : name.slice(prefix.length + 1),
      name,
      value: attributeValue(bytes, encoding, attribute, base),
    })
  }
  for (const prefix of inclusive) if (prefix === '' || lookup(prefix) !== undefined) used.add(prefix)

  const declarations: [string, string][] = []
  for (const prefix of used) {
    if (prefix === 'xml') continue
    const uri = lookup(prefix)
    if (uri === undefined) throw malformed(`element prefix "${prefix}" is not bound to a namespace`, offset)
    if (renderedValue(prefix) !== uri) declarations.push([prefix, uri])
  }
  declarations.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  plain.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.local < b.local ? -1 : a.local > b.local ? 1 : 0))

  let out = `<${frame.name}`
  if (declarations.length > 0) frame.rendered = new Map()
  for (const [prefix, uri] of declarations) {
    frame.rendered?.set(prefix, uri)
    out += `${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${escapeAttribute(uri)}"`
  }
  for (const attribute of plain) out += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`
  sink.writeString(`${out}>`)
}

/** True when no attribute is a namespace declaration or carries a prefix. */
function allUnprefixed(attributes: RawAttribute[]): boolean {
  for (const attribute of attributes) {
    const name = attribute.name
    if (name.indexOf(':') >= 0 || name === 'xmlns') return false
  }
  return true
}

/**
 * The normalised value of a CDATA attribute (no DTD: every attribute is CDATA), XML 1.0 §3.3.3. `bytes` holds the
 * document from offset `base` (a scanner's window).
 */
export function attributeValue(bytes: Buffer, encoding: DocumentEncoding, attribute: RawAttribute, base = 0): string {
  const start = attribute.valueStart - base
  const end = attribute.valueEnd - base
  const raw = bytes.toString(encoding, start, end)
  if (!hasByte(bytes, start, end, NORMALISED)) return raw
  return raw.replace(/\r\n|[\r\n\t]|&([^;&]*);?/g, (match: string, reference: string | undefined) => {
    if (reference === undefined) return ' '
    if (!match.endsWith(';')) throw malformed(`"&" not starting a reference in attribute ${attribute.name}`, attribute.valueStart)
    return String.fromCodePoint(expandReference(reference, attribute.valueStart))
  })
}

/** 1 for the bytes attribute-value normalisation rewrites: '&', TAB, LF, CR. */
const NORMALISED = byteTable([0x26, 0x09, 0x0a, 0x0d])
/**
 * Writes the canonical form of an attribute value straight from its bytes: what {@link attributeValue} then
 * escaping would give, without decoding to a string (most values are copied as they are).
 */
function writeAttributeValue(sink: ByteSink, bytes: Buffer, base: number, encoding: DocumentEncoding, attribute: RawAttribute): void {
  const special = encoding === 'latin1' ? LATIN1_VALUE_SPECIAL : UTF8_VALUE_SPECIAL
  const end = attribute.valueEnd - base
  let i = attribute.valueStart - base
  let run = i
  while (i < end) {
    const byte = bytes[i] as number
    if (special[byte] === 0) {
      i++
      continue
    }
    if (run < i) sink.writeBytes(bytes, run, i)
    i++
    if (byte >= 0x80) {
      sink.writeByte(0xc0 | (byte >> 6))
      sink.writeByte(0x80 | (byte & 0x3f))
    } else if (byte === 0x22) {
      sink.writeString('&quot;')
    } else if (byte === 0x26) {
      let semicolon = i
      while (semicolon < end && bytes[semicolon] !== 0x3b && bytes[semicolon] !== 0x26) semicolon++
      if (bytes[semicolon] !== 0x3b || semicolon >= end) {
        throw malformed(`"&" not starting a reference in attribute ${attribute.name}`, attribute.valueStart)
      }
      const code = expandReference(bytes.toString(encoding, i, semicolon), attribute.valueStart)
      const escaped = ATTRIBUTE_ESCAPES[String.fromCharCode(code)]
      sink.writeString(escaped !== undefined && code < 0x80 ? escaped : String.fromCodePoint(code))
      i = semicolon + 1
    } else {
      // TAB, LF, CR and CR LF each become one space (XML 1.0 §3.3.3).
      if (byte === 0x0d && bytes[i] === 0x0a && i < end) i++
      sink.writeByte(0x20)
    }
    run = i
  }
  if (run < end) sink.writeBytes(bytes, run, end)
}

/** 1 for the bytes of a raw attribute value that differ in its canonical form (normalised or escaped). */
const UTF8_VALUE_SPECIAL = byteTable([0x26, 0x09, 0x0a, 0x0d, 0x22])
/** The same in a Latin-1 document, where every byte over 0x7F becomes two in UTF-8. */
const LATIN1_VALUE_SPECIAL = byteTable([0x26, 0x09, 0x0a, 0x0d, 0x22, ...Array.from({ length: 128 }, (_, k) => 0x80 + k)])

function byteTable(members: number[]): Uint8Array {
  const table = new Uint8Array(256)
  for (const byte of members) table[byte] = 1
  return table
}

function hasByte(bytes: Buffer, start: number, end: number, table: Uint8Array): boolean {
  for (let i = start; i < end; i++) if (table[bytes[i] as number] === 1) return true
  return false
}

const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/

function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] as string)
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' }

const PREDEFINED: Record<string, number> = { amp: 0x26, lt: 0x3c, gt: 0x3e, quot: 0x22, apos: 0x27 }

/** The code point of `&reference;`. Only the five predefined entities exist without a DTD. */
function expandReference(reference: string, offset: number): number {
  let code: number | undefined
  if (reference.startsWith('#x')) code = /^#x[0-9a-fA-F]{1,6}$/.test(reference) ? parseInt(reference.slice(2), 16) : undefined
  else if (reference.startsWith('#')) code = /^#[0-9]{1,7}$/.test(reference) ? parseInt(reference.slice(1), 10) : undefined
  else {
    code = PREDEFINED[reference]
    if (code === undefined) throw malformed(`unknown entity reference &${reference}; (no DTD is processed)`, offset)
  }
  if (code === undefined || !isXmlChar(code)) throw malformed(`invalid character reference &${reference};`, offset)
  return code
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  )
}

function isAllSpace(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i]
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x09 && byte !== 0x0d) return false
  }
  return true
}

/**
 * Writes character data (text or CDATA content) escaped as C14N §2.3 asks, copying plain runs in bulk. Pieces of
 * one text come in order; a CR ending a piece at the window end pairs with an LF starting the next.
 */
const LONG_TEXT = 512

class TextWriter {
  /** 1 for bytes that cannot be copied as they are. */
  private readonly special = new Uint8Array(256)
  /** Absolute offset just past a CR written as LF without seeing the byte after it; -1 when none. */
  private crEnd = -1
  private readonly latin1: boolean

  constructor(
    encoding: DocumentEncoding,
    private readonly sink: ByteSink,
  ) {
    for (const byte of [0x26, 0x3c, 0x3e, 0x0d]) this.special[byte] = 1
    this.latin1 = encoding === 'latin1'
    if (this.latin1) this.special.fill(1, 0x80)
  }

  /** Writes the document's bytes `[start, end)` (absolute offsets), `bytes` holding them from offset `base`. */
  write(bytes: Buffer, base: number, start: number, end: number, cdata: boolean): void {
    const { special, sink } = this
    let i = start - base
    const last = end - base
    if (this.crEnd === start && bytes[i] === 0x0a) i++
    this.crEnd = -1
    if (last - i >= LONG_TEXT) {
      // Attachments are megabytes of base64: native scans prove a run needs no change, then it is copied whole.
      const view = bytes.subarray(i, last)
      if (
        (!this.latin1 || isAscii(view)) &&
        view.indexOf(0x26) < 0 &&
        view.indexOf(0x3c) < 0 &&
        view.indexOf(0x3e) < 0 &&
        view.indexOf(0x0d) < 0
      ) {
        sink.writeBytes(bytes, i, last)
        return
      }
    }
    let run = i
    while (i < last) {
      const byte = bytes[i] as number
      if (special[byte] === 0) {
        i++
        continue
      }
      if (run < i) sink.writeBytes(bytes, run, i)
      i++
      if (byte >= 0x80) {
        sink.writeByte(0xc0 | (byte >> 6))
        sink.writeByte(0x80 | (byte & 0x3f))
      } else if (byte === 0x0d) {
        const next = bytes[i]
        if (next !== 0x0a) sink.writeByte(0x0a)
        if (next === undefined) this.crEnd = end
      } else if (byte === 0x26 && !cdata) {
        const semicolon = bytes.indexOf(0x3b, i)
        if (semicolon < 0 || semicolon > last || semicolon - i > 32) throw malformed('"&" not starting a reference', base + i - 1)
        this.writeCodePoint(expandReference(bytes.toString('latin1', i, semicolon), base + i - 1))
        i = semicolon + 1
      } else if (byte === 0x3c && !cdata) {
        throw malformed('"<" in text', base + i - 1)
      } else {
        sink.writeString(byte === 0x26 ? '&amp;' : byte === 0x3c ? '&lt;' : '&gt;')
      }
      run = i
    }
    if (run < last) sink.writeBytes(bytes, run, last)
  }
  private writeCodePoint(code: number): void {
    if (code === 0x26) this.sink.writeString('&amp;')
    else if (code === 0x3c) this.sink.writeString('&lt;')
    else if (code === 0x3e) this.sink.writeString('&gt;')
    else if (code === 0x0d) this.sink.writeString('&#xD;')
    else this.sink.writeString(String.fromCodePoint(code))
  }
}
