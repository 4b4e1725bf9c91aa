import * as asn1js from 'asn1js'
import { SceauError } from '../errors.js'
import { digest } from '../signer/digest-info.js'
import type { DigestAlgorithm } from '../types.js'
import { readChildren, readTlv, type Tlv } from '../x509/der.js'
import { digestFromOid, digestOid } from './algorithms.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { oid, TAG, tlv } from './der-encode.js'

// The signing-certificate-v2 attribute (RFC 5035 §3): it binds the signer's certificate into what is signed, so
// that a certificate for the same key, reissued by another CA, cannot be substituted (ETSI EN 319 122-1 §5.2.2).

/** What an ESSCertIDv2 says about the signing certificate. */
export interface EssCertIdV2 {
  /** The hash of `certHash`: a sceau name when known, otherwise the OID as written. */
  readonly hash: DigestAlgorithm | (string & {})
  /** The hash of the certificate's DER. */
  readonly certHash: Uint8Array
  /** The issuer's names (DER Name of each directoryName) and the serial number, when present. */
  readonly issuerSerial?: { readonly issuerNames: readonly Uint8Array[]; readonly serialNumber: Uint8Array }
}

/**
 * DER of SigningCertificateV2 for one certificate, with issuerSerial. The hashAlgorithm field is omitted for
 * SHA-256 because it is its DEFAULT, and DER forbids encoding a default value.
 */
export function encodeSigningCertificateV2(certificate: Uint8Array, hash: DigestAlgorithm): Uint8Array {
  const hashAlgorithm = hash === 'SHA-256' ? new Uint8Array() : tlv(TAG.sequence, oid(digestOid(hash)))
  const essCertId = tlv(TAG.sequence, hashAlgorithm, tlv(TAG.octetString, digest(hash, certificate)), encodeIssuerSerial(certificate))
  return tlv(TAG.sequence, tlv(TAG.sequence, essCertId))
}

/**
 * DER IssuerSerial (RFC 5035) of a certificate: GeneralNames holding its issuer as a directoryName, and its serial
 * number — in ESS signing-certificate-v2 and, base64, in XAdES IssuerSerialV2.
 */
export function encodeIssuerSerial(certificate: Uint8Array): Uint8Array {
  const { issuer, serialNumber } = issuerAndSerialOf(certificate)
  return tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.context4, issuer)), serialNumber)
}

/**
 * Reads the first ESSCertIDv2 of a SigningCertificateV2 value: by RFC 5035 §3 it is the signer's certificate;
 * the others may only restrict the path. Throws `INPUT_MALFORMED` on a value that is not DER SigningCertificateV2.
 */
export function decodeSigningCertificateV2(value: Uint8Array): EssCertIdV2 {
  const fail = (why: string): never => {
    throw new SceauError('INPUT_MALFORMED', `signing-certificate-v2: ${why}`)
  }
  const top = constructed(value, readTlv(value, 0), TAG.sequence) ?? fail('not a SEQUENCE')
  const certs = constructed(value, top[0], TAG.sequence) ?? fail('certs is not a SEQUENCE')
  const first = constructed(value, certs[0], TAG.sequence) ?? fail('no ESSCertIDv2')
  let index = 0
  let hash: string = 'SHA-256'
  if (first[0]?.tag === TAG.sequence) {
    const algorithm = first[0]
    const oidTlv = readTlv(value, algorithm.contentStart, algorithm.end)
    if (oidTlv?.tag !== TAG.oid) fail('hashAlgorithm has no OID')
    const parsed = asn1js.fromBER(value.slice(oidTlv?.start, oidTlv?.end))
    if (parsed.offset === -1 || !(parsed.result instanceof asn1js.ObjectIdentifier)) fail('bad hashAlgorithm OID')
    const dotted = (parsed.result as asn1js.ObjectIdentifier).getValue()
    hash = digestFromOid(dotted) ?? dotted
    index = 1
  }
  const certHash = first[index]
  if (certHash?.tag !== TAG.octetString) fail('certHash is not an OCTET STRING')
  const issuerSerialTlv = first[index + 1]
  const result: EssCertIdV2 = { hash, certHash: value.slice(certHash?.contentStart, certHash?.end) }
  if (issuerSerialTlv === undefined) return result
  const issuerSerial = constructed(value, issuerSerialTlv, TAG.sequence) ?? fail('issuerSerial is not a SEQUENCE')
  const names = constructed(value, issuerSerial[0], TAG.sequence) ?? fail('issuer is not GeneralNames')
  const serial = issuerSerial[1]
  if (serial?.tag !== TAG.integer) fail('serialNumber is not an INTEGER')
  const issuerNames = names
    .filter((name) => name.tag === TAG.context4)
    .map((name) => {
      const inner = readTlv(value, name.contentStart, name.end)
      if (inner?.tag !== TAG.sequence || inner.end !== name.end) return fail('directoryName is not a Name')
      return value.slice(inner.start, inner.end)
    })
  return { ...result, issuerSerial: { issuerNames, serialNumber: value.slice(serial?.start, serial?.end) } }
}

function constructed(bytes: Uint8Array, element: Tlv | undefined, tag: number): Tlv[] | undefined {
  if (element?.tag !== tag) return undefined
  return readChildren(bytes, element)
}
