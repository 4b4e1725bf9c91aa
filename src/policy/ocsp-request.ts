/**
 * OCSP requests (RFC 6960 §4.1) and the CertID that names a certificate in them and in responses.
 *
 * @packageDocumentation
 */

import { createHash, randomBytes } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { SceauError } from '../errors.js'
import { nodeHashName } from '../signer/algorithms.js'
import { readChildren, readTlv, type Tlv } from '../x509/der.js'

/** Hash algorithms a CertID may use. */
export type CertIdHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'

/** OID of the nonce extension (RFC 8954). */
export const OCSP_NONCE_OID = '1.3.6.1.5.5.7.48.1.2'

const HASH_OIDS: Readonly<Record<CertIdHash, string>> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
}

/**
 * The hash named by a CertID's AlgorithmIdentifier OID, or undefined for one sceau does not compute.
 *
 * @example
 * ```ts
 * certIdHashFromOid('1.3.14.3.2.26') // 'SHA-1'
 * ```
 */
export function certIdHashFromOid(oid: string): CertIdHash | undefined {
  return (Object.keys(HASH_OIDS) as CertIdHash[]).find((name) => HASH_OIDS[name] === oid)
}

/** A CertID's values, as bytes. */
export interface CertId {
  readonly hash: CertIdHash
  /** Hash of the issuer's subject Name, DER. */
  readonly issuerNameHash: Uint8Array
  /** Hash of the issuer's subjectPublicKey BIT STRING value (without the unused-bits octet). */
  readonly issuerKeyHash: Uint8Array
  /** The certificate's serial number INTEGER content octets. */
  readonly serialNumber: Uint8Array
}

/** The raw pieces of a certificate a CertID is made of. */
export interface CertificateParts {
  readonly serialNumber: Uint8Array
  readonly issuerName: Uint8Array
  readonly subjectName: Uint8Array
  /** The subjectPublicKey BIT STRING value less its unused-bits octet. */
  readonly publicKey: Uint8Array
  /** The SubjectPublicKeyInfo element, DER. */
  readonly spki: Uint8Array
}

/**
 * Reads the serial, names and public key of a certificate as the exact bytes the CA signed: CertID hashes are
 * over those bytes, and a decode-and-re-encode could change them (a BMPString, a non-minimal length).
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `der` does not have the outline of an X.509 certificate.
 *
 * @example
 * ```ts
 * const { serialNumber, subjectName } = certificateParts(issuerDer)
 * ```
 */
export function certificateParts(der: Uint8Array): CertificateParts {
  const fail = (): never => {
    throw new SceauError('CERTIFICATE_MALFORMED', 'the bytes are not a DER X.509 certificate')
  }
  const certificate = readTlv(der, 0) ?? fail()
  const [tbs] = readChildren(der, certificate) ?? fail()
  if (certificate.tag !== 0x30 || tbs?.tag !== 0x30) return fail()
  const fields = readChildren(der, tbs) ?? fail()
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0
  const field = (index: number, tag: number): Tlv => {
    const found = fields[skip + index]
    return found !== undefined && found.tag === tag ? found : fail()
  }
  const serial = field(0, 0x02)
  const issuer = field(2, 0x30)
  const subject = field(4, 0x30)
  const spki = field(5, 0x30)
  const [, bitString] = readChildren(der, spki) ?? fail()
  if (bitString?.tag !== 0x03 || bitString.end - bitString.contentStart < 1) return fail()
  return {
    serialNumber: der.slice(serial.contentStart, serial.end),
    issuerName: der.slice(issuer.start, issuer.end),
    subjectName: der.slice(subject.start, subject.end),
    publicKey: der.slice(bitString.contentStart + 1, bitString.end),
    spki: der.slice(spki.start, spki.end),
  }
}

/**
 * The CertID of `certificate` as issued by `issuer`, with the given hash.
 *
 * @example
 * ```ts
 * const id = computeCertId(leafDer, issuerDer, 'SHA-1')
 * console.log(Buffer.from(id.serialNumber).toString('hex'))
 * ```
 */
export function computeCertId(certificate: Uint8Array, issuer: Uint8Array, hash: CertIdHash = 'SHA-1'): CertId {
  const cert = certificateParts(certificate)
  const ca = certificateParts(issuer)
  const digest = (data: Uint8Array): Uint8Array => new Uint8Array(createHash(nodeHashName(hash)).update(data).digest())
  return {
    hash,
    // The issuer's subject, not the certificate's issuer field: the two are equal for a real issuer, and the
    // responder computes the hash from its CA's certificate.
    issuerNameHash: digest(ca.subjectName),
    issuerKeyHash: digest(ca.publicKey),
    serialNumber: cert.serialNumber,
  }
}

/**
 * A stable text key for a CertID (hash, name hash, key hash, serial in hex), used by {@link OcspCache}.
 *
 * @example
 * ```ts
 * const key = certIdKey(computeCertId(leafDer, issuerDer))
 * ```
 */
export function certIdKey(id: CertId): string {
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
  return `${id.hash}:${hex(id.issuerNameHash)}:${hex(id.issuerKeyHash)}:${hex(id.serialNumber)}`
}

/** Options of {@link buildOcspRequest}. */
export interface OcspRequestOptions {
  /** true (16 random bytes), false, or the nonce itself (1 to 32 bytes, RFC 8954 §2.1). Default false. */
  readonly nonce?: boolean | Uint8Array
  /** CertID hash. Default SHA-1: RFC 5019 responders (most CAs, CDNs) only answer SHA-1 CertIDs. */
  readonly hash?: CertIdHash
}

/** A built request: its DER and the nonce it carries. */
export interface OcspRequest {
  readonly der: Uint8Array
  readonly certId: CertId
  readonly nonce?: Uint8Array
}

/**
 * Builds an unsigned OCSP request for one certificate, as {@link buildOcspRequest} does, and also returns the
 * CertID and nonce the caller needs to check the answer.
 *
 * @throws SceauError `INPUT_MALFORMED` for a nonce outside 1..32 bytes; `CERTIFICATE_MALFORMED` for bad certificates.
 *
 * @example
 * ```ts
 * const { der, nonce } = createOcspRequest(leafDer, issuerDer, { nonce: true })
 * ```
 */
export function createOcspRequest(certificate: Uint8Array, issuer: Uint8Array, options: OcspRequestOptions = {}): OcspRequest {
  const certId = computeCertId(certificate, issuer, options.hash ?? 'SHA-1')
  let nonce: Uint8Array | undefined
  if (options.nonce === true) nonce = new Uint8Array(randomBytes(16))
  else if (options.nonce instanceof Uint8Array) {
    if (options.nonce.length < 1 || options.nonce.length > 32) {
      throw new SceauError('INPUT_MALFORMED', `an OCSP nonce has 1 to 32 bytes (RFC 8954 §2.1), not ${options.nonce.length}`)
    }
    nonce = options.nonce
  }
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert: toPkijsCertId(certId) })],
      ...(nonce === undefined
        ? {}
        : {
            requestExtensions: [
              // RFC 8954 §2.1: the extnValue holds an OCTET STRING whose content is the nonce, as OpenSSL sends it.
              new pkijs.Extension({
                extnID: OCSP_NONCE_OID,
                critical: false,
                extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(),
              }),
            ],
          }),
    }),
  })
  const der = new Uint8Array(request.toSchema(true).toBER())
  return nonce === undefined ? { der, certId } : { der, certId, nonce }
}

/**
 * Builds an unsigned OCSP request (DER) asking for the status of `certificate`, issued by `issuer`.
 *
 * @throws SceauError `INPUT_MALFORMED` for a nonce outside 1..32 bytes; `CERTIFICATE_MALFORMED` for bad certificates.
 *
 * @example
 * ```ts
 * const der = buildOcspRequest(leafDer, issuerDer, { nonce: true })
 * // POST it as application/ocsp-request to the URL in the certificate's authorityInfoAccess
 * ```
 */
export function buildOcspRequest(certificate: Uint8Array, issuer: Uint8Array, options: OcspRequestOptions = {}): Uint8Array {
  return createOcspRequest(certificate, issuer, options).der
}

/**
 * The pkijs form of a CertID, its AlgorithmIdentifier with NULL parameters as OpenSSL writes it.
 *
 * @example
 * ```ts
 * const request = new pkijs.Request({ reqCert: toPkijsCertId(computeCertId(leafDer, issuerDer)) })
 * ```
 */
export function toPkijsCertId(id: CertId): pkijs.CertID {
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[id.hash], algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: id.issuerNameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: id.issuerKeyHash }),
    serialNumber: new asn1js.Integer({ valueHex: id.serialNumber }),
  })
}
