// What XAdES SigningCertificate says about a certificate: its digest, issuer name (as Java prints it, which is
// what the DGFiP-side verifier compares) and decimal serial number.

import { createHash } from 'node:crypto'
import { issuerAndSerialOf } from '../cms/certificate-fields.js'
import { SceauError } from '../errors.js'
import { readTlv } from '../x509/der.js'
import { formatRfc2253 } from '../x509/rfc2253.js'
import { nodeHash } from '../xml/digest.js'
import type { XmlDigestAlgorithm } from './uris.js'

/** Digest of bytes with an XML-DSig digest algorithm. */
export function xmlDigest(algorithm: XmlDigestAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeHash(algorithm)).update(data).digest())
}

/** Issuer and serial of a certificate as XAdES IssuerSerial writes them. */
export interface IssuerSerial {
  /** RFC 2253, Java style (`CN=…,O=…,C=FR`). */
  readonly issuerName: string
  /** DER of the issuer Name, for comparisons that do not trust string forms. */
  readonly issuerDer: Uint8Array
  /** Decimal, as X509SerialNumber (xsd:integer) wants it. */
  readonly serialNumber: string
}

// A batch signs thousands of documents with one certificate: its issuer string is worked out once.
const known = new WeakMap<Uint8Array, IssuerSerial>()

/** The issuer and serial number of a DER certificate (computed once per certificate object). */
export function issuerSerialOf(certificate: Uint8Array): IssuerSerial {
  const cached = known.get(certificate)
  if (cached !== undefined) return cached
  const { issuer, serialNumber } = issuerAndSerialOf(certificate)
  const serial = readTlv(serialNumber, 0)
  if (serial === undefined) throw new SceauError('CERTIFICATE_MALFORMED', 'the signing certificate is not a DER X.509 certificate')
  const result = {
    issuerName: formatRfc2253(issuer),
    issuerDer: issuer,
    serialNumber: integerToDecimal(serialNumber.subarray(serial.contentStart, serial.end)),
  }
  known.set(certificate, result)
  return result
}

/** A DER INTEGER's content octets (two's complement, big-endian) as a decimal string. */
export function integerToDecimal(content: Uint8Array): string {
  if (content.length === 0) return '0'
  let value = BigInt(`0x${Buffer.from(content).toString('hex')}`)
  if ((content[0] as number) >= 0x80) value -= 1n << BigInt(content.length * 8)
  return value.toString(10)
}
