// What XAdES SigningCertificate says about a certificate: its digest, issuer name (as Java prints it, which is
// what the DGFiP-side verifier compares) and decimal serial number.

import { createHash } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate } from '@peculiar/asn1-x509'
import { SceauError } from '../errors.js'
import { nodeHashName } from '../signer/algorithms.js'
import { formatRfc2253 } from '../x509/rfc2253.js'
import type { XmlDigestAlgorithm } from './uris.js'

/** Digest of bytes with an XML-DSig digest algorithm. */
export function xmlDigest(algorithm: XmlDigestAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeHashName(algorithm)).update(data).digest())
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

/** The issuer and serial number of a DER certificate. */
export function issuerSerialOf(certificate: Uint8Array): IssuerSerial {
  let parsed: Certificate
  try {
    parsed = AsnConvert.parse(certificate, Certificate)
  } catch (cause) {
    throw new SceauError('CERTIFICATE_MALFORMED', 'the signing certificate is not a DER X.509 certificate', { cause })
  }
  const issuerDer = new Uint8Array(AsnConvert.serialize(parsed.tbsCertificate.issuer))
  return {
    issuerName: formatRfc2253(issuerDer),
    issuerDer,
    serialNumber: integerToDecimal(new Uint8Array(parsed.tbsCertificate.serialNumber)),
  }
}

/** A DER INTEGER's content octets (two's complement, big-endian) as a decimal string. */
export function integerToDecimal(content: Uint8Array): string {
  if (content.length === 0) return '0'
  let value = BigInt(`0x${Buffer.from(content).toString('hex')}`)
  if ((content[0] as number) >= 0x80) value -= 1n << BigInt(content.length * 8)
  return value.toString(10)
}
