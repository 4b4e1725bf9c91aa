/**
 * Certificates with extensions written byte for byte, for tests of what sceau does with values a CA got wrong
 * (a QcType that is a bare OID, a keyUsage that is not a BIT STRING…). @peculiar/x509's generator cannot make them:
 * it parses every extension of what it has just signed, and throws on those.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier,
  Certificate,
  Extension,
  Extensions,
  Name,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { certificateFields } from '../x509/der.js'

/** One extension, its value given as the DER the extnValue OCTET STRING holds. */
export interface RawExtension {
  readonly oid: string
  readonly critical?: boolean
  /** The extension value, DER (or not: that is the point). */
  readonly value: Uint8Array
}

/** Options of {@link rawCertificate}. */
export interface RawCertificateOptions {
  /** Subject DN, e.g. `CN=TEST bad keyUsage, O=sceau tests, C=FR`. */
  readonly subject: string
  /** The issuing certificate and its PKCS#8 private key (RSA or EC); self-signed when absent. */
  readonly issuer?: { readonly certificate: Uint8Array; readonly privateKey: Uint8Array }
  readonly notBefore: Date
  readonly notAfter: Date
  /** Written in this order, as given. */
  readonly extensions: readonly RawExtension[]
}

/** A certificate and the PKCS#8 private key of its P-256 subject key. */
export interface RawCertificate {
  readonly certificate: Uint8Array
  readonly privateKey: Uint8Array
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2'
const RSA_SHA256 = '1.2.840.113549.1.1.11'

/**
 * Issues a certificate for a fresh P-256 key with exactly the extensions given, signed with SHA-256 by the issuer's
 * key (or its own).
 *
 * @example
 * ```ts
 * const { certificate } = rawCertificate({
 *   subject: 'CN=TEST bare QcType', notBefore, notAfter,
 *   extensions: [{ oid: '2.5.29.15', critical: true, value: Buffer.from('0500', 'hex') }],
 * })
 * ```
 */
export function rawCertificate(options: RawCertificateOptions): RawCertificate {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const privateKey = new Uint8Array(keys.privateKey.export({ format: 'der', type: 'pkcs8' }))
  const signer = createPrivateKey({ key: Buffer.from(options.issuer?.privateKey ?? privateKey), format: 'der', type: 'pkcs8' })
  const algorithm = signer.asymmetricKeyType === 'rsa' ? RSA_SHA256 : ECDSA_SHA256
  const subject = AsnConvert.parse(new x509.Name(options.subject).toArrayBuffer(), Name)
  const issuerFields = options.issuer === undefined ? undefined : certificateFields(options.issuer.certificate)
  const issuer =
    options.issuer === undefined || issuerFields === undefined
      ? subject
      : AsnConvert.parse(Uint8Array.from(options.issuer.certificate.subarray(issuerFields.subject.start, issuerFields.subject.end)), Name)
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm, ...(algorithm === RSA_SHA256 ? { parameters: null } : {}) })
  const serial = randomBytes(12)
  // Positive and minimal (DER): top bit clear, first octet not zero.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + serial.length),
    signature: signatureAlgorithm,
    issuer,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(keys.publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
    extensions: new Extensions(
      options.extensions.map(
        (extension) =>
          new Extension({ extnID: extension.oid, critical: extension.critical ?? false, extnValue: new OctetString(extension.value) }),
      ),
    ),
  })
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs))
  const signature = sign('sha256', tbsDer, signer)
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm,
    signatureValue: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.length),
  })
  return { certificate: new Uint8Array(AsnConvert.serialize(certificate)), privateKey }
}
