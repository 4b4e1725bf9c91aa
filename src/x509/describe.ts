/**
 * What a certificate says, decoded once into plain values: names, validity, key usage, policies, QC
 * statements, the public key, revocation and issuer locations. No verdicts here: the policy layer decides
 * what an RGS** or eIDAS profile requires of these facts.
 *
 * Each extension is decoded on its own: one that does not follow its ASN.1 definition (Certum QCA 2017 writes
 * QcType as a bare OID instead of a SEQUENCE OF OID) is listed in {@link CertificateInfo.undecodable} and its facts
 * are left empty, rather than making the whole certificate unreadable. Only a certificate whose outline, names,
 * serial, validity or key cannot be read is refused: OpenSSL refuses those too.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { ECParameters } from '@peculiar/asn1-ecc'
import { RSAPublicKey } from '@peculiar/asn1-rsa'
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  Validity,
} from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { SceauError } from '../errors.js'
import type { KeyDescription, NamedCurve } from '../types.js'
import { certificateFields, readChildren, readTlv, type Tlv } from './der.js'
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
  /** subjectAltName entries, in certificate order; empty when the extension is absent. */
  readonly subjectAltNames: readonly SubjectAltName[]
  /** OIDs of every extension, in certificate order. */
  readonly extensions: readonly string[]
  /** OIDs of the extensions marked critical, so a validator can reject the ones it does not process. */
  readonly criticalExtensions: readonly string[]
  /**
   * OIDs of the extensions sceau reads that could not be decoded (value not as RFC 5280 / EN 319 412-5 define it,
   * or the extension present twice, which RFC 5280 §4.2 forbids). Their facts above are then empty or absent, and
   * mean "unknown", not "absent": a check that needs them cannot decide. Statements of a qcStatements extension
   * that decodes as a whole are listed in {@link QcStatements.undecodable} instead.
   */
  readonly undecodable: readonly string[]
}

/** One subjectAltName GeneralName (RFC 5280 §4.2.1.6). */
export interface SubjectAltName {
  readonly type: 'email' | 'dns' | 'uri' | 'ip' | 'directoryName' | 'registeredId' | 'other'
  /** The text; for `directoryName` the DN as {@link CertificateInfo.subject} prints one; for `other`, the type OID. */
  readonly value: string
}

const OID = {
  subjectAltName: '2.5.29.17',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
} as const

const CURVES: Readonly<Record<string, { curve: NamedCurve; size: number }>> = {
  '1.2.840.10045.3.1.7': { curve: 'P-256', size: 256 },
  '1.3.132.0.34': { curve: 'P-384', size: 384 },
  '1.3.132.0.35': { curve: 'P-521', size: 521 },
}

/** Names of the extensions {@link describeCertificate} reads, for messages. */
export const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [OID.subjectKeyIdentifier]: 'subjectKeyIdentifier',
  [OID.keyUsage]: 'keyUsage',
  [OID.subjectAltName]: 'subjectAltName',
  [OID.basicConstraints]: 'basicConstraints',
  [OID.crlDistributionPoints]: 'cRLDistributionPoints',
  [OID.certificatePolicies]: 'certificatePolicies',
  [OID.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [OID.extendedKeyUsage]: 'extendedKeyUsage',
  [OID.authorityInfoAccess]: 'authorityInfoAccess',
  [QC_STATEMENTS_OID]: 'qcStatements',
}

/**
 * An extension OID with its name when sceau knows it: `keyUsage (2.5.29.15)`.
 *
 * @example
 * ```ts
 * console.log(`could not decode ${info.undecodable.map(extensionLabel).join(', ')}`)
 * ```
 */
export function extensionLabel(oid: string): string {
  const name = EXTENSION_NAMES[oid]
  return name === undefined ? oid : `${name} (${oid})`
}

/**
 * Decodes a DER certificate into {@link CertificateInfo}. An extension that cannot be decoded does not make the
 * certificate unreadable: it is listed in `undecodable` (see {@link CertificateInfo.undecodable}).
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when the bytes are not a DER X.509 certificate: not its outline,
 * trailing bytes, or a serial number, name, validity, public key or Extensions list that cannot be decoded.
 *
 * @example
 * ```ts
 * import { describeCertificate } from 'sceau'
 * const info = describeCertificate(signer.certificate)
 * console.log(info.subjectCommonName, info.keyUsage, info.qcStatements?.types)
 * ```
 */
export function describeCertificate(der: Uint8Array): CertificateInfo {
  // The outline check first: ASN.1 parsers accept BER and ignore bytes after the certificate, and a fingerprint of
  // such bytes would not be the certificate's.
  const fields = certificateFields(der)
  if (fields === undefined) throw malformed('the bytes are not a DER X.509 certificate')
  const element = (tlv: Tlv): Uint8Array<ArrayBuffer> => Uint8Array.from(der.subarray(tlv.start, tlv.end))
  let core: Core
  try {
    core = readCore(der, fields, element)
  } catch (err) {
    throw malformed(`the bytes are not a DER X.509 certificate (${reason(err)})`, err)
  }
  const extensions = readExtensions(der, fields.extensions, core.subject)
  const undecodable = new Set<string>()
  const seen = new Set<string>()
  for (const extension of extensions) {
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension"; which of
    // the two the issuer meant is unknowable, so neither is read.
    if (seen.has(extension.extnID)) undecodable.add(extension.extnID)
    seen.add(extension.extnID)
  }
  const decode = <T>(oid: string, read: (value: Uint8Array) => T): T | undefined => {
    const found = extensions.find((extension) => extension.extnID === oid)
    if (found === undefined || undecodable.has(oid)) return undefined
    const value = new Uint8Array(found.extnValue.buffer)
    try {
      // Each value is exactly one DER element (RFC 5280 §4.1: extnValue holds the DER encoding of the extension).
      if (readTlv(value, 0)?.end !== value.length) throw new Error('the value is not one DER element')
      return read(value)
    } catch {
      undecodable.add(oid)
      return undefined
    }
  }
  const keyUsage = decode(OID.keyUsage, keyUsageNames)
  const basic = decode(OID.basicConstraints, (value) => AsnConvert.parse(value, BasicConstraints))
  const ski = decode(OID.subjectKeyIdentifier, (value) => hex(AsnConvert.parse(value, SubjectKeyIdentifier).buffer))
  const aki = decode(OID.authorityKeyIdentifier, (value) => AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier)
  const eku = decode(OID.extendedKeyUsage, (value) => Array.from(AsnConvert.parse(value, ExtendedKeyUsage), String))
  const policies = decode(OID.certificatePolicies, (value) =>
    Array.from(AsnConvert.parse(value, CertificatePolicies), (policy) => policy.policyIdentifier),
  )
  const crlDistributionPoints = decode(OID.crlDistributionPoints, (value) =>
    Array.from(AsnConvert.parse(value, CRLDistributionPoints)).flatMap((point) => uris(point.distributionPoint?.fullName ?? [])),
  )
  const access = decode(OID.authorityInfoAccess, (value) => Array.from(AsnConvert.parse(value, AuthorityInfoAccessSyntax)))
  const altNames = decode(OID.subjectAltName, (value) => Array.from(AsnConvert.parse(value, SubjectAlternativeName), altName))
  const qcStatements = decode(QC_STATEMENTS_OID, parseQcStatements)
  const locations = (method: string): string[] =>
    uris((access ?? []).filter((description) => description.accessMethod === method).map((description) => description.accessLocation))
  const pathLength = basic?.pathLenConstraint
  const authorityKeyIdentifier = aki === undefined ? undefined : hex(aki.buffer)
  return {
    subject: core.subject,
    issuer: core.issuer,
    serialNumber: core.serialNumber,
    notBefore: core.notBefore,
    notAfter: core.notAfter,
    keyUsage: keyUsage ?? [],
    keyUsageCritical: extensions.some((extension) => extension.extnID === OID.keyUsage && extension.critical),
    extendedKeyUsage: eku ?? [],
    policies: policies ?? [],
    qcStatements: qcStatements ?? null,
    publicKey: core.publicKey,
    isCA: basic?.cA ?? false,
    ...(pathLength === undefined ? {} : { pathLength }),
    ...(ski === undefined ? {} : { subjectKeyIdentifier: ski }),
    ...(authorityKeyIdentifier === undefined ? {} : { authorityKeyIdentifier }),
    crlDistributionPoints: crlDistributionPoints ?? [],
    ocspUrls: locations(OID.ocsp),
    caIssuers: locations(OID.caIssuers),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    ...optional('subjectCommonName', core.first('2.5.4.3')),
    ...optional('subjectOrganization', core.first('2.5.4.10')),
    ...optional('subjectSerialNumber', core.first('2.5.4.5')),
    ...optional('organizationIdentifier', core.first('2.5.4.97')),
    subjectAltNames: altNames ?? [],
    extensions: extensions.map((extension) => extension.extnID),
    criticalExtensions: extensions.filter((extension) => extension.critical).map((extension) => extension.extnID),
    undecodable: [...undecodable],
  }
}

interface Core {
  readonly subject: string
  readonly issuer: string
  readonly serialNumber: string
  readonly notBefore: Date
  readonly notAfter: Date
  readonly publicKey: KeyDescription | OtherKeyDescription
  first(type: string): string | undefined
}

/** What every certificate has and nothing can be judged without. */
function readCore(
  der: Uint8Array,
  fields: NonNullable<ReturnType<typeof certificateFields>>,
  element: (tlv: Tlv) => Uint8Array<ArrayBuffer>,
): Core {
  const serial = der.subarray(fields.serialNumber.contentStart, fields.serialNumber.end)
  if (serial.length === 0) throw new Error('the serial number is empty')
  // The single 00 octet DER puts before a value whose top bit is set is dropped, as openssl prints serials.
  const trimmed = serial.length > 1 && serial[0] === 0 && ((serial[1] ?? 0) & 0x80) !== 0 ? serial.subarray(1) : serial
  const subjectName = new x509.Name(element(fields.subject))
  const issuerName = new x509.Name(element(fields.issuer))
  const validity = AsnConvert.parse(element(fields.validity), Validity)
  return {
    subject: subjectName.toString(),
    issuer: issuerName.toString(),
    serialNumber: hex(trimmed),
    notBefore: validity.notBefore.getTime(),
    notAfter: validity.notAfter.getTime(),
    publicKey: describeSpki(element(fields.subjectPublicKeyInfo)),
    first: (type) => subjectName.getField(type)[0],
  }
}

/** The Extensions list; its outline must decode (OpenSSL refuses a certificate whose Extensions do not). */
function readExtensions(der: Uint8Array, field: Tlv | undefined, subject: string): Extension[] {
  if (field === undefined) return []
  const list = readTlv(der, field.contentStart, field.end)
  const items = list?.tag === 0x30 && list.end === field.end ? readChildren(der, list) : undefined
  if (items === undefined) throw malformed(`the certificate "${subject}" has an Extensions field that is not a SEQUENCE OF Extension`)
  return items.map((item) => {
    try {
      return AsnConvert.parse(der.slice(item.start, item.end), Extension)
    } catch (err) {
      throw malformed(`the certificate "${subject}" has an extension that is not an Extension (${reason(err)})`, err)
    }
  })
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
}

/** keyUsage is a BIT STRING whose bit 0 (the first octet's top bit) is digitalSignature. */
function keyUsageNames(value: Uint8Array): KeyUsageName[] {
  if (value[0] !== 0x03 || value[1] === undefined || value[1] + 2 !== value.length || value[1] === 0 || (value[2] ?? 8) > 7) {
    throw new Error('the keyUsage extension is not a DER BIT STRING')
  }
  const bits = value.subarray(3)
  return KEY_USAGES.filter((_, bit) => (((bits[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) === 1)
}

function uris(names: readonly GeneralName[]): string[] {
  return names.flatMap((name) => (name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier]))
}

function altName(name: GeneralName): SubjectAltName {
  if (name.rfc822Name !== undefined) return { type: 'email', value: name.rfc822Name }
  if (name.dNSName !== undefined) return { type: 'dns', value: name.dNSName }
  if (name.uniformResourceIdentifier !== undefined) return { type: 'uri', value: name.uniformResourceIdentifier }
  if (name.iPAddress !== undefined) return { type: 'ip', value: name.iPAddress }
  if (name.directoryName !== undefined)
    return { type: 'directoryName', value: new x509.Name(AsnConvert.serialize(name.directoryName)).toString() }
  if (name.registeredID !== undefined) return { type: 'registeredId', value: name.registeredID }
  return { type: 'other', value: name.otherName?.typeId ?? '' }
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex')
}

function describeSpki(spki: Uint8Array): KeyDescription | OtherKeyDescription {
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
