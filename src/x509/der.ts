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
  const tag = bytes[offset]
  const first = bytes[offset + 1]
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined
  let length = first
  let contentStart = offset + 2
  if (first & 0x80) {
    const octets = first & 0x7f
    // 0x80 is BER's indefinite length; more than 4 length octets would describe more than 4 GiB.
    if (octets === 0 || octets > 4) return undefined
    length = 0
    for (let i = 0; i < octets; i++) {
      const octet = bytes[contentStart + i]
      if (octet === undefined) return undefined
      length = length * 256 + octet
    }
    contentStart += octets
  }
  const end = contentStart + length
  if (end > limit) return undefined
  return { tag, start: offset, contentStart, end }
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

/**
 * The SubjectPublicKeyInfo element of a certificate, or undefined when `der` does not have the outline of an
 * X.509 certificate (SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING } with nothing after it).
 *
 * @example
 * ```ts
 * const spki = certificateSpki(der)
 * if (spki !== undefined) console.log(der.subarray(spki.start, spki.end))
 * ```
 */
export function certificateSpki(der: Uint8Array): Tlv | undefined {
  const certificate = readTlv(der, 0)
  if (certificate === undefined || certificate.tag !== 0x30 || certificate.end !== der.length) return undefined
  const parts = readChildren(der, certificate)
  const [tbs, algorithm, signature] = parts ?? []
  if (parts?.length !== 3 || tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03) return undefined
  const fields = readChildren(der, tbs)
  if (fields === undefined) return undefined
  // version is [0] EXPLICIT and DEFAULT v1, so it may be absent; then serial, signature, issuer, validity,
  // subject, subjectPublicKeyInfo.
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0
  const expected = [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]
  for (const [index, tag] of expected.entries()) {
    if (fields[skip + index]?.tag !== tag) return undefined
  }
  return fields[skip + 5]
}
