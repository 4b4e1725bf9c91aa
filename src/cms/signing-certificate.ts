import { SceauError } from '../errors.js'
import { digest } from '../signer/digest-info.js'
import type { DigestAlgorithm } from '../types.js'
import { digestOid } from './algorithms.js'
import { berAlgorithm, berChildren, berOctets, isTag, readBer, toDer, UNIVERSAL, type BerElement } from './ber.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { cmsDigestFromOid, type CmsDigestAlgorithm } from './digests.js'
import { oid, TAG, tlv } from './der-encode.js'

// The signing-certificate attributes (RFC 2634 §5.4 with SHA-1, RFC 5035 §3 with any hash): they bind the signer's
// certificate into what is signed, so that a certificate for the same key, reissued by another CA, cannot be
// substituted (ETSI EN 319 122-1 §5.2.2). sceau writes v2 only; it reads both, as DSS and pyHanko do.

/** What an ESSCertID (signing-certificate, RFC 2634 §5.4) or ESSCertIDv2 (signing-certificate-v2) says. */
export interface EssCertId {
  /** 1: signing-certificate, whose certHash is SHA-1; 2: signing-certificate-v2. */
  readonly version: 1 | 2
  /** The hash of `certHash`: a sceau name when known, otherwise the OID as written. */
  readonly hash: CmsDigestAlgorithm | (string & {})
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
 * Reads the first ESSCertID of a SigningCertificate (`version` 1) or SigningCertificateV2 (`version` 2) value: by
 * RFC 2634 §5.4 and RFC 5035 §3 it is the signer's certificate; the others may only restrict the path. Throws
 * `INPUT_MALFORMED` on a value that is neither.
 */
export function decodeSigningCertificate(value: Uint8Array, version: 1 | 2): EssCertId {
  const what = version === 1 ? 'signing-certificate' : 'signing-certificate-v2'
  const fail = (why: string): never => {
    throw new SceauError('INPUT_MALFORMED', `${what}: ${why}`)
  }
  const sequence = (element: BerElement | undefined, name: string): BerElement[] =>
    isTag(element, 0, UNIVERSAL.sequence) ? berChildren(value, element, what) : fail(`${name} is not a SEQUENCE`)
  const [certs] = sequence(readBer(value, 0, value.length, what), what)
  const [first] = sequence(certs, 'certs')
  const fields = sequence(first, 'ESSCertID')
  let index = 0
  // ESSCertIDv2's hashAlgorithm is DEFAULT SHA-256 (RFC 5035 §4); ESSCertID's hash is always SHA-1.
  let hash: string = version === 1 ? 'SHA-1' : 'SHA-256'
  if (version === 2 && isTag(fields[0], 0, UNIVERSAL.sequence)) {
    const algorithm = berAlgorithm(value, fields[0], 'hashAlgorithm')
    hash = cmsDigestFromOid(algorithm.oid, algorithm.parameters) ?? algorithm.oid
    index = 1
  }
  const certHash = fields[index]
  if (!isTag(certHash, 0, UNIVERSAL.octetString)) return fail('certHash is not an OCTET STRING')
  const result: EssCertId = { version, hash, certHash: new Uint8Array(berOctets(value, certHash, 'certHash')) }
  const issuerSerialElement = fields[index + 1]
  if (issuerSerialElement === undefined) return result
  const [names, serial] = sequence(issuerSerialElement, 'issuerSerial')
  if (!isTag(serial, 0, UNIVERSAL.integer)) return fail('serialNumber is not an INTEGER')
  const issuerNames = sequence(names, 'issuer GeneralNames')
    .filter((name) => isTag(name, 2, 4))
    .map((name) => {
      // directoryName [4] is EXPLICIT (Name is a CHOICE): the Name SEQUENCE is inside it.
      const [inner, extra] = berChildren(value, name, what)
      if (!isTag(inner, 0, UNIVERSAL.sequence) || extra !== undefined) return fail('directoryName is not a Name')
      return toDer(value, inner)
    })
  return { ...result, issuerSerial: { issuerNames, serialNumber: toDer(value, serial) } }
}
