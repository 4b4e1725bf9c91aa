/**
 * Certificate revocation lists (RFC 5280 §5): reading one, and judging a certificate's revocation status at a date
 * from the CRLs at hand. Full, direct CRLs only: delta CRLs, indirect CRLs and CRLs partitioned by reason are
 * recognised and reported as unsupported rather than misread.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { constants, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { RsaSaPssParams } from '@peculiar/asn1-rsa'
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  CertificateList,
  CRLReason,
  IssuingDistributionPoint,
  type Extension,
} from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { SceauError } from '../errors.js'
import { describeCertificate, type CertificateInfo } from '../x509/describe.js'
import { readChildren, readTlv } from '../x509/der.js'
import { pemToDer } from '../x509/pem.js'
import { sameName } from './chain.js'
import type { Check } from '../verdicts.js'
import { revocationReasonName, type RevocationReason } from './revocation-reason.js'

/** The CRLReason codes of RFC 5280 §5.3.1, by name. */
export type CrlReasonName = RevocationReason

/** One revoked certificate of a CRL. */
export interface CrlEntry {
  readonly revocationDate: Date
  /** The reasonCode entry extension; absent when the CRL gives none. */
  readonly reason?: CrlReasonName
}

/** What a CRL says, decoded. */
export interface ParsedCrl {
  /** The CRL, DER. */
  readonly der: Uint8Array
  /** Issuer DN, in the format of {@link CertificateInfo.subject}. */
  readonly issuer: string
  readonly thisUpdate: Date
  readonly nextUpdate?: Date
  /**
   * Revoked certificates by serial number in lower-case hex, normalised as {@link CertificateInfo.serialNumber}
   * (content octets less DER's single leading 00), so `entries.get(describeCertificate(der).serialNumber)` finds one.
   */
  readonly entries: ReadonlyMap<string, CrlEntry>
  /** cRLNumber, in decimal. */
  readonly crlNumber?: string
  /** authorityKeyIdentifier keyIdentifier, lower-case hex. */
  readonly authorityKeyIdentifier?: string
  /** OID of the signature algorithm. */
  readonly signatureAlgorithm: string
  /** expiredCertsOnCRL (2.5.29.60): the CRL keeps entries of certificates that expired on or after this date. */
  readonly expiredCertsOnCrl?: Date
  /** From issuingDistributionPoint: the CRL covers only end-entity certificates, or only CA certificates. */
  readonly onlyContains?: 'userCerts' | 'caCerts'
  /** From issuingDistributionPoint: the URIs of the one distribution point this CRL covers. */
  readonly distributionPoints: readonly string[]
  /** Why sceau cannot use this CRL (delta, indirect, reason-partitioned, unknown critical extension); empty when it can. */
  readonly unsupported: readonly string[]
}

/** Options of {@link checkCrl}. */
export interface CheckCrlOptions {
  /** The date the status is wanted at (signing time, or now). */
  readonly at: Date
}

/** Larger than any real CRL (the biggest French CA CRLs are a few MB); refuses memory exhaustion by a hostile file. */
export const MAX_CRL_BYTES = 50 * 1024 * 1024

const OID = {
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  authorityKeyIdentifier: '2.5.29.35',
  freshestCrl: '2.5.29.46',
  expiredCertsOnCrl: '2.5.29.60',
  issuerAltName: '2.5.29.18',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  invalidityDate: '2.5.29.24',
  rsaPss: '1.2.840.113549.1.1.10',
} as const

// Extensions that change nothing about which certificates the CRL covers or how to read its entries.
const HARMLESS_CRL_EXTENSIONS = new Set<string>([OID.freshestCrl, OID.issuerAltName, OID.authorityInfoAccess])

const HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
}

const DIGESTS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

interface SignedParts {
  readonly tbs: Uint8Array
  readonly algorithm: Uint8Array
  readonly signature: Uint8Array
  readonly issuer: Uint8Array
}

/**
 * Decodes a CRL from DER bytes or PEM text (`-----BEGIN X509 CRL-----`, as bytes or as a string).
 *
 * @throws SceauError `INPUT_TOO_LARGE` over {@link MAX_CRL_BYTES}; `INPUT_MALFORMED` when the bytes are not a DER
 * CertificateList or an entry or extension cannot be decoded.
 *
 * @example
 * ```ts
 * const crl = parseCrl(readFileSync('ac_personnes_aae_3.crl'))
 * console.log(crl.issuer, crl.nextUpdate?.toISOString(), crl.entries.size)
 * ```
 */
export function parseCrl(input: Uint8Array | string): ParsedCrl {
  const size = typeof input === 'string' ? input.length : input.byteLength
  if (size > MAX_CRL_BYTES) {
    throw new SceauError('INPUT_TOO_LARGE', `the CRL is ${size} bytes, more than the ${MAX_CRL_BYTES} sceau accepts`, {
      details: { size, limit: MAX_CRL_BYTES },
    })
  }
  const der = toDer(input)
  const parts = split(der)
  let list: CertificateList
  try {
    list = AsnConvert.parse(der, CertificateList)
  } catch (err) {
    throw malformed(`the bytes are not a DER CRL (${message(err)})`, err)
  }
  try {
    return decode(der, list, parts)
  } catch (err) {
    if (err instanceof SceauError) throw err
    throw malformed(`the CRL cannot be decoded (${message(err)})`, err)
  }
}

function toDer(input: Uint8Array | string): Uint8Array {
  const text = typeof input === 'string' ? input : looksLikePem(input) ? Buffer.from(input).toString('latin1') : undefined
  if (text === undefined) return input as Uint8Array
  const [first] = pemToDer(text, { label: 'X509 CRL' })
  if (first === undefined) throw malformed('the PEM text has no "X509 CRL" block')
  return first
}

function looksLikePem(bytes: Uint8Array): boolean {
  let index = 0
  while (index < bytes.length && (bytes[index] === 0x20 || bytes[index] === 0x0a || bytes[index] === 0x0d || bytes[index] === 0x09)) index++
  return bytes[index] === 0x2d // '-'
}

/** The exact signed bytes, read with the DER walker so that nothing is re-encoded before verification. */
function split(der: Uint8Array): SignedParts {
  const outer = readTlv(der, 0)
  if (outer === undefined || outer.tag !== 0x30 || outer.end !== der.length) throw malformed('the bytes are not a DER CRL')
  const [tbs, algorithm, signature, ...rest] = readChildren(der, outer) ?? []
  if (tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03 || rest.length > 0) {
    throw malformed('the bytes are not a DER CRL (SEQUENCE { tbsCertList, signatureAlgorithm, BIT STRING } expected)')
  }
  const fields = readChildren(der, tbs) ?? []
  // version is an optional plain INTEGER in a TBSCertList; then the signature algorithm and the issuer Name.
  const issuer = fields[fields[0]?.tag === 0x02 ? 2 : 1]
  if (issuer?.tag !== 0x30) throw malformed('the CRL has no issuer name')
  if (der[signature.contentStart] !== 0) throw malformed('the CRL signature BIT STRING has unused bits')
  return {
    tbs: der.subarray(tbs.start, tbs.end),
    algorithm: der.subarray(algorithm.start, algorithm.end),
    signature: der.subarray(signature.contentStart + 1, signature.end),
    issuer: der.subarray(issuer.start, issuer.end),
  }
}

function decode(der: Uint8Array, list: CertificateList, parts: SignedParts): ParsedCrl {
  const tbs = list.tbsCertList
  const unsupported: string[] = []
  let crlNumber: string | undefined
  let authorityKeyIdentifier: string | undefined
  let expiredCertsOnCrl: Date | undefined
  let onlyContains: ParsedCrl['onlyContains']
  let distributionPoints: string[] = []
  for (const extension of tbs.crlExtensions ?? []) {
    const value = new Uint8Array(extension.extnValue.buffer)
    switch (extension.extnID) {
      case OID.crlNumber:
        crlNumber = BigInt(`0x${Buffer.from(integerContent(value)).toString('hex') || '0'}`).toString(10)
        break
      case OID.authorityKeyIdentifier: {
        const keyId = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier
        if (keyId !== undefined) authorityKeyIdentifier = Buffer.from(keyId.buffer).toString('hex')
        break
      }
      case OID.deltaCrlIndicator:
        unsupported.push('it is a delta CRL (deltaCRLIndicator), and sceau reads full CRLs only')
        break
      case OID.expiredCertsOnCrl:
        expiredCertsOnCrl = generalizedTime(value)
        break
      case OID.issuingDistributionPoint: {
        const idp = AsnConvert.parse(value, IssuingDistributionPoint)
        if (idp.indirectCRL) unsupported.push('it is an indirect CRL (issuingDistributionPoint indirectCRL), which sceau does not support')
        if (idp.onlySomeReasons !== undefined)
          unsupported.push('it covers only some revocation reasons (onlySomeReasons), which sceau does not support')
        if (idp.onlyContainsAttributeCerts) unsupported.push('it covers attribute certificates only')
        if (idp.onlyContainsUserCerts) onlyContains = 'userCerts'
        if (idp.onlyContainsCACerts) onlyContains = 'caCerts'
        distributionPoints = (idp.distributionPoint?.fullName ?? []).flatMap((name) =>
          name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier],
        )
        if (idp.distributionPoint?.nameRelativeToCRLIssuer !== undefined)
          unsupported.push('its distribution point is named relative to the issuer, which sceau does not support')
        break
      }
      default:
        if (extension.critical && !HARMLESS_CRL_EXTENSIONS.has(extension.extnID))
          unsupported.push(`it has the critical extension ${extension.extnID}, which sceau does not process`)
    }
  }

  const entries = new Map<string, CrlEntry>()
  for (const revoked of tbs.revokedCertificates ?? []) {
    const reason = entryReason(revoked.crlEntryExtensions ?? [], unsupported)
    const serial = serialHex(new Uint8Array(revoked.userCertificate))
    if (!entries.has(serial))
      entries.set(serial, { revocationDate: revoked.revocationDate.getTime(), ...(reason === undefined ? {} : { reason }) })
  }

  const nextUpdate = tbs.nextUpdate?.getTime()
  return {
    der,
    issuer: new x509.Name(Uint8Array.from(parts.issuer)).toString(),
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    entries,
    ...(crlNumber === undefined ? {} : { crlNumber }),
    ...(authorityKeyIdentifier === undefined ? {} : { authorityKeyIdentifier }),
    signatureAlgorithm: list.signatureAlgorithm.algorithm,
    ...(expiredCertsOnCrl === undefined ? {} : { expiredCertsOnCrl }),
    ...(onlyContains === undefined ? {} : { onlyContains }),
    distributionPoints,
    unsupported: [...new Set(unsupported)],
  }
}

function entryReason(extensions: readonly Extension[], unsupported: string[]): CrlReasonName | undefined {
  let reason: CrlReasonName | undefined
  for (const extension of extensions) {
    if (extension.extnID === OID.reasonCode) {
      const code = AsnConvert.parse(extension.extnValue.buffer, CRLReason).reason
      const name = revocationReasonName(code)
      if (name === undefined) throw malformed(`a CRL entry has the unknown reason code ${code}`)
      reason = name
    } else if (extension.extnID === OID.certificateIssuer) {
      unsupported.push('an entry names another certificate issuer (indirect CRL), which sceau does not support')
    } else if (extension.critical && extension.extnID !== OID.invalidityDate) {
      unsupported.push(`an entry has the critical extension ${extension.extnID}, which sceau does not process`)
    }
  }
  return reason
}

/** The same normalisation as describeCertificate's serialNumber: DER content octets less one leading 00 before a high bit. */
function serialHex(content: Uint8Array): string {
  const trimmed = content.length > 1 && content[0] === 0 && ((content[1] ?? 0) & 0x80) !== 0 ? content.subarray(1) : content
  return Buffer.from(trimmed).toString('hex')
}

function integerContent(value: Uint8Array): Uint8Array {
  const tlv = readTlv(value, 0)
  if (tlv === undefined || tlv.tag !== 0x02) throw malformed('the cRLNumber is not an INTEGER')
  return value.subarray(tlv.contentStart, tlv.end)
}

function generalizedTime(value: Uint8Array): Date {
  const tlv = readTlv(value, 0)
  const text = tlv?.tag === 0x18 ? Buffer.from(value.subarray(tlv.contentStart, tlv.end)).toString('latin1') : ''
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text)
  if (match === null) throw malformed('the expiredCertsOnCRL extension is not a GeneralizedTime')
  const [, year, month, day, hour, minute, second] = match.map(Number)
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0))
}

/**
 * Judges the revocation status of `certificate` at `options.at` from the CRLs of its `issuer`, as one check
 * `revocation.crl`.
 *
 * A CRL is used when its issuer name is the issuer's subject, its authorityKeyIdentifier (if any) is the issuer's
 * key, its signature verifies with the issuer's key, it covers the certificate (issuingDistributionPoint scope) and
 * it is fresh: `at` is not after its nextUpdate. A CRL issued after `at` is used too: revocation is final (eIDAS
 * art. 28(4)), and revocation evidence produced after the signing time is what DSS asks for. A CRL that fails any
 * of these is unusable, as in DSS, so it makes the result `indeterminate` with the reason, never `fail`.
 *
 * Then: listed with a revocation date on or before `at` → `fail` (reason and date given; certificateHold
 * included, as suspension counts as not valid); listed after `at` → `pass` with that noted; not listed → `pass`,
 * unless the certificate expired before the CRL was issued and the CRL does not keep expired certificates
 * (`indeterminate`), or the CRL has no nextUpdate (`warning`). Of several usable CRLs a revocation wins, else
 * the most recent. No CRL from the issuer → `indeterminate` ("no CRL from 'CN=…'").
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when a certificate cannot be decoded; `INPUT_MALFORMED` /
 * `INPUT_TOO_LARGE` from {@link parseCrl} for CRLs given as bytes; `USAGE` when `at` is not a valid date.
 *
 * @example
 * ```ts
 * const check = checkCrl(signer.certificate, issuerDer, [readFileSync('ac.crl')], { at: signingTime })
 * if (check.status !== 'pass') console.log(check.reason) // "revoked on 2025-01-02T10:00:00.000Z (keyCompromise), …"
 * ```
 */
export function checkCrl(
  certificate: Uint8Array,
  issuer: Uint8Array,
  crls: readonly (Uint8Array | ParsedCrl)[],
  options: CheckCrlOptions,
): Check {
  const { at } = options
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new SceauError('USAGE', 'checkCrl needs a valid `at` date')
  const cert = describeCertificate(certificate)
  const ca = describeCertificate(issuer)
  const result = crlResult(cert)
  if (!sameName(cert.issuer, ca.subject)) {
    return result('indeterminate', `'${ca.subject}' is not the issuer of this certificate, whose issuer is '${cert.issuer}'`)
  }
  const fromIssuer = crls.map((crl) => (crl instanceof Uint8Array ? parseCrl(crl) : crl)).filter((crl) => sameName(crl.issuer, ca.subject))
  if (fromIssuer.length === 0) return result('indeterminate', `no CRL from '${ca.subject}'`)

  let caKey: KeyObject
  try {
    caKey = new X509Certificate(issuer).publicKey
  } catch (err) {
    throw new SceauError('CERTIFICATE_MALFORMED', `the public key of "${ca.subject}" cannot be read by OpenSSL`, { cause: err })
  }
  const problems: string[] = []
  const verdicts: { check: Check; issued: number }[] = []
  for (const crl of fromIssuer) {
    const problem = unusable(crl, cert, ca, caKey, at)
    if (problem === undefined) verdicts.push({ check: verdict(crl, cert, at, result), issued: crl.thisUpdate.getTime() })
    else problems.push(`the CRL issued ${crl.thisUpdate.toISOString()} cannot be used: ${problem}`)
  }
  const revoked = verdicts.find(({ check }) => check.status === 'fail' || check.subIndication === 'REVOKED_CA_NO_POE')
  if (revoked !== undefined) return revoked.check
  // Otherwise a CRL that concludes beats one that does not, and the most recent is the best evidence.
  const best = [...verdicts].sort((a, b) => Number(a.check.status !== 'pass') - Number(b.check.status !== 'pass') || b.issued - a.issued)[0]
  if (best !== undefined) return best.check
  return result('indeterminate', `no usable CRL from '${ca.subject}': ${problems.join('; ')}`)
}

function unusable(crl: ParsedCrl, cert: CertificateInfo, ca: CertificateInfo, caKey: KeyObject, at: Date): string | undefined {
  if (crl.unsupported.length > 0) return crl.unsupported.join('; ')
  if (
    crl.authorityKeyIdentifier !== undefined &&
    ca.subjectKeyIdentifier !== undefined &&
    crl.authorityKeyIdentifier !== ca.subjectKeyIdentifier
  ) {
    return `it was signed by another key of '${ca.subject}' (authorityKeyIdentifier ${crl.authorityKeyIdentifier}, the issuer's key is ${ca.subjectKeyIdentifier})`
  }
  if (ca.keyUsage.length > 0 && !ca.keyUsage.includes('cRLSign')) return `the keyUsage of '${ca.subject}' lacks cRLSign`
  const signature = checkSignature(crl, caKey)
  if (signature !== undefined) return signature
  if (crl.onlyContains === 'userCerts' && cert.isCA) return 'it covers end-entity certificates only, and this is a CA certificate'
  if (crl.onlyContains === 'caCerts' && !cert.isCA) return 'it covers CA certificates only, and this is an end-entity certificate'
  if (crl.distributionPoints.length > 0 && !crl.distributionPoints.some((url) => cert.crlDistributionPoints.includes(url))) {
    return `it covers the distribution point ${crl.distributionPoints.join(', ')}, which the certificate does not name`
  }
  if (crl.nextUpdate !== undefined && at.getTime() > crl.nextUpdate.getTime()) {
    return `it is stale: its next update was due on ${crl.nextUpdate.toISOString()}, and the status is wanted at ${at.toISOString()}`
  }
  return undefined
}

function checkSignature(crl: ParsedCrl, key: KeyObject): string | undefined {
  const parts = split(crl.der)
  let ok: boolean
  try {
    const algorithm = crl.signatureAlgorithm
    if (algorithm === OID.rsaPss) {
      const list = AsnConvert.parse(crl.der, CertificateList)
      const params = list.signatureAlgorithm.parameters
      const pss = params ? AsnConvert.parse(params, RsaSaPssParams) : new RsaSaPssParams()
      const hash = DIGESTS[pss.hashAlgorithm.algorithm]
      const mgfHash = pss.maskGenAlgorithm.parameters ? AsnConvert.parse(pss.maskGenAlgorithm.parameters, AlgorithmIdentifier) : undefined
      if (hash === undefined || (mgfHash !== undefined && DIGESTS[mgfHash.algorithm] !== hash)) {
        return 'its RSA-PSS parameters are not supported'
      }
      ok = verifySignature(hash, parts.tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, parts.signature)
    } else {
      const hash = HASHES[algorithm]
      if (hash === undefined) return `its signature algorithm ${algorithm} is not supported`
      ok = verifySignature(hash, parts.tbs, key, parts.signature)
    }
  } catch (err) {
    return `its signature cannot be checked (${message(err)})`
  }
  return ok ? undefined : `its signature does not verify with the key of '${crl.issuer}'`
}

type CrlResult = (status: 'pass' | 'warning' | 'indeterminate' | 'revoked', reason: string) => Check

/**
 * The check a CRL gives for `cert`. No usable CRL leaves revocation undecided until one comes (TRY_LATER); a revoked
 * end-entity fails (REVOKED: the caller decides whether the signing time is proven, see
 * validation/certificate-check.ts); a revoked CA leaves the chain undecided (EN 319 102-1, REVOKED_CA_NO_POE).
 */
function crlResult(cert: CertificateInfo): CrlResult {
  const id = 'revocation.crl'
  const subject = cert.subject
  return (status, reason) =>
    status === 'revoked'
      ? cert.isCA
        ? { id, status: 'indeterminate', subIndication: 'REVOKED_CA_NO_POE', reason, subject }
        : { id, status: 'fail', subIndication: 'REVOKED', reason, subject }
      : status === 'indeterminate'
        ? { id, status, subIndication: 'TRY_LATER', reason, subject }
        : { id, status, reason, subject }
}

function verdict(crl: ParsedCrl, cert: CertificateInfo, at: Date, result: CrlResult): Check {
  const source = `the CRL of '${crl.issuer}' issued ${crl.thisUpdate.toISOString()}`
  const entry = crl.entries.get(cert.serialNumber)
  // removeFromCRL only means something in a delta CRL, which sceau refuses; in a full CRL it un-lists the entry.
  if (entry !== undefined && entry.reason !== 'removeFromCRL') {
    const date = entry.revocationDate.toISOString()
    const why = entry.reason === undefined ? '' : ` (${entry.reason})`
    if (entry.revocationDate.getTime() <= at.getTime()) {
      const what = entry.reason === 'certificateHold' ? 'suspended (on hold) since' : 'revoked on'
      return result('revoked', `${what} ${date}${why}, according to ${source}`)
    }
    return result('pass', `not revoked at ${at.toISOString()}: revoked later, on ${date}${why}, according to ${source}`)
  }
  const expiredBefore = cert.notAfter.getTime() < crl.thisUpdate.getTime()
  const keepsExpired = crl.expiredCertsOnCrl !== undefined && crl.expiredCertsOnCrl.getTime() <= cert.notAfter.getTime()
  if (expiredBefore && !keepsExpired) {
    return result(
      'indeterminate',
      `not on ${source}, but the certificate expired on ${cert.notAfter.toISOString()}, before that CRL, which does not say it keeps expired certificates (expiredCertsOnCRL): its absence proves nothing`,
    )
  }
  if (crl.nextUpdate === undefined) {
    return result('warning', `not revoked: not on ${source}; that CRL has no nextUpdate, so its freshness cannot be judged`)
  }
  return result('pass', `not revoked: not on ${source} (next update ${crl.nextUpdate.toISOString()})`)
}

function malformed(text: string, cause?: unknown): SceauError {
  return new SceauError('INPUT_MALFORMED', text, cause === undefined ? {} : { cause })
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
