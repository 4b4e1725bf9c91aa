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
import { AlgorithmIdentifier, AuthorityKeyIdentifier, Extension, IssuingDistributionPoint, Time } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { SceauError } from '../errors.js'
import { describeCertificate, type CertificateInfo } from '../x509/describe.js'
import { derTime, oidText, readChildren, readTlv, readTlvInto, type Tlv } from '../x509/der.js'
import { pemToDer } from '../x509/pem.js'
import { sameName } from './chain.js'
import type { Check } from '../verdicts.js'
import { revocationReasonName, type RevocationReason } from './revocation-reason.js'

/** The CRLReason codes of RFC 5280 §5.3.1, by name. */
export type CrlReasonName = RevocationReason

/** One revoked certificate of a CRL. */
export interface CrlEntry {
  readonly revocationDate: Date
  /** The reasonCode entry extension; absent when the CRL gives none, or one RFC 5280 does not name. */
  readonly reason?: CrlReasonName
  /**
   * What the reasonCode said when RFC 5280 gives it no name: `code 7` (unused in RFC 5280 §5.3.1), `code 11`…, or
   * `a reasonCode that is not an ENUMERATED`. The certificate is revoked all the same, for an unknown reason.
   */
  readonly unrecognisedReason?: string
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

// Certificate extensions whose facts decide whether a CRL applies (describeCertificate lists those it cannot decode).
const KEY_USAGE = '2.5.29.15'
const BASIC_CONSTRAINTS = '2.5.29.19'
const CRL_DISTRIBUTION_POINTS = '2.5.29.31'

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
}

/** Where the fields of a CertificateList (RFC 5280 §5.1) lie in its DER. */
interface CrlLayout {
  readonly tbs: Tlv
  readonly algorithm: Tlv
  readonly signature: Tlv
  readonly issuer: Tlv
  readonly thisUpdate: Tlv
  readonly nextUpdate?: Tlv
  readonly revokedCertificates?: Tlv
  readonly crlExtensions?: Tlv
}

/**
 * Decodes a CRL from DER bytes or PEM text (`-----BEGIN X509 CRL-----`, as bytes or as a string).
 *
 * The revoked certificates are read by walking their DER, not through a general ASN.1 parser: such parsers build
 * several objects per element and cap the element count (asn1js stops at 10,000, about 2,000 entries), while French
 * CAs publish CRLs of tens of thousands of entries. The work is linear in the size, which
 * {@link MAX_CRL_BYTES} bounds; memory is one small object per entry.
 *
 * @throws SceauError `INPUT_TOO_LARGE` over {@link MAX_CRL_BYTES}; `INPUT_MALFORMED` when the bytes are not a DER
 * CertificateList (outline, issuer, dates, an entry's serial number or date). Extensions that cannot be decoded do
 * not throw: one that decides the CRL's scope makes it unusable (see {@link ParsedCrl.unsupported}), a reasonCode
 * RFC 5280 does not name is kept as {@link CrlEntry.unrecognisedReason}.
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
  const layout = crlLayout(der)
  const unsupported: string[] = []
  const entryProblems = new Set<string>()
  const extensions = crlExtensions(der, layout.crlExtensions)
  const facts = readCrlExtensions(extensions, unsupported)
  let issuer: string
  try {
    issuer = new x509.Name(Uint8Array.from(der.subarray(layout.issuer.start, layout.issuer.end))).toString()
  } catch (err) {
    throw malformed(`the CRL issuer is not a Name (${message(err)})`, err)
  }
  const thisUpdate = time(der, layout.thisUpdate, 'thisUpdate')
  const nextUpdate = layout.nextUpdate === undefined ? undefined : time(der, layout.nextUpdate, 'nextUpdate')
  const algorithm = readTlv(der, layout.algorithm.contentStart, layout.algorithm.end)
  const signatureAlgorithm = algorithm === undefined ? undefined : oidText(der, algorithm)
  if (signatureAlgorithm === undefined) throw malformed('the CRL signature algorithm has no OBJECT IDENTIFIER')
  return {
    der,
    issuer,
    thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    entries: readEntries(der, layout.revokedCertificates, entryProblems),
    ...facts,
    signatureAlgorithm,
    unsupported: [...new Set([...unsupported, ...entryProblems])],
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

/** The CertificateList outline: SEQUENCE { tbsCertList, signatureAlgorithm, BIT STRING }, and the fields of tbsCertList. */
function crlLayout(der: Uint8Array): CrlLayout {
  const outer = readTlv(der, 0)
  if (outer === undefined || outer.tag !== 0x30 || outer.end !== der.length) throw malformed('the bytes are not a DER CRL')
  const [tbs, algorithm, signature, ...rest] = readChildren(der, outer) ?? []
  if (tbs?.tag !== 0x30 || algorithm?.tag !== 0x30 || signature?.tag !== 0x03 || rest.length > 0) {
    throw malformed('the bytes are not a DER CRL (SEQUENCE { tbsCertList, signatureAlgorithm, BIT STRING } expected)')
  }
  if (der[signature.contentStart] !== 0) throw malformed('the CRL signature BIT STRING has unused bits')
  // The revoked certificates are the only large field: every other one is read as a whole, that one is not split
  // here (readChildren on it would make one object per entry before any is needed).
  const fields: Tlv[] = []
  for (let offset = tbs.contentStart; offset < tbs.end;) {
    const field = readTlv(der, offset, tbs.end)
    if (field === undefined) throw malformed('the tbsCertList is not DER')
    fields.push(field)
    offset = field.end
  }
  let index = fields[0]?.tag === 0x02 ? 1 : 0 // version, optional
  const take = (accept: (tag: number) => boolean): Tlv | undefined => {
    const field = fields[index]
    if (field === undefined || !accept(field.tag)) return undefined
    index++
    return field
  }
  const isTime = (tag: number): boolean => tag === 0x17 || tag === 0x18
  const signatureField = take((tag) => tag === 0x30)
  const issuer = take((tag) => tag === 0x30)
  const thisUpdate = take(isTime)
  if (signatureField === undefined || issuer === undefined || thisUpdate === undefined) {
    throw malformed('the bytes are not a DER CRL (tbsCertList { version, signature, issuer, thisUpdate, … } expected)')
  }
  const nextUpdate = take(isTime)
  const revokedCertificates = take((tag) => tag === 0x30)
  const crlExtensions = take((tag) => tag === 0xa0)
  if (index !== fields.length) throw malformed('the tbsCertList has fields RFC 5280 does not define')
  return {
    tbs,
    algorithm,
    signature,
    issuer,
    thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    ...(revokedCertificates === undefined ? {} : { revokedCertificates }),
    ...(crlExtensions === undefined ? {} : { crlExtensions }),
  }
}

/** The exact signed bytes, so that nothing is re-encoded before verification. */
function signedParts(der: Uint8Array): SignedParts {
  const layout = crlLayout(der)
  return {
    tbs: der.subarray(layout.tbs.start, layout.tbs.end),
    algorithm: der.subarray(layout.algorithm.start, layout.algorithm.end),
    signature: der.subarray(layout.signature.contentStart + 1, layout.signature.end),
  }
}

function time(der: Uint8Array, tlv: Tlv, what: string): Date {
  const strict = derTime(der, tlv)
  if (strict !== undefined) return strict
  // RFC 5280 wants seconds and Z; older issuers wrote other forms, which a general parser still reads.
  try {
    return AsnConvert.parse(Uint8Array.from(der.subarray(tlv.start, tlv.end)), Time).getTime()
  } catch (err) {
    throw malformed(`the CRL ${what} is not a time`, err)
  }
}

function crlExtensions(der: Uint8Array, field: Tlv | undefined): Extension[] {
  if (field === undefined) return []
  const list = readTlv(der, field.contentStart, field.end)
  const items = list?.tag === 0x30 && list.end === field.end ? readChildren(der, list) : undefined
  if (items === undefined) throw malformed('the crlExtensions are not a SEQUENCE OF Extension')
  return items.map((item) => {
    try {
      return AsnConvert.parse(Uint8Array.from(der.subarray(item.start, item.end)), Extension)
    } catch (err) {
      throw malformed(`a CRL extension is not an Extension (${message(err)})`, err)
    }
  })
}

type CrlFacts = Pick<ParsedCrl, 'crlNumber' | 'authorityKeyIdentifier' | 'expiredCertsOnCrl' | 'onlyContains' | 'distributionPoints'>

function readCrlExtensions(extensions: readonly Extension[], unsupported: string[]): CrlFacts {
  let crlNumber: string | undefined
  let authorityKeyIdentifier: string | undefined
  let expiredCertsOnCrl: Date | undefined
  let onlyContains: ParsedCrl['onlyContains']
  let distributionPoints: string[] = []
  for (const extension of extensions) {
    const value = new Uint8Array(extension.extnValue.buffer)
    // A value that does not decode is left out when nothing depends on it (the signature decides who issued the CRL;
    // expiredCertsOnCRL absent is the cautious reading) and makes the CRL unusable when it decides what it covers.
    try {
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
          if (idp.indirectCRL)
            unsupported.push('it is an indirect CRL (issuingDistributionPoint indirectCRL), which sceau does not support')
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
    } catch {
      if (extension.extnID === OID.issuingDistributionPoint || extension.critical)
        unsupported.push(`its extension ${extension.extnID} cannot be decoded, so what it covers is unknown`)
    }
  }
  return {
    ...(crlNumber === undefined ? {} : { crlNumber }),
    ...(authorityKeyIdentifier === undefined ? {} : { authorityKeyIdentifier }),
    ...(expiredCertsOnCrl === undefined ? {} : { expiredCertsOnCrl }),
    ...(onlyContains === undefined ? {} : { onlyContains }),
    distributionPoints,
  }
}

// The last content octet of the entry extensions' OIDs, all under id-ce 2.5.29 (content 55 1D xx, X.690 §8.19).
const ENTRY_OIDS = { reasonCode: 0x15, invalidityDate: 0x18, certificateIssuer: 0x1d } as const

/** What {@link readEntries} keeps of one entry's extensions. */
interface EntryFacts {
  reason?: CrlReasonName
  unrecognisedReason?: string
}

/**
 * revokedCertificates, walked entry by entry: SEQUENCE { userCertificate INTEGER, revocationDate Time,
 * crlEntryExtensions }. The walk reuses a few mutable element headers instead of allocating one per element: a CRL
 * of 600,000 entries has some five million elements, and only the entries are kept.
 */
function readEntries(der: Uint8Array, list: Tlv | undefined, unsupported: Set<string>): Map<string, CrlEntry> {
  const entries = new Map<string, CrlEntry>()
  if (list === undefined) return entries
  // One Buffer view for the whole CRL, so that each serial's hex is one string and no copy.
  const view = Buffer.from(der.buffer, der.byteOffset, der.byteLength)
  const entry = cursor()
  const serial = cursor()
  const date = cursor()
  const extensions = cursor()
  const facts: EntryFacts = {}
  for (let offset = list.contentStart; offset < list.end; offset = entry.end) {
    if (!readTlvInto(der, offset, list.end, entry) || entry.tag !== 0x30)
      throw malformed(`the CRL entry at byte ${offset} is not a SEQUENCE`)
    if (
      !readTlvInto(der, entry.contentStart, entry.end, serial) ||
      serial.tag !== 0x02 ||
      serial.end === serial.contentStart ||
      !readTlvInto(der, serial.end, entry.end, date) ||
      (date.tag !== 0x17 && date.tag !== 0x18)
    ) {
      throw malformed(`the CRL entry at byte ${offset} is not { serialNumber, revocationDate, … }`)
    }
    facts.reason = undefined
    facts.unrecognisedReason = undefined
    if (date.end < entry.end) {
      if (!readTlvInto(der, date.end, entry.end, extensions) || extensions.tag !== 0x30 || extensions.end !== entry.end) {
        throw malformed(`the CRL entry at byte ${offset} has fields RFC 5280 does not define`)
      }
      readEntryExtensions(der, extensions, unsupported, facts)
    }
    // The same normalisation as describeCertificate's serialNumber: less one leading 00 before a high bit.
    const padded =
      serial.end - serial.contentStart > 1 && der[serial.contentStart] === 0 && ((der[serial.contentStart + 1] ?? 0) & 0x80) !== 0
    const key = view.toString('hex', serial.contentStart + (padded ? 1 : 0), serial.end)
    // The first entry for a serial wins; a CRL listing one twice is the issuer's mistake, not a reason to refuse it.
    if (entries.has(key)) continue
    const revocationDate = time(der, date, 'revocationDate')
    entries.set(
      key,
      facts.reason !== undefined
        ? { revocationDate, reason: facts.reason }
        : facts.unrecognisedReason !== undefined
          ? { revocationDate, unrecognisedReason: facts.unrecognisedReason }
          : { revocationDate },
    )
  }
  return entries
}

function readEntryExtensions(der: Uint8Array, list: Tlv, unsupported: Set<string>, facts: EntryFacts): void {
  const extension = cursor()
  const id = cursor()
  const next = cursor()
  const code = cursor()
  for (let offset = list.contentStart; offset < list.end; offset = extension.end) {
    if (!readTlvInto(der, offset, list.end, extension) || extension.tag !== 0x30) {
      throw malformed(`a CRL entry extension at byte ${offset} is not a SEQUENCE`)
    }
    let critical = false
    let ok = readTlvInto(der, extension.contentStart, extension.end, id) && id.tag === 0x06 && readTlvInto(der, id.end, extension.end, next)
    if (ok && next.tag === 0x01) {
      critical = der[next.contentStart] !== 0
      ok = readTlvInto(der, next.end, extension.end, next)
    }
    if (!ok || next.tag !== 0x04 || next.end !== extension.end) {
      throw malformed(`a CRL entry extension at byte ${offset} is not { extnID, critical, extnValue }`)
    }
    const idCe = id.end - id.contentStart === 3 && der[id.contentStart] === 0x55 && der[id.contentStart + 1] === 0x1d
    const last = idCe ? der[id.contentStart + 2] : undefined
    if (last === ENTRY_OIDS.reasonCode) {
      const value =
        readTlvInto(der, next.contentStart, next.end, code) &&
        code.tag === 0x0a &&
        code.end === next.end &&
        code.end - code.contentStart === 1
          ? der[code.contentStart]
          : undefined
      const name = value === undefined ? undefined : revocationReasonName(value)
      // RFC 5280 §5.3.1 lists the codes; one it does not name (7 is unused) still leaves the certificate revoked.
      facts.reason = name
      facts.unrecognisedReason =
        name !== undefined ? undefined : value === undefined ? 'a reasonCode that is not a one-octet ENUMERATED' : `code ${value}`
    } else if (last === ENTRY_OIDS.certificateIssuer) {
      unsupported.add('an entry names another certificate issuer (indirect CRL), which sceau does not support')
    } else if (critical && last !== ENTRY_OIDS.invalidityDate) {
      unsupported.add(`an entry has the critical extension ${oidText(der, id) ?? 'that is not an OID'}, which sceau does not process`)
    }
  }
}

type Cursor = Parameters<typeof readTlvInto>[3]

function cursor(): Cursor {
  return { tag: 0, start: 0, contentStart: 0, end: 0 }
}

function integerContent(value: Uint8Array): Uint8Array {
  const tlv = readTlv(value, 0)
  if (tlv === undefined || tlv.tag !== 0x02) throw malformed('the cRLNumber is not an INTEGER')
  return value.subarray(tlv.contentStart, tlv.end)
}

function generalizedTime(value: Uint8Array): Date {
  const tlv = readTlv(value, 0)
  const date = tlv?.tag === 0x18 && tlv.end === value.length ? derTime(value, tlv) : undefined
  if (date === undefined) throw malformed('the expiredCertsOnCRL extension is not a GeneralizedTime')
  return date
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
 * Then: listed with a revocation date on or before `at` → `fail` REVOKED (reason and date given; a reason code
 * RFC 5280 does not name, such as 7, is a revocation for an unknown reason), or `indeterminate` REVOKED_CA_NO_POE
 * for a CA; listed as certificateHold → `indeterminate` TRY_LATER (a suspension may be lifted); listed after `at`
 * → `pass` with that noted; not listed → `pass`, unless the certificate expired before the CRL was issued and the
 * CRL does not keep expired certificates (`indeterminate`), or the CRL has no nextUpdate (`warning`). Of several
 * usable CRLs a revocation wins, else the most recent that says something. No CRL from the issuer →
 * `indeterminate` ("no CRL from 'CN=…'"). Facts of the certificates that cannot be decoded (the CA's keyUsage, the
 * certificate's basicConstraints or cRLDistributionPoints, when the CRL's scope depends on them) make the CRL
 * unusable, with the reason.
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
  const verdicts: (Judged & { issued: number })[] = []
  for (const crl of fromIssuer) {
    const problem = unusable(crl, cert, ca, caKey, at)
    if (problem === undefined) verdicts.push({ ...verdict(crl, cert, at, result), issued: crl.thisUpdate.getTime() })
    else problems.push(`the CRL issued ${crl.thisUpdate.toISOString()} cannot be used: ${problem}`)
  }
  // A revocation is final (RFC 5280 §3.3: only a hold may be lifted): any CRL that shows one decides.
  const revoked = verdicts.find(({ revoked }) => revoked)
  if (revoked !== undefined) return revoked.check
  // Otherwise a CRL that concludes beats one that does not, and the most recent is the best evidence (a hold may
  // have been lifted, or placed, since an older one).
  const best = [...verdicts].sort((a, b) => Number(!a.concludes) - Number(!b.concludes) || b.issued - a.issued)[0]
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
  if (ca.undecodable.includes(KEY_USAGE)) return `the keyUsage of '${ca.subject}' cannot be decoded, so whether it may sign CRLs is unknown`
  if (ca.keyUsage.length > 0 && !ca.keyUsage.includes('cRLSign')) return `the keyUsage of '${ca.subject}' lacks cRLSign`
  const signature = checkSignature(crl, caKey)
  if (signature !== undefined) return signature
  if (crl.onlyContains !== undefined && cert.undecodable.includes(BASIC_CONSTRAINTS)) {
    return `it covers ${crl.onlyContains === 'caCerts' ? 'CA' : 'end-entity'} certificates only, and whether this one is a CA is unknown (its basicConstraints cannot be decoded)`
  }
  if (crl.onlyContains === 'userCerts' && cert.isCA) return 'it covers end-entity certificates only, and this is a CA certificate'
  if (crl.onlyContains === 'caCerts' && !cert.isCA) return 'it covers CA certificates only, and this is an end-entity certificate'
  if (crl.distributionPoints.length > 0 && cert.undecodable.includes(CRL_DISTRIBUTION_POINTS)) {
    return `it covers the distribution point ${crl.distributionPoints.join(', ')}, and the certificate's cRLDistributionPoints cannot be decoded`
  }
  if (crl.distributionPoints.length > 0 && !crl.distributionPoints.some((url) => cert.crlDistributionPoints.includes(url))) {
    return `it covers the distribution point ${crl.distributionPoints.join(', ')}, which the certificate does not name`
  }
  if (crl.nextUpdate !== undefined && at.getTime() > crl.nextUpdate.getTime()) {
    return `it is stale: its next update was due on ${crl.nextUpdate.toISOString()}, and the status is wanted at ${at.toISOString()}`
  }
  return undefined
}

function checkSignature(crl: ParsedCrl, key: KeyObject): string | undefined {
  const parts = signedParts(crl.der)
  let ok: boolean
  try {
    const algorithm = crl.signatureAlgorithm
    if (algorithm === OID.rsaPss) {
      const params = AsnConvert.parse(Uint8Array.from(parts.algorithm), AlgorithmIdentifier).parameters
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

type CrlResult = (status: 'pass' | 'warning' | 'indeterminate' | 'revoked' | 'held', reason: string) => Check

/** A CRL's answer for one certificate, with what {@link checkCrl} needs to weigh it against other CRLs' answers. */
interface Judged {
  readonly check: Check
  /** The certificate is revoked for good (not merely on hold). */
  readonly revoked: boolean
  /** The CRL says something about the certificate's status at the date: listed, on hold, or not listed. */
  readonly concludes: boolean
}

/**
 * The check a CRL gives for `cert`. No usable CRL leaves revocation undecided until one comes (TRY_LATER); a revoked
 * end-entity fails (REVOKED: the caller decides whether the signing time is proven, see
 * validation/certificate-check.ts); a revoked CA leaves the chain undecided (EN 319 102-1, REVOKED_CA_NO_POE); a
 * certificate on hold is undecided until the hold is lifted or made a revocation (EN 319 102-1 §5.2.6, TRY_LATER, as
 * DSS's CertificateNotOnHoldCheck). A certificate whose basicConstraints cannot be read may be a CA: revoked, it is
 * judged as one.
 */
function crlResult(cert: CertificateInfo): CrlResult {
  const id = 'revocation.crl'
  const subject = cert.subject
  const mayBeCA = cert.isCA || cert.undecodable.includes(BASIC_CONSTRAINTS)
  return (status, reason) =>
    status === 'revoked'
      ? mayBeCA
        ? { id, status: 'indeterminate', subIndication: 'REVOKED_CA_NO_POE', reason, subject }
        : { id, status: 'fail', subIndication: 'REVOKED', reason, subject }
      : status === 'indeterminate' || status === 'held'
        ? { id, status: 'indeterminate', subIndication: 'TRY_LATER', reason, subject }
        : { id, status, reason, subject }
}

function verdict(crl: ParsedCrl, cert: CertificateInfo, at: Date, result: CrlResult): Judged {
  const source = `the CRL of '${crl.issuer}' issued ${crl.thisUpdate.toISOString()}`
  const entry = crl.entries.get(cert.serialNumber)
  // removeFromCRL only means something in a delta CRL, which sceau refuses; in a full CRL it un-lists the entry.
  if (entry !== undefined && entry.reason !== 'removeFromCRL') {
    const date = entry.revocationDate.toISOString()
    const why =
      entry.reason !== undefined
        ? ` (${entry.reason})`
        : entry.unrecognisedReason !== undefined
          ? ` (reason unknown: ${entry.unrecognisedReason}, which RFC 5280 §5.3.1 does not define)`
          : ''
    if (entry.revocationDate.getTime() <= at.getTime()) {
      if (entry.reason === 'certificateHold') {
        const reason = `suspended (on hold) since ${date}, according to ${source}: undecided until the hold is lifted or the certificate revoked`
        return { check: result('held', reason), revoked: false, concludes: true }
      }
      return { check: result('revoked', `revoked on ${date}${why}, according to ${source}`), revoked: true, concludes: true }
    }
    const later = `not revoked at ${at.toISOString()}: ${entry.reason === 'certificateHold' ? 'put on hold' : 'revoked'} later, on ${date}${why}, according to ${source}`
    return { check: result('pass', later), revoked: false, concludes: true }
  }
  const expiredBefore = cert.notAfter.getTime() < crl.thisUpdate.getTime()
  const keepsExpired = crl.expiredCertsOnCrl !== undefined && crl.expiredCertsOnCrl.getTime() <= cert.notAfter.getTime()
  if (expiredBefore && !keepsExpired) {
    const reason = `not on ${source}, but the certificate expired on ${cert.notAfter.toISOString()}, before that CRL, which does not say it keeps expired certificates (expiredCertsOnCRL): its absence proves nothing`
    return { check: result('indeterminate', reason), revoked: false, concludes: false }
  }
  if (crl.nextUpdate === undefined) {
    const reason = `not revoked: not on ${source}; that CRL has no nextUpdate, so its freshness cannot be judged`
    return { check: result('warning', reason), revoked: false, concludes: true }
  }
  return {
    check: result('pass', `not revoked: not on ${source} (next update ${crl.nextUpdate.toISOString()})`),
    revoked: false,
    concludes: true,
  }
}

function malformed(text: string, cause?: unknown): SceauError {
  return new SceauError('INPUT_MALFORMED', text, cause === undefined ? {} : { cause })
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
