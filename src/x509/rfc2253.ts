/**
 * Distinguished names as RFC 2253 strings, the way Java's `X500Principal.getName()` prints them: that is the form
 * PES signers write in `ds:X509IssuerName`, and the form the DGFiP-side verifier (Xemelios, Java) compares with
 * the certificate's issuer once spaces are removed. So formatting follows Java character for character, and
 * comparison accepts what other tools (OpenSSL, .NET) print for the same name.
 *
 * @packageDocumentation
 */

import { SceauError } from '../errors.js'
import { readChildren, readTlv, type Tlv } from './der.js'

/** One attribute of a parsed RDN: a dotted OID, and either the unescaped string or, for `#hex`, the DER bytes. */
export interface Rfc2253Attribute {
  readonly type: string
  readonly value: string | Uint8Array
}

/** One AttributeTypeAndValue of a DER Name, with the exact bytes of its AttributeValue. */
interface DerAttribute {
  readonly type: string
  readonly tag: number
  /** The whole AttributeValue element: tag, length and contents. */
  readonly der: Uint8Array
  /** The AttributeValue's content octets. */
  readonly content: Uint8Array
}

// Java's RFC 2253 keyword table (sun.security.x509.AVAKeyword with rfc2253Compliant = true); every other type
// is printed as a dotted OID with a #hex value.
const JAVA_KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
}

// Upper-cased keywords accepted when parsing: Java's, RFC 1779's, and the ones OpenSSL and .NET print.
const KEYWORD_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  S: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
  EMAIL: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
  SERIALNUMBER: '2.5.4.5',
  GIVENNAME: '2.5.4.42',
  GN: '2.5.4.42',
  SN: '2.5.4.4',
  SURNAME: '2.5.4.4',
  T: '2.5.4.12',
  TITLE: '2.5.4.12',
  ORGANIZATIONIDENTIFIER: '2.5.4.97',
}

const TAG = {
  utf8: 0x0c,
  numeric: 0x12,
  printable: 0x13,
  teletex: 0x14,
  ia5: 0x16,
  visible: 0x1a,
  general: 0x1b,
  universal: 0x1c,
  bmp: 0x1e,
} as const

// Java's AVA.isDerString(value, false): only these string types are printed as text. UniversalString,
// VisibleString and NumericString come out as #hex even under a keyword. Java 25 decodes the others with
// DerValue.getAsString (the 8-bit types as Latin-1, BMPString as UTF-16), as derString does; Java 17 reads every
// type's octets as UTF-8, which differs only for non-ASCII outside UTF8String (both checked with X500Principal).
const JAVA_STRING_TAGS: ReadonlySet<number> = new Set([TAG.printable, TAG.teletex, TAG.ia5, TAG.general, TAG.bmp, TAG.utf8])

const JAVA_ESCAPED = ',=+<>#;"\\'

/**
 * Prints a DER Name exactly as Java's `X500Principal.getName()` does (RFC 2253): RDNs last to first joined by
 * `,`, multi-valued RDNs joined by `+` in DER order, Java's nine keywords, every other attribute as
 * `OID=#hex` of the whole DER AttributeValue.
 *
 * Java escapes more than RFC 2253 §2.4 requires: `=` and `#` anywhere in a value, NUL as `\00`, and leading or
 * trailing spaces and carriage returns. Characters outside ASCII are written as themselves, not as `\XX`.
 *
 * @throws SceauError `INPUT_MALFORMED` when `nameDer` is not exactly one DER Name.
 *
 * @example
 * ```ts
 * formatRfc2253(issuerDer) // 'CN=berger-levrault-DC1LABL-CA,DC=berger-levrault,DC=net'
 * ```
 */
export function formatRfc2253(nameDer: Uint8Array): string {
  const rdns = readName(nameDer)
  if (rdns === undefined) throw new SceauError('INPUT_MALFORMED', 'the bytes are not a DER X.501 Name')
  return rdns
    .map((rdn) => rdn.map(formatAttribute).join('+'))
    .reverse()
    .join(',')
}

/**
 * Parses an RFC 2253 / RFC 4514 string into its RDNs, in the string's order (most significant last). Keywords
 * are Java's plus the aliases OpenSSL and .NET print (`E`, `emailAddress`, `serialNumber`, `GN`, `SN`, `T`,
 * `organizationIdentifier`, `S`…), case-insensitive; spaces around `,`, `+` and `=` are ignored; `\XX` escapes
 * are UTF-8 octets; a quoted value keeps its inner spaces; a `#hex` value becomes the DER bytes it encodes.
 *
 * @throws SceauError `INPUT_MALFORMED` on an unknown keyword, a bad escape, a `#hex` that is not one DER element,
 * an unterminated quote or an empty RDN.
 *
 * @example
 * ```ts
 * parseRfc2253('CN=Jean, emailAddress=jean@example.fr')
 * // [[{ type: '2.5.4.3', value: 'Jean' }], [{ type: '1.2.840.113549.1.9.1', value: 'jean@example.fr' }]]
 * ```
 */
export function parseRfc2253(text: string): Rfc2253Attribute[][] {
  return new Rfc2253Parser(text).parse()
}

/**
 * Whether an RFC 2253 string (from a signature's `ds:X509IssuerName`, say) names the same DN as a DER Name:
 * same RDNs in reverse order, each with the same attribute types; string values equal after trimming, collapsing
 * inner whitespace and ignoring case; a `#hex` value equal to the DER AttributeValue, or to its text when both are
 * string types. So `EMAILADDRESS=a@b.fr` and `1.2.840.113549.1.9.1=#1606…` both match an IA5String e-mail.
 *
 * Never throws: a string that does not parse, or bytes that are not a DER Name, give false.
 *
 * @example
 * ```ts
 * sameDistinguishedName('CN=berger-levrault-DC1LABL-CA, DC=berger-levrault, DC=net', issuerDer) // true
 * ```
 */
export function sameDistinguishedName(text: string, nameDer: Uint8Array): boolean {
  const names = readName(nameDer)
  if (names === undefined) return false
  let parsed: Rfc2253Attribute[][]
  try {
    parsed = parseRfc2253(text)
  } catch {
    return false
  }
  if (parsed.length !== names.length) return false
  if (parsed.every((rdn, index) => sameRdn(rdn, names[names.length - 1 - index] ?? []))) return true
  // Some signers write the RDNs in DER order (RFC 2253 reverses it): the same name, read the other way.
  return parsed.every((rdn, index) => sameRdn(rdn, names[index] ?? []))
}

/**
 * Whether two DER Names name the same entity, as RFC 5280 §7.1 compares them: the same RDNs in the same order,
 * each the same set of attributes; string values equal after RFC 4518-style preparation whatever their string
 * type (a UTF8String and a PrintableString of the same text match), other values byte for byte. ESS
 * IssuerSerial and CMS issuerAndSerialNumber are compared this way, not as bytes.
 *
 * Never throws: bytes that are not a DER Name give false.
 *
 * @example
 * ```ts
 * sameNameDer(issuerSerial.issuer, issuerOfSignerCertificate) // true for the same CA however each encoded it
 * ```
 */
export function sameNameDer(a: Uint8Array, b: Uint8Array): boolean {
  if (equalBytes(a, b)) return true
  const left = readName(a)
  const right = readName(b)
  if (left === undefined || right === undefined || left.length !== right.length) return false
  return left.every((rdn, index) => {
    const other = right[index] ?? []
    if (rdn.length !== other.length) return false
    const used = new Set<number>()
    return rdn.every((attribute) => {
      const found = other.findIndex((candidate, i) => !used.has(i) && sameDerAttribute(attribute, candidate))
      if (found < 0) return false
      used.add(found)
      return true
    })
  })
}

function sameDerAttribute(a: DerAttribute, b: DerAttribute): boolean {
  if (a.type !== b.type) return false
  if (equalBytes(a.der, b.der)) return true
  const left = derString(a.tag, a.content)
  const right = derString(b.tag, b.content)
  return left !== undefined && right !== undefined && normalise(left) === normalise(right)
}

function sameRdn(parsed: readonly Rfc2253Attribute[], attributes: readonly DerAttribute[]): boolean {
  if (parsed.length !== attributes.length) return false
  const used = new Set<number>()
  return parsed.every((wanted) => {
    const index = attributes.findIndex((attribute, i) => !used.has(i) && sameAttribute(wanted, attribute))
    if (index < 0) return false
    used.add(index)
    return true
  })
}

function sameAttribute(wanted: Rfc2253Attribute, attribute: DerAttribute): boolean {
  if (wanted.type !== attribute.type) return false
  const text = derString(attribute.tag, attribute.content)
  if (typeof wanted.value === 'string') return text !== undefined && normalise(wanted.value) === normalise(text)
  if (equalBytes(wanted.value, attribute.der)) return true
  const element = readTlv(wanted.value, 0)
  if (element === undefined || text === undefined) return false
  const wantedText = derString(element.tag, wanted.value.subarray(element.contentStart, element.end))
  return wantedText !== undefined && normalise(wantedText) === normalise(text)
}

// RFC 4518's string preparation, reduced to what differs between tools in practice: compatibility forms,
// surrounding and repeated spaces, and case.
function normalise(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase()
}

function formatAttribute(attribute: DerAttribute): string {
  const keyword = JAVA_KEYWORDS[attribute.type]
  if (keyword === undefined) return `${attribute.type}=#${hex(attribute.der)}`
  // Java keeps the keyword for a value that is not one of its string types: `CN=#020101`.
  if (!JAVA_STRING_TAGS.has(attribute.tag)) return `${keyword}=#${hex(attribute.der)}`
  const text = derString(attribute.tag, attribute.content) ?? ''
  return `${keyword}=${escapeJava(text)}`
}

// sun.security.x509.AVA.toRFC2253String: escape the special characters and NUL first, then put a backslash
// before each leading and trailing space or CR of the result.
function escapeJava(value: string): string {
  let escaped = ''
  for (const char of value) {
    if (JAVA_ESCAPED.includes(char)) escaped += `\\${char}`
    else if (char === '\u0000') escaped += '\\00'
    else escaped += char
  }
  const isBlank = (char: string | undefined): boolean => char === ' ' || char === '\r'
  let lead = 0
  while (lead < escaped.length && isBlank(escaped[lead])) lead++
  let trail = escaped.length - 1
  while (trail >= 0 && isBlank(escaped[trail])) trail--
  let result = ''
  for (let i = 0; i < escaped.length; i++) result += (i < lead || i > trail ? '\\' : '') + escaped[i]
  return result
}

/** The RDNs of a DER Name, in DER order; undefined when the bytes are not exactly one well-formed Name. */
function readName(der: Uint8Array): DerAttribute[][] | undefined {
  const name = readTlv(der, 0)
  if (name?.tag !== 0x30 || name.end !== der.length) return undefined
  const sets = readChildren(der, name)
  if (sets === undefined) return undefined
  const rdns: DerAttribute[][] = []
  for (const set of sets) {
    const sequences = set.tag === 0x31 ? readChildren(der, set) : undefined
    if (sequences === undefined || sequences.length === 0) return undefined
    const rdn: DerAttribute[] = []
    for (const sequence of sequences) {
      const attribute = sequence.tag === 0x30 ? readAttribute(der, sequence) : undefined
      if (attribute === undefined) return undefined
      rdn.push(attribute)
    }
    rdns.push(rdn)
  }
  return rdns
}

function readAttribute(der: Uint8Array, sequence: Tlv): DerAttribute | undefined {
  const parts = readChildren(der, sequence)
  const [type, value] = parts ?? []
  if (parts?.length !== 2 || type?.tag !== 0x06 || value === undefined) return undefined
  const oid = decodeOid(der.subarray(type.contentStart, type.end))
  if (oid === undefined) return undefined
  return { type: oid, tag: value.tag, der: der.subarray(value.start, value.end), content: der.subarray(value.contentStart, value.end) }
}

function decodeOid(content: Uint8Array): string | undefined {
  const arcs: bigint[] = []
  let arc = 0n
  for (const [index, octet] of content.entries()) {
    // 0x80 as the first octet of an arc is a non-minimal encoding, which DER forbids.
    if (arc === 0n && octet === 0x80) return undefined
    arc = (arc << 7n) | BigInt(octet & 0x7f)
    if (octet & 0x80) {
      if (index === content.length - 1) return undefined
      continue
    }
    arcs.push(arc)
    arc = 0n
  }
  const [first, ...rest] = arcs
  if (first === undefined) return undefined
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n]
  return [...head, ...rest].join('.')
}

/**
 * The text of a DER string type, or undefined for other types. TeletexString is read as Latin-1, as Java and
 * OpenSSL both do (T.61 proper is never what issuers meant).
 */
function derString(tag: number, content: Uint8Array): string | undefined {
  switch (tag) {
    case TAG.utf8:
      return new TextDecoder('utf-8').decode(content)
    case TAG.numeric:
    case TAG.printable:
    case TAG.ia5:
    case TAG.visible:
    case TAG.general:
    case TAG.teletex:
      // Not TextDecoder('latin1'): the Encoding Standard maps that label to windows-1252.
      return String.fromCharCode(...content)
    case TAG.bmp:
      return new TextDecoder('utf-16be').decode(content)
    case TAG.universal:
      return utf32be(content)
    default:
      return undefined
  }
}

function utf32be(content: Uint8Array): string | undefined {
  if (content.length % 4 !== 0) return undefined
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength)
  let text = ''
  for (let offset = 0; offset < content.length; offset += 4) {
    const codePoint = view.getUint32(offset)
    if (codePoint > 0x10ffff) return undefined
    text += String.fromCodePoint(codePoint)
  }
  return text
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((octet, index) => octet === b[index])
}

const SPECIALS = ',=+<>#;"\\ '
const utf8Encoder = new TextEncoder()

class Rfc2253Parser {
  private position = 0

  constructor(private readonly text: string) {}

  parse(): Rfc2253Attribute[][] {
    const rdns: Rfc2253Attribute[][] = []
    this.skipSpaces()
    if (this.position === this.text.length) return rdns
    let rdn: Rfc2253Attribute[] = []
    for (;;) {
      rdn.push(this.attribute())
      this.skipSpaces()
      const separator = this.text[this.position++]
      if (separator === '+') continue
      rdns.push(rdn)
      if (separator === undefined) return rdns
      // RFC 2253 §4 asks parsers to accept `;` between RDNs, as RFC 1779 allowed.
      if (separator !== ',' && separator !== ';') throw this.error(`unexpected "${separator}"`)
      rdn = []
    }
  }

  private attribute(): Rfc2253Attribute {
    this.skipSpaces()
    const type = this.type()
    this.skipSpaces()
    if (this.text[this.position] !== '=') throw this.error('expected "=" after the attribute type')
    this.position++
    this.skipSpaces()
    const next = this.text[this.position]
    if (next === '#') return { type, value: this.hexValue() }
    if (next === '"') return { type, value: this.quotedValue() }
    return { type, value: this.plainValue() }
  }

  private type(): string {
    const match = /^(?:oid\.)?([0-9]+(?:\.[0-9]+)+)|^([A-Za-z][A-Za-z0-9-]*)/iu.exec(this.text.slice(this.position))
    if (match === null) throw this.error('expected an attribute type')
    this.position += match[0].length
    if (match[1] !== undefined) return match[1]
    const oid = KEYWORD_OIDS[match[2]?.toUpperCase() ?? '']
    if (oid === undefined) throw this.error(`unknown attribute type "${match[2]}"`)
    return oid
  }

  private hexValue(): Uint8Array {
    const match = /^#([0-9A-Fa-f]*)/u.exec(this.text.slice(this.position))
    const digits = match?.[1] ?? ''
    this.position += digits.length + 1
    const bytes = Uint8Array.from(Buffer.from(digits, 'hex'))
    const element = digits.length % 2 === 0 ? readTlv(bytes, 0) : undefined
    if (element === undefined || element.end !== bytes.length) throw this.error('a #hex value is not one DER element')
    return bytes
  }

  private quotedValue(): string {
    this.position++
    const octets: number[] = []
    for (;;) {
      const char = this.text[this.position]
      if (char === undefined) throw this.error('unterminated quoted value')
      if (char === '"') break
      if (char === '\\') this.escape(octets)
      else this.literal(octets)
    }
    this.position++
    return this.decode(octets)
  }

  private plainValue(): string {
    const octets: number[] = []
    // Spaces before a separator belong to the separator unless escaped: keep the length up to the last
    // character that is not such a space.
    let kept = 0
    for (;;) {
      const char = this.text[this.position]
      if (char === undefined || char === ',' || char === ';' || char === '+') break
      if (char === '"') throw this.error('a quote inside an unquoted value must be escaped')
      if (char === '\\') {
        this.escape(octets)
        kept = octets.length
      } else {
        this.literal(octets)
        if (char !== ' ') kept = octets.length
      }
    }
    return this.decode(octets.slice(0, kept))
  }

  private escape(octets: number[]): void {
    const next = this.text[this.position + 1]
    const pair = this.text.slice(this.position + 1, this.position + 3)
    if (/^[0-9A-Fa-f]{2}$/u.test(pair)) {
      octets.push(parseInt(pair, 16))
      this.position += 3
    } else if (next !== undefined && SPECIALS.includes(next)) {
      octets.push(next.charCodeAt(0))
      this.position += 2
    } else {
      throw this.error('a backslash must be followed by a special character or two hex digits')
    }
  }

  private literal(octets: number[]): void {
    const codePoint = this.text.codePointAt(this.position) ?? 0
    const char = String.fromCodePoint(codePoint)
    octets.push(...utf8Encoder.encode(char))
    this.position += char.length
  }

  private decode(octets: number[]): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(octets))
    } catch {
      throw this.error('the \\XX escapes are not UTF-8')
    }
  }

  private skipSpaces(): void {
    while (this.text[this.position] === ' ') this.position++
  }

  private error(reason: string): SceauError {
    return new SceauError('INPUT_MALFORMED', `not an RFC 2253 distinguished name: ${reason} at offset ${this.position}`)
  }
}
