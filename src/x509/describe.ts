/**
 * What a certificate says, decoded once into plain values: names, validity, key usage, policies, QC
 * statements, the public key, revocation and issuer locations. No verdicts here: the policy layer decides
 * what an RGS** or eIDAS profile requires of these facts.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { ECParameters } from '@peculiar/asn1-ecc'
import { RSAPublicKey } from '@peculiar/asn1-rsa'
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { SceauError } from '../errors.js'
import type { KeyDescription, NamedCurve } from '../types.js'
import { certificateSpki } from './der.js'
import { parseQcStatements, QC_STATEMENTS_OID, type QcStatements } from './qc-statements.js'

/** The nine bits of the keyUsage extension (RFC 5280 §4.2.1.3), in bit order. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly'

const KEY_USAGES: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
]

/** A public key sceau cannot sign with (another curve, Ed25519…): still described, by its OIDs. */
export interface OtherKeyDescription {
  readonly type: 'other'
  /** The SubjectPublicKeyInfo algorithm OID. */
  readonly algorithm: string
  /** For EC keys on a curve sceau does not handle (brainpool, FRP256v1), the curve OID. */
  readonly curve?: string
}

/** The decoded facts of one X.509 certificate. */
export interface CertificateInfo {
  /** Subject DN as @peculiar/x509 prints it: RFC 4514 escaping, attributes in certificate order (`C=FR, O=…, CN=…`). */
  readonly subject: string
  /** Issuer DN, same format as {@link CertificateInfo.subject}. */
  readonly issuer: string
  /**
   * Serial number in lower-case hex: the DER INTEGER's content octets, less the single 00 octet DER puts
   * before a value whose top bit is set. Nothing else is added or trimmed, so it equals `openssl x509 -serial`
   * in lower case and the hex of a CRL entry for this certificate.
   */
  readonly serialNumber: string
  readonly notBefore: Date
  readonly notAfter: Date
  /** keyUsage bits that are set, in bit order; empty when the extension is absent. */
  readonly keyUsage: readonly KeyUsageName[]
  /** Whether the keyUsage extension is marked critical (EN 319 412-2 requires it for natural persons). */
  readonly keyUsageCritical: boolean
  /** extendedKeyUsage OIDs; empty when the extension is absent. */
  readonly extendedKeyUsage: readonly string[]
  /** certificatePolicies OIDs, in certificate order. */
  readonly policies: readonly string[]
  /** The qcStatements extension, or null when the certificate has none. */
  readonly qcStatements: QcStatements | null
  /** The subject's public key; `type: 'other'` for algorithms sceau does not sign with. */
  readonly publicKey: KeyDescription | OtherKeyDescription
  /** basicConstraints cA is true. */
  readonly isCA: boolean
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLength?: number
  /** subjectKeyIdentifier, lower-case hex. */
  readonly subjectKeyIdentifier?: string
  /** authorityKeyIdentifier keyIdentifier, lower-case hex. */
  readonly authorityKeyIdentifier?: string
  /** URIs of the cRLDistributionPoints fullNames (http and ldap alike), in order. */
  readonly crlDistributionPoints: readonly string[]
  /** authorityInfoAccess OCSP responder URIs. */
  readonly ocspUrls: readonly string[]
  /** authorityInfoAccess caIssuers URIs. */
  readonly caIssuers: readonly string[]
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprintSha256: string
  /** First commonName (2.5.4.3) of the subject. */
  readonly subjectCommonName?: string
  /** First organizationName (2.5.4.10) of the subject. */
  readonly subjectOrganization?: string
  /** First serialNumber attribute (2.5.4.5) of the subject: an identifier of the person, not the certificate serial. */
  readonly subjectSerialNumber?: string
  /** First organizationIdentifier (2.5.4.97) of the subject, e.g. `NTRFR-509608352` (EN 319 412-1 §5.1.4). */
  readonly organizationIdentifier?: string
  /** OIDs of the extensions marked critical, so a validator can reject the ones it does not process. */
  readonly criticalExtensions: readonly string[]
}

const OID = {
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
} as const

const CURVES: Readonly<Record<string, { curve: NamedCurve; size: number }>> = {
  '1.2.840.10045.3.1.7': { curve: 'P-256', size: 256 },
  '1.3.132.0.34': { curve: 'P-384', size: 384 },
  '1.3.132.0.35': { curve: 'P-521', size: 521 },
}

/**
 * Decodes a DER certificate into {@link CertificateInfo}.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when the bytes are not a decodable X.509 certificate, when an
 * extension sceau reads cannot be decoded, or when an extension appears twice (RFC 5280 §4.2).
 *
 * @example
 * ```ts
 * import { describeCertificate } from 'sceau'
 * const info = describeCertificate(signer.certificate)
 * console.log(info.subjectCommonName, info.keyUsage, info.qcStatements?.types)
 * ```
 */
export function describeCertificate(der: Uint8Array): CertificateInfo {
  // The outline check first: the ASN.1 parser below accepts BER and ignores bytes after the certificate, and a
  // fingerprint of such bytes would not be the certificate's.
  if (certificateSpki(der) === undefined) throw malformed('the bytes are not a DER X.509 certificate')
  let cert: x509.X509Certificate
  try {
    // A copy, because @peculiar/x509 wants an ArrayBuffer-backed view (not a view on a shared or pooled buffer).
    cert = new x509.X509Certificate(new Uint8Array(der))
  } catch (err) {
    throw malformed(`the bytes are not a DER X.509 certificate (${reason(err)})`, err)
  }
  try {
    return describeParsed(cert, der)
  } catch (err) {
    if (err instanceof SceauError) throw err
    throw malformed(`the certificate "${safeSubject(cert)}" cannot be decoded (${reason(err)})`, err)
  }
}

function describeParsed(cert: x509.X509Certificate, der: Uint8Array): CertificateInfo {
  // Plain arrays: the parser's collections are Array subclasses, and their species would leak into our results.
  const extensions = [...cert.extensions]
  const seen = new Set<string>()
  for (const extension of extensions) {
    if (seen.has(extension.type))
      throw malformed(`the certificate "${cert.subject}" has the extension ${extension.type} twice (RFC 5280 §4.2)`)
    seen.add(extension.type)
  }
  const find = <T extends x509.Extension>(type: new (raw: ArrayBuffer) => T, oid: string): T | undefined => {
    const found = extensions.find((extension) => extension.type === oid)
    // ExtensionFactory already built the typed class for the extensions it knows; rebuild it otherwise.
    return found === undefined ? undefined : found instanceof type ? found : new type(found.rawData)
  }
  const keyUsage = extensions.find((extension) => extension.type === OID.keyUsage)
  const basic = find(x509.BasicConstraintsExtension, OID.basicConstraints)
  const aki = find(x509.AuthorityKeyIdentifierExtension, OID.authorityKeyIdentifier)
  const ski = find(x509.SubjectKeyIdentifierExtension, OID.subjectKeyIdentifier)
  const aia = find(x509.AuthorityInfoAccessExtension, OID.authorityInfoAccess)
  const qc = extensions.find((extension) => extension.type === QC_STATEMENTS_OID)
  const name = cert.subjectName
  const first = (type: string): string | undefined => name.getField(type)[0]
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyUsage: keyUsage === undefined ? [] : keyUsageNames(new Uint8Array(keyUsage.value)),
    keyUsageCritical: keyUsage?.critical ?? false,
    extendedKeyUsage: Array.from(find(x509.ExtendedKeyUsageExtension, OID.extendedKeyUsage)?.usages ?? [], String),
    policies: Array.from(find(x509.CertificatePolicyExtension, OID.certificatePolicies)?.policies ?? []),
    qcStatements: qc === undefined ? null : parseQcStatements(new Uint8Array(qc.value)),
    publicKey: describeSpki(cert.publicKey.rawData),
    isCA: basic?.ca ?? false,
    ...(basic?.pathLength === undefined ? {} : { pathLength: basic.pathLength }),
    ...(ski === undefined ? {} : { subjectKeyIdentifier: ski.keyId.toLowerCase() }),
    ...(aki?.keyId === undefined ? {} : { authorityKeyIdentifier: aki.keyId.toLowerCase() }),
    crlDistributionPoints: crlUrls(find(x509.CRLDistributionPointsExtension, OID.crlDistributionPoints)),
    ocspUrls: urls(aia?.ocsp),
    caIssuers: urls(aia?.caIssuers),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    ...optional('subjectCommonName', first('2.5.4.3')),
    ...optional('subjectOrganization', first('2.5.4.10')),
    ...optional('subjectSerialNumber', first('2.5.4.5')),
    ...optional('organizationIdentifier', first('2.5.4.97')),
    criticalExtensions: extensions.filter((extension) => extension.critical).map((extension) => extension.type),
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
}

/** keyUsage is a BIT STRING whose bit 0 (the first octet's top bit) is digitalSignature. */
function keyUsageNames(value: Uint8Array): KeyUsageName[] {
  if (value[0] !== 0x03 || value[1] === undefined || value[1] + 2 !== value.length || value[1] === 0) {
    throw malformed('the keyUsage extension is not a DER BIT STRING')
  }
  const bits = value.subarray(3)
  return KEY_USAGES.filter((_, bit) => (((bits[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) === 1)
}

function crlUrls(extension: x509.CRLDistributionPointsExtension | undefined): string[] {
  return [...(extension?.distributionPoints ?? [])].flatMap((point) =>
    (point.distributionPoint?.fullName ?? []).flatMap((general) =>
      general.uniformResourceIdentifier === undefined ? [] : [general.uniformResourceIdentifier],
    ),
  )
}

function urls(names: readonly x509.GeneralName[] | undefined): string[] {
  return [...(names ?? [])].filter((general) => general.type === 'url').map((general) => general.value)
}

function describeSpki(spki: ArrayBuffer): KeyDescription | OtherKeyDescription {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo)
  const { algorithm, parameters } = info.algorithm
  if (algorithm === OID.rsaEncryption || algorithm === OID.rsassaPss) {
    const modulus = new Uint8Array(AsnConvert.parse(info.subjectPublicKey, RSAPublicKey).modulus)
    return { type: 'RSA', size: bitLength(modulus) }
  }
  if (algorithm === OID.ecPublicKey && parameters) {
    const curveOid = AsnConvert.parse(parameters, ECParameters).namedCurve
    const known = curveOid === undefined ? undefined : CURVES[curveOid]
    if (known !== undefined) return { type: 'EC', curve: known.curve, size: known.size }
    return { type: 'other', algorithm, ...(curveOid === undefined ? {} : { curve: curveOid }) }
  }
  return { type: 'other', algorithm }
}

function bitLength(unsigned: Uint8Array): number {
  let index = 0
  while (index < unsigned.length && unsigned[index] === 0) index++
  const top = unsigned[index]
  return top === undefined ? 0 : (unsigned.length - index - 1) * 8 + (32 - Math.clz32(top))
}

function malformed(message: string, cause?: unknown): SceauError {
  return new SceauError('CERTIFICATE_MALFORMED', message, cause === undefined ? {} : { cause })
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function safeSubject(cert: x509.X509Certificate): string {
  try {
    return cert.subject
  } catch {
    return 'unknown subject'
  }
}
