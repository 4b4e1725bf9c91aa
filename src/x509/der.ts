/**
 * A minimal DER walker: enough to find an element's exact bytes without decoding and re-encoding it, so that
 * what sceau hashes or compares is what the issuer signed.
 *
 * @packageDocumentation
 */

/** One DER element: its tag byte and where its header and contents lie in the buffer. */
export interface Tlv {
  /** The identifier octet (low-tag-number form only, which is all X.509 uses up to the SubjectPublicKeyInfo). */
  readonly tag: number
  /** Offset of the identifier octet. */
  readonly start: number
  /** Offset of the first content octet. */
  readonly contentStart: number
  /** Offset just past the last content octet. */
  readonly end: number
}

/**
 * Reads the element at `offset`, or returns undefined when the bytes there are not DER (indefinite length,
 * high tag numbers, a length running past `limit`).
 *
 * @example
 * ```ts
 * const outer = readTlv(certificateDer, 0) // { tag: 0x30, start: 0, contentStart: 4, end: certificateDer.length }
 * ```
 */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv | undefined {
  const into = { tag: 0, start: 0, contentStart: 0, end: 0 }
  return readTlvInto(bytes, offset, limit, into) ? into : undefined
}

/**
 * {@link readTlv} into an object the caller reuses, for walks over many elements (a CRL's hundreds of thousands of
 * entries) that keep none of them: returns false, leaving `into` as it was, when the bytes at `offset` are not DER.
 *
 * @example
 * ```ts
 * const entry = { tag: 0, start: 0, contentStart: 0, end: 0 }
 * for (let offset = list.contentStart; offset < list.end && readTlvInto(der, offset, list.end, entry); offset = entry.end) count++
 * ```
 */
export function readTlvInto(bytes: Uint8Array, offset: number, limit: number, into: { -readonly [K in keyof Tlv]: Tlv[K] }): boolean {
  const tag = bytes[offset]
  const first = bytes[offset + 1]
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return false
  let length = first
  let contentStart = offset + 2
  if (first & 0x80) {
    const octets = first & 0x7f
    // 0x80 is BER's indefinite length; more than 4 length octets would describe more than 4 GiB.
    if (octets === 0 || octets > 4) return false
    length = 0
    for (let i = 0; i < octets; i++) {
      const octet = bytes[contentStart + i]
      if (octet === undefined) return false
      length = length * 256 + octet
    }
    contentStart += octets
  }
  const end = contentStart + length
  if (end > limit) return false
  into.tag = tag
  into.start = offset
  into.contentStart = contentStart
  into.end = end
  return true
}

/**
 * The children of a constructed element, in order; undefined when they do not exactly fill it.
 *
 * @example
 * ```ts
 * const [tbs, signatureAlgorithm, signature] = readChildren(certificateDer, readTlv(certificateDer, 0)!) ?? []
 * ```
 */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const children: Tlv[] = []
  let offset = parent.contentStart
  while (offset < parent.end) {
    const child = readTlv(bytes, offset, parent.end)
    if (child === undefined) return undefined
    children.push(child)
    offset = child.end
  }
  return children
}

/** The elements of an X.509 certificate (RFC 5280 §4.1), each as found in the DER. */
export interface CertificateFields {
  readonly tbsCertificate: Tlv
  readonly serialNumber: Tlv
  /** The signature AlgorithmIdentifier inside tbsCertificate. */
  readonly signature: Tlv
  readonly issuer: Tlv
  readonly validity: Tlv
  readonly subject: Tlv
  readonly subjectPublicKeyInfo: Tlv
  /** The `[3] EXPLICIT Extensions` element, when present (its content is the SEQUENCE OF Extension). */
  readonly extensions?: Tlv
  /** The outer signatureAlgorithm. */
  readonly signatureAlgorithm: Tlv
  readonly signatureValue: Tlv
}

/**
 * The elements of a certificate, or undefined when `der` does not have the outline of an X.509 certificate
 * (SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING } with nothing after it, and a tbsCertificate whose
 * fields have the tags RFC 5280 gives them). Only the outline is checked: what the elements hold is decoded by
 * whoever reads them.
 *
 * @example
 * ```ts
 * const fields = certificateFields(der)
 * if (fields !== undefined) console.log(der.subarray(fields.subject.start, fields.subject.end))
 * ```
 */
export function certificateFields(der: Uint8Array): CertificateFields | undefined {
  const certificate = readTlv(der, 0)
  if (certificate === undefined || certificate.tag !== 0x30 || certificate.end !== der.length) return undefined
  const parts = readChildren(der, certificate)
  const [tbs, algorithm, signature] = parts ?? []
  if (parts?.length !== 3 || tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03) return undefined
  const fields = readChildren(der, tbs)
  if (fields === undefined) return undefined
  // version is [0] EXPLICIT and DEFAULT v1, so it may be absent; then serial, signature, issuer, validity,
  // subject, subjectPublicKeyInfo, and the optional [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions.
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0
  const expected = [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]
  for (const [index, tag] of expected.entries()) {
    if (fields[skip + index]?.tag !== tag) return undefined
  }
  const rest = fields.slice(skip + 6)
  let previous = 0
  for (const field of rest) {
    // 0x81/0xa1, 0x82/0xa2 (primitive or constructed unique identifiers), then 0xa3; in that order, once each.
    const number = field.tag & 0x1f
    if ((field.tag & 0xc0) !== 0x80 || number < 1 || number > 3 || number <= previous) return undefined
    previous = number
  }
  const extensions = rest.find((field) => field.tag === 0xa3)
  const [serialNumber, signatureField, issuer, validity, subject, subjectPublicKeyInfo] = fields.slice(skip, skip + 6) as [
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
  ]
  return {
    tbsCertificate: tbs,
    serialNumber,
    signature: signatureField,
    issuer,
    validity,
    subject,
    subjectPublicKeyInfo,
    ...(extensions === undefined ? {} : { extensions }),
    signatureAlgorithm: algorithm,
    signatureValue: signature,
  }
}

/**
 * The SubjectPublicKeyInfo element of a certificate, or undefined when `der` does not have the outline of an
 * X.509 certificate (see {@link certificateFields}).
 *
 * @example
 * ```ts
 * const spki = certificateSpki(der)
 * if (spki !== undefined) console.log(der.subarray(spki.start, spki.end))
 * ```
 */
export function certificateSpki(der: Uint8Array): Tlv | undefined {
  return certificateFields(der)?.subjectPublicKeyInfo
}

/**
 * The dotted text of the OBJECT IDENTIFIER at `tlv`, or undefined when its content is not a valid encoding
 * (X.690 §8.19: base-128 arcs, no leading 0x80 octet, the last octet of each arc without its top bit).
 *
 * @example
 * ```ts
 * oidText(Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15), readTlv(bytes, 0)!) // '2.5.29.21'
 * ```
 */
export function oidText(bytes: Uint8Array, tlv: Tlv): string | undefined {
  if (tlv.tag !== 0x06 || tlv.end === tlv.contentStart) return undefined
  const arcs: number[] = []
  let value = 0
  let fresh = true
  for (let offset = tlv.contentStart; offset < tlv.end; offset++) {
    const octet = bytes[offset] ?? 0
    if (fresh && octet === 0x80) return undefined
    value = value * 128 + (octet & 0x7f)
    if (value > Number.MAX_SAFE_INTEGER) return undefined
    fresh = (octet & 0x80) === 0
    if (fresh) {
      arcs.push(value)
      value = 0
    }
  }
  if (!fresh) return undefined
  const first = arcs[0] ?? 0
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
  return [...head, ...arcs.slice(1)].join('.')
}

/**
 * The instant of a UTCTime or GeneralizedTime at `tlv`, in the forms RFC 5280 §4.1.2.5 allows (UTC, `Z`, whole
 * seconds; a UTCTime year below 50 is 20YY), plus fractional seconds in a GeneralizedTime, which some CAs write
 * in CRLs. Undefined for anything else.
 *
 * @example
 * ```ts
 * derTime(Buffer.from('170d3235303130323130303030305a', 'hex'), readTlv(...)!) // 2025-01-02T10:00:00.000Z
 * ```
 */
export function derTime(bytes: Uint8Array, tlv: Tlv): Date | undefined {
  // Read digit by digit rather than through a string and a regular expression: a CRL has one time per entry, and
  // hundreds of thousands of entries.
  const length = tlv.end - tlv.contentStart
  const generalized = tlv.tag === 0x18
  if ((tlv.tag !== 0x17 && !generalized) || bytes[tlv.end - 1] !== 0x5a /* Z */) return undefined
  const at = tlv.contentStart + (generalized ? 2 : 0)
  let milliseconds = 0
  if (generalized && length > 15) {
    // A fraction of a second: ".d…dZ", one to nine digits, some CAs write it in CRLs.
    const fraction = length - 16
    if (bytes[tlv.contentStart + 14] !== 0x2e || fraction < 1 || fraction > 9) return undefined
    milliseconds = Math.floor(decimal(bytes, tlv.contentStart + 15, fraction) / 10 ** (fraction - 3))
  } else if (length !== (generalized ? 15 : 13)) return undefined
  const short = decimal(bytes, at, 2)
  const year = generalized ? decimal(bytes, tlv.contentStart, 2) * 100 + short : short + (short < 50 ? 2000 : 1900)
  const month = decimal(bytes, at + 2, 2)
  const day = decimal(bytes, at + 4, 2)
  const hour = decimal(bytes, at + 6, 2)
  const minute = decimal(bytes, at + 8, 2)
  const second = decimal(bytes, at + 10, 2)
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds))
  // Date.UTC reads years 0 to 99 as 1900 to 1999.
  if (year < 100) date.setUTCFullYear(year)
  // Date.UTC rolls 31 February over into March, and NaN fields give an invalid date; a real time has its fields unchanged.
  if (Number.isNaN(date.getTime()) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  if (date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) return undefined
  return date
}

/** The value of `count` ASCII digits at `offset`; NaN when one is not a digit. */
function decimal(bytes: Uint8Array, offset: number, count: number): number {
  let value = 0
  for (let index = offset; index < offset + count; index++) {
    const digit = (bytes[index] ?? 0) - 0x30
    if (digit < 0 || digit > 9) return Number.NaN
    value = value * 10 + digit
  }
  return value
}
