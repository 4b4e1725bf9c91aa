/**
 * RFC 7512 `pkcs11:` URIs: parse, format and match.
 *
 * A URI names a library, slot, token or object by the fields PKCS#11 itself reports (CK_INFO, CK_SLOT_INFO,
 * CK_TOKEN_INFO, CKA_LABEL / CKA_ID / CKA_CLASS). This module only reads and writes the text: it never opens a
 * module, and it refuses a `pin-value` outright so that a PIN can never ride along in a URI.
 *
 * @packageDocumentation
 */
import { SceauError } from '../errors.js'

/** The `type` attribute: the object's CKA_CLASS, in RFC 7512's words. */
export type Pkcs11ObjectType = 'cert' | 'private' | 'public' | 'secret-key' | 'data'

/**
 * The attributes of a `pkcs11:` URI, pct-decoded. Absent means "not given" (and matches anything);
 * an empty string is a real value (`serial=` matches only an empty serial number).
 */
export interface Pkcs11Uri {
  /** `token`: CK_TOKEN_INFO.label, without its padding spaces. */
  readonly token?: string
  /** `manufacturer`: CK_TOKEN_INFO.manufacturerID. */
  readonly manufacturer?: string
  /** `serial`: CK_TOKEN_INFO.serialNumber. */
  readonly serial?: string
  /** `model`: CK_TOKEN_INFO.model. */
  readonly model?: string
  /** `library-manufacturer`: CK_INFO.manufacturerID. */
  readonly libraryManufacturer?: string
  /** `library-description`: CK_INFO.libraryDescription. */
  readonly libraryDescription?: string
  /** `library-version`: CK_INFO.libraryVersion as `M` or `M.N` (`3` means 3.0). */
  readonly libraryVersion?: string
  /** `slot-description`: CK_SLOT_INFO.slotDescription. */
  readonly slotDescription?: string
  /** `slot-manufacturer`: CK_SLOT_INFO.manufacturerID. */
  readonly slotManufacturer?: string
  /** `slot-id`: the CK_SLOT_ID, a non-negative safe integer. */
  readonly slotId?: number
  /** `object`: CKA_LABEL. */
  readonly object?: string
  /** `id`: CKA_ID, raw bytes. */
  readonly id?: Uint8Array
  /** `type`: the object class. */
  readonly type?: Pkcs11ObjectType
  /** `module-path` (query): the PKCS#11 module file, or a directory of modules. */
  readonly modulePath?: string
  /** `module-name` (query): a module name without path or suffix, e.g. `opensc-pkcs11`. */
  readonly moduleName?: string
  /** `pin-source` (query): where the PIN is, e.g. `file:/etc/token_pin`. Never the PIN itself. */
  readonly pinSource?: string
  /** Unknown vendor attributes of the path (before `?`), kept so a URI round-trips. */
  readonly vendor?: Readonly<Record<string, string>>
  /** Unknown vendor attributes of the query (after `?`), kept so a URI round-trips. */
  readonly vendorQuery?: Readonly<Record<string, string>>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

type TextField =
  | 'token'
  | 'manufacturer'
  | 'serial'
  | 'model'
  | 'libraryManufacturer'
  | 'libraryDescription'
  | 'slotDescription'
  | 'slotManufacturer'
  | 'object'

type QueryField = 'modulePath' | 'moduleName' | 'pinSource'

// Maps, not object literals: an attribute named "constructor" or "__proto__" must not find Object.prototype.
const PATH_TEXT: ReadonlyMap<string, TextField> = new Map([
  ['token', 'token'],
  ['manufacturer', 'manufacturer'],
  ['serial', 'serial'],
  ['model', 'model'],
  ['library-manufacturer', 'libraryManufacturer'],
  ['library-description', 'libraryDescription'],
  ['slot-description', 'slotDescription'],
  ['slot-manufacturer', 'slotManufacturer'],
  ['object', 'object'],
])

// In the order formatPkcs11Uri writes them.
const QUERY_TEXT: ReadonlyMap<string, QueryField> = new Map([
  ['module-path', 'modulePath'],
  ['module-name', 'moduleName'],
  ['pin-source', 'pinSource'],
])

const PATH_NAMES: ReadonlySet<string> = new Set([...PATH_TEXT.keys(), 'library-version', 'slot-id', 'id', 'type'])
const QUERY_NAMES: ReadonlySet<string> = new Set([...QUERY_TEXT.keys(), 'pin-value'])
const OBJECT_TYPES: ReadonlySet<string> = new Set<Pkcs11ObjectType>(['cert', 'private', 'public', 'secret-key', 'data'])

// RFC 7512 §2.3 ABNF: pk11-pchar and pk11-qchar. Everything else must be pct-encoded. `;` separates path
// attributes and `&` query attributes, which is why each is missing from its own component's set.
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'
const RES_AVAIL = ":[]@!$'()*+,="
const PATH_CHARS: ReadonlySet<string> = new Set(UNRESERVED + RES_AVAIL + '&')
const QUERY_CHARS: ReadonlySet<string> = new Set(UNRESERVED + RES_AVAIL + '/?|')
// `id` is binary, so every one of its bytes is pct-encoded, whatever it looks like.
const NO_CHARS: ReadonlySet<string> = new Set()
const VENDOR_NAME = /^[A-Za-z0-9_-]+$/
const LIBRARY_VERSION = /^(\d+)(?:\.(\d+))?$/
const SCHEME = 'pkcs11:'

const PIN_VALUE_REFUSED =
  'pin-value is refused: a PIN must not travel inside a URI; use pin-source=file:/path/to/pin or an environment variable ' +
  '(a URI ends up in shell history, `ps` and logs)'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Parses an RFC 7512 `pkcs11:` URI. Values come back pct-decoded: text as UTF-8, `id` as raw bytes.
 *
 * Throws `URI_INVALID` naming the attribute at fault for: a scheme other than `pkcs11:` (any case), an empty
 * or nameless attribute, a duplicate attribute, a character that must be pct-encoded, a bad pct-escape,
 * text that is not UTF-8, a non-numeric `slot-id`, a malformed `library-version`, an unknown `type`, a path
 * attribute in the query or the reverse. A `pin-value` anywhere is refused, and its value never appears in
 * the error.
 *
 * @example
 * ```ts
 * const uri = parsePkcs11Uri('pkcs11:token=Mairie%20de%20Test;object=Signature;type=private;id=%01')
 * // { token: 'Mairie de Test', object: 'Signature', type: 'private', id: Uint8Array [ 1 ] }
 * ```
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    throw invalid(null, 'it does not start with "pkcs11:"')
  }
  const rest = uri.slice(SCHEME.length)
  // pk11-pchar has no "?", so the first one ends the path; later ones belong to query values.
  const mark = rest.indexOf('?')
  const pathText = mark === -1 ? rest : rest.slice(0, mark)
  const queryText = mark === -1 ? '' : rest.slice(mark + 1)
  const segments = [...split(pathText, ';', 'path'), ...split(queryText, '&', 'query')]
  // Refuse a PIN before anything else: the user must hear first that the PIN is exposed, and no other
  // message may be built from a URI that holds one.
  if (segments.some((segment) => segment.name.toLowerCase() === 'pin-value')) throw invalid('pin-value', PIN_VALUE_REFUSED)

  const out: Mutable<Pkcs11Uri> = {}
  const vendor: [string, string][] = []
  const vendorQuery: [string, string][] = []
  const seen = new Set<string>()
  for (const { name, raw, part, position } of segments) {
    const where = `${part} attribute ${position}`
    // Structural faults do not echo the segment: a bare value could be anything the user typed, a PIN included.
    if (raw === undefined && name === '') throw invalid(null, `${where} is empty (a doubled or trailing "${part === 'path' ? ';' : '&'}")`)
    if (raw === undefined) throw invalid(null, `${where} has no "="; attributes are written name=value`)
    if (name === '') throw invalid(null, `${where} has no name before "="`)
    if (!VENDOR_NAME.test(name)) throw invalid(null, `${where} has a name with characters other than letters, digits, "-" and "_"`)
    // Path and query attributes are separate namespaces in RFC 7512; the key keeps them apart.
    const key = `${part}:${name}`
    if (seen.has(key)) throw invalid(name, `${name} is given twice`)
    seen.add(key)
    if (part === 'path') {
      if (QUERY_NAMES.has(name)) throw invalid(name, `${name} belongs in the query, after "?"`)
      parsePathAttribute(out, vendor, name, raw)
    } else {
      if (PATH_NAMES.has(name)) throw invalid(name, `${name} belongs in the path, before "?"`)
      const field = QUERY_TEXT.get(name)
      const value = decodeText(raw, QUERY_CHARS, name)
      if (field === undefined) vendorQuery.push([name, value])
      else out[field] = value
    }
  }
  // Object.fromEntries defines own properties, so a vendor attribute named __proto__ stays data.
  if (vendor.length > 0) out.vendor = Object.fromEntries(vendor)
  if (vendorQuery.length > 0) out.vendorQuery = Object.fromEntries(vendorQuery)
  return out
}

/**
 * Formats a `pkcs11:` URI in a canonical form, so that equal URIs give equal strings:
 * path attributes from the broadest to the narrowest (library-manufacturer, library-description,
 * library-version, slot-manufacturer, slot-description, slot-id, manufacturer, model, serial, token,
 * object, type, id, then vendor attributes by name), query attributes module-path, module-name,
 * pin-source, then vendor ones by name.
 *
 * Every character outside RFC 7512's pk11-pchar (path) or pk11-qchar (query) is pct-encoded as UTF-8;
 * `id` is pct-encoded byte by byte. Hex digits are uppercase, as in the RFC's own examples and as
 * RFC 3986 §2.1 recommends for producers. Throws `URI_INVALID` for a value no parser would read back
 * (a negative `slot-id`, a malformed `library-version`, a vendor attribute with a standard or invalid name).
 *
 * @example
 * ```ts
 * formatPkcs11Uri({ token: 'Mairie de Test', object: 'Signature', type: 'private', id: new Uint8Array([1, 0xa2]) })
 * // 'pkcs11:token=Mairie%20de%20Test;object=Signature;type=private;id=%01%A2'
 * ```
 */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const path: string[] = []
  const text = (name: string, value: string | undefined): void => {
    if (value !== undefined) path.push(`${name}=${encodeText(value, PATH_CHARS)}`)
  }
  text('library-manufacturer', uri.libraryManufacturer)
  text('library-description', uri.libraryDescription)
  if (uri.libraryVersion !== undefined) path.push(`library-version=${checkLibraryVersion(uri.libraryVersion)}`)
  text('slot-manufacturer', uri.slotManufacturer)
  text('slot-description', uri.slotDescription)
  if (uri.slotId !== undefined) path.push(`slot-id=${checkSlotId(uri.slotId)}`)
  text('manufacturer', uri.manufacturer)
  text('model', uri.model)
  text('serial', uri.serial)
  text('token', uri.token)
  text('object', uri.object)
  if (uri.type !== undefined) path.push(`type=${checkType(uri.type)}`)
  if (uri.id !== undefined) path.push(`id=${encodeBytes(uri.id, NO_CHARS)}`)
  path.push(...formatVendor(uri.vendor, PATH_CHARS))

  const query: string[] = []
  for (const [name, field] of QUERY_TEXT) {
    const value = uri[field]
    if (value !== undefined) query.push(`${name}=${encodeText(value, QUERY_CHARS)}`)
  }
  query.push(...formatVendor(uri.vendorQuery, QUERY_CHARS))

  return `${SCHEME}${path.join(';')}${query.length > 0 ? `?${query.join('&')}` : ''}`
}

/**
 * RFC 7512 §2.5 matching: true when every path attribute present in `pattern` equals the candidate's.
 * An attribute absent from the pattern matches anything; one present in the pattern but absent from the
 * candidate does not match. Text compares exactly (candidates should carry PKCS#11's fields without their
 * padding spaces), `id` byte by byte, `library-version` as numbers (`3` equals `3.0`).
 *
 * A vendor path attribute in the pattern matches only a candidate with the same vendor attribute, so a URI
 * with an attribute this code does not understand (or a misspelt one) matches nothing rather than everything,
 * as RFC 7512 asks. Query attributes (module, PIN source) say how to reach an object, not which one, and are
 * ignored.
 *
 * @example
 * ```ts
 * const pattern = parsePkcs11Uri('pkcs11:token=Mairie%20de%20Test')
 * matchesPkcs11Uri(pattern, { token: 'Mairie de Test', serial: '0123', slotId: 4 }) // true
 * ```
 */
export function matchesPkcs11Uri(pattern: Pkcs11Uri, candidate: Pkcs11Uri): boolean {
  for (const field of PATH_TEXT.values()) {
    const wanted = pattern[field]
    if (wanted !== undefined && wanted !== candidate[field]) return false
  }
  if (pattern.slotId !== undefined && pattern.slotId !== candidate.slotId) return false
  if (pattern.type !== undefined && pattern.type !== candidate.type) return false
  if (pattern.id !== undefined && (candidate.id === undefined || !sameBytes(pattern.id, candidate.id))) return false
  if (pattern.libraryVersion !== undefined && !sameVersion(pattern.libraryVersion, candidate.libraryVersion)) return false
  for (const [name, wanted] of Object.entries(pattern.vendor ?? {})) {
    const vendor = candidate.vendor
    if (vendor === undefined || !Object.hasOwn(vendor, name) || vendor[name] !== wanted) return false
  }
  return true
}

interface Segment {
  readonly name: string
  /** The text after "=", still pct-encoded; undefined when there is no "=". */
  readonly raw: string | undefined
  readonly part: 'path' | 'query'
  /** 1-based, for messages that must not quote the segment. */
  readonly position: number
}

function split(component: string, separator: string, part: 'path' | 'query'): Segment[] {
  // pk11-path and pk11-query may both be empty ("pkcs11:" and "pkcs11:?" are valid), but not a segment.
  if (component === '') return []
  return component.split(separator).map((segment, index) => {
    const equals = segment.indexOf('=')
    return equals === -1
      ? { name: segment, raw: undefined, part, position: index + 1 }
      : { name: segment.slice(0, equals), raw: segment.slice(equals + 1), part, position: index + 1 }
  })
}

function parsePathAttribute(out: Mutable<Pkcs11Uri>, vendor: [string, string][], name: string, raw: string): void {
  const field = PATH_TEXT.get(name)
  if (field !== undefined) {
    out[field] = decodeText(raw, PATH_CHARS, name)
    return
  }
  switch (name) {
    case 'id':
      out.id = pctDecode(raw, PATH_CHARS, name)
      return
    case 'slot-id': {
      const value = decodeText(raw, PATH_CHARS, name)
      if (!/^\d+$/.test(value)) throw invalid(name, `slot-id must be a decimal number, not "${value}"`)
      out.slotId = checkSlotId(Number(value))
      return
    }
    case 'library-version':
      out.libraryVersion = checkLibraryVersion(decodeText(raw, PATH_CHARS, name))
      return
    case 'type':
      out.type = checkType(decodeText(raw, PATH_CHARS, name))
      return
    default:
      vendor.push([name, decodeText(raw, PATH_CHARS, name)])
  }
}

function pctDecode(raw: string, allowed: ReadonlySet<string>, attribute: string): Uint8Array {
  const bytes: number[] = []
  const chars = Array.from(raw)
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? ''
    if (char === '%') {
      const hex = chars.slice(i + 1, i + 3).join('')
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw invalid(attribute, `"%${hex}" in ${attribute} is not a pct-escape: "%" takes two hex digits (write a literal "%" as %25)`)
      }
      bytes.push(parseInt(hex, 16))
      i += 2
    } else if (allowed.has(char)) {
      bytes.push(char.charCodeAt(0))
    } else {
      throw invalid(attribute, `${JSON.stringify(char)} in ${attribute} must be pct-encoded, as ${encodeText(char, NO_CHARS)}`)
    }
  }
  return Uint8Array.from(bytes)
}

function decodeText(raw: string, allowed: ReadonlySet<string>, attribute: string): string {
  const bytes = pctDecode(raw, allowed, attribute)
  try {
    return utf8.decode(bytes)
  } catch {
    throw invalid(attribute, `${attribute} is not UTF-8 text once pct-decoded`)
  }
}

function encodeText(value: string, allowed: ReadonlySet<string>): string {
  return encodeBytes(new TextEncoder().encode(value), allowed)
}

function encodeBytes(bytes: Uint8Array, allowed: ReadonlySet<string>): string {
  let out = ''
  for (const byte of bytes) {
    const char = String.fromCharCode(byte)
    out += byte < 0x80 && allowed.has(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function formatVendor(vendor: Readonly<Record<string, string>> | undefined, allowed: ReadonlySet<string>): string[] {
  const entries = Object.entries(vendor ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.map(([name, value]) => {
    if (name.toLowerCase() === 'pin-value') throw invalid('pin-value', PIN_VALUE_REFUSED)
    if (!VENDOR_NAME.test(name)) throw invalid(name, `"${name}" is not an attribute name (letters, digits, "-" and "_" only)`)
    // parsePkcs11Uri rejects a standard name in the other component, so it could not read this back.
    if (PATH_NAMES.has(name) || QUERY_NAMES.has(name)) throw invalid(name, `${name} is a standard attribute, not a vendor one`)
    return `${name}=${encodeText(value, allowed)}`
  })
}

function checkSlotId(slotId: number): number {
  // CK_SLOT_ID is a CK_ULONG; beyond 2^53 a JavaScript number would silently name another slot.
  if (!Number.isSafeInteger(slotId) || slotId < 0) {
    throw invalid('slot-id', `slot-id must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, not ${slotId}`)
  }
  return slotId
}

function checkLibraryVersion(version: string): string {
  if (!LIBRARY_VERSION.test(version)) throw invalid('library-version', `library-version must be M or M.N in digits, not "${version}"`)
  return version
}

function checkType(type: string): Pkcs11ObjectType {
  if (!OBJECT_TYPES.has(type)) throw invalid('type', `type "${type}" is not one of ${[...OBJECT_TYPES].join(', ')}`)
  return type as Pkcs11ObjectType
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

function sameVersion(wanted: string, actual: string | undefined): boolean {
  const a = LIBRARY_VERSION.exec(wanted)
  const b = actual === undefined ? null : LIBRARY_VERSION.exec(actual)
  if (a === null || b === null) return false
  return Number(a[1]) === Number(b[1]) && Number(a[2] ?? 0) === Number(b[2] ?? 0)
}

function invalid(attribute: string | null, problem: string): SceauError {
  return new SceauError('URI_INVALID', `invalid pkcs11: URI: ${problem}`, { details: { attribute } })
}
