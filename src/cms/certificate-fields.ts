import { SceauError } from '../errors.js'
import { readChildren, readTlv } from '../x509/der.js'

/** The bytes of a certificate's issuer Name and serialNumber INTEGER, exactly as the CA wrote them. */
export interface IssuerAndSerialDer {
  /** The issuer Name element, tag and length included. */
  readonly issuer: Uint8Array
  /** The serialNumber INTEGER element, tag and length included. */
  readonly serialNumber: Uint8Array
}

/** Reads issuer and serial number of a DER certificate; throws `CERTIFICATE_MALFORMED` when it is not one. */
export function issuerAndSerialOf(certificate: Uint8Array): IssuerAndSerialDer {
  const outer = readTlv(certificate, 0)
  const tbs = outer?.tag === 0x30 ? readChildren(certificate, outer)?.[0] : undefined
  const fields = tbs?.tag === 0x30 ? readChildren(certificate, tbs) : undefined
  // version is [0] EXPLICIT DEFAULT v1; then serialNumber, signature, issuer.
  const skip = fields?.[0]?.tag === 0xa0 ? 1 : 0
  const serial = fields?.[skip]
  const issuer = fields?.[skip + 2]
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) {
    throw new SceauError('CERTIFICATE_MALFORMED', 'the signing certificate is not a DER X.509 certificate')
  }
  return {
    issuer: certificate.slice(issuer.start, issuer.end),
    serialNumber: certificate.slice(serial.start, serial.end),
  }
}
