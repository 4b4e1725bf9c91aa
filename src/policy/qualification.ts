/**
 * The eIDAS qualification of a certificate, the way EU DSS decides it (shared research rgs-eidas.md §4, §5):
 * first what the certificate says of itself (QcCompliance, QcSSCD, QcType, ETSI policy OIDs), then what the
 * trusted-list service that issued it says, at the certificate's issuance and at the validation date.
 *
 * @packageDocumentation
 */

import type { Check } from '../verdicts.js'
import { findServicesForCertificate, type ServiceMatch } from './trusted-list/find.js'
import { matchesCriteria } from './trusted-list/criteria.js'
import { serviceStatusAt } from './trusted-list/status.js'
import type { ServiceStatusEntry, TrustedList } from './trusted-list/types.js'
import { ADDITIONAL_SERVICE_INFO, QUALIFIERS, SERVICE_STATUSES, SERVICE_TYPES } from './trusted-list/uris.js'
import { describeCertificate, type CertificateInfo } from '../x509/describe.js'

/** What a certificate is qualified for, with DSS's `CertificateQualification` values less the "not QC" variants. */
export type Qualification = 'QC_FOR_ESIG_QSCD' | 'QC_FOR_ESIG' | 'QC_FOR_ESEAL_QSCD' | 'QC_FOR_ESEAL' | 'QC_FOR_WSA' | 'NOT_QUALIFIED'

/** The outcome of {@link qualifyCertificate}. */
export interface QualificationResult {
  /** At the validation date: what profiles use. */
  readonly qualification: Qualification
  /** At the certificate's notBefore. */
  readonly atIssuance: Qualification
  /** `certificate` when no trusted list was given or no service of the lists issued the certificate. */
  readonly source: 'trusted-list' | 'certificate'
  readonly trustedListConsulted: boolean
  /** The trust service that issued the certificate, when one did. */
  readonly service?: {
    readonly provider: string
    readonly name: string
    readonly territory: string
    /** Status URI in force at the certificate's notBefore. */
    readonly statusAtIssuance?: string
    /** Status URI in force at the validation date. */
    readonly statusAtValidation?: string
  }
  /**
   * `qualification.qcCompliance`, `qualification.qscd`, `qualification.type` (about the result at the
   * validation date), `qualification.tl.service`, `qualification.tl.status`, `qualification.tl.criteria` (when
   * the facts the trusted list selects by cannot be decoded). All `pass` or `warning`: a profile decides.
   */
  readonly checks: Check[]
}

/** Options of {@link qualifyCertificate}. */
export interface QualifyOptions {
  /** Parsed national trusted lists (`parseTrustedList`); none means judging from the certificate alone. */
  readonly trustedLists?: readonly TrustedList[]
  /** The validation date (signing time, or now). */
  readonly at: Date
}

type QcKind = 'esig' | 'eseal' | 'wsa'

/** The three facts a qualification is made of, with why each came out as it did. */
interface Facts {
  readonly qc: boolean
  readonly qcReason: string
  /** Undefined when the type is contradictory (several QcTypes, or several TL type qualifiers). */
  readonly type: QcKind | undefined
  readonly typeReason: string
  readonly qscd: boolean
  readonly qscdReason: string
}

// DSS's EIDAS_DATE: TL statuses and the eIDAS qualifiers apply from 2016-07-01 (Paris time).
const EIDAS_DATE = new Date('2016-06-30T22:00:00Z')

// ETSI policy OIDs (research §2.1).
const ETSI_POLICIES = {
  qcpNatural: '0.4.0.194112.1.0',
  qcpLegal: '0.4.0.194112.1.1',
  qcpNaturalQscd: '0.4.0.194112.1.2',
  qcpLegalQscd: '0.4.0.194112.1.3',
  qcpWeb: '0.4.0.194112.1.4',
  // TS 101 456, before eIDAS (DSS's numbering; pyHanko swaps them, research §2.1).
  qcpPublicWithSscd: '0.4.0.1456.1.1',
  qcpPublic: '0.4.0.1456.1.2',
} as const

const PRE_EIDAS_VALID_STATUSES: readonly string[] = [
  SERVICE_STATUSES.underSupervision,
  SERVICE_STATUSES.supervisionInCessation,
  SERVICE_STATUSES.accredited,
]

const TYPE_QUALIFIERS: Readonly<Record<string, QcKind>> = {
  [QUALIFIERS.qcForESig]: 'esig',
  [QUALIFIERS.qcForESeal]: 'eseal',
  [QUALIFIERS.qcForWsa]: 'wsa',
}

const CERTIFICATE_TYPES: Readonly<Record<string, QcKind>> = { esign: 'esig', eseal: 'eseal', web: 'wsa' }

const TYPE_SERVICE_INFO: Readonly<Record<QcKind, string>> = {
  esig: ADDITIONAL_SERVICE_INFO.forESignatures,
  eseal: ADDITIONAL_SERVICE_INFO.forESeals,
  wsa: ADDITIONAL_SERVICE_INFO.forWebSiteAuthentication,
}

const TYPE_WORDS: Readonly<Record<QcKind, string>> = {
  esig: 'electronic signatures',
  eseal: 'electronic seals',
  wsa: 'website authentication',
}

/**
 * Decides what a certificate is qualified for at `options.at` and at its issuance, DSS-style: the certificate's
 * QC statements and ETSI policies, overruled by the `CA/QC` service of the trusted lists that issued it, when
 * its status was granted (or, before 2016-07-01, under supervision / accredited) at issuance and at the
 * validation date, through the `Qualifications` entries whose criteria match the certificate. Without a trusted
 * list the certificate is judged alone and a warning says so.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `certificate` is not a DER X.509 certificate.
 *
 * @example
 * ```ts
 * const fr = parseTrustedList(readFileSync('tl-fr.xml'))
 * const result = qualifyCertificate(signer.certificate, { trustedLists: [fr], at: new Date() })
 * if (result.qualification === 'QC_FOR_ESIG_QSCD') console.log('can make qualified electronic signatures')
 * ```
 */
export function qualifyCertificate(certificate: Uint8Array, options: QualifyOptions): QualificationResult {
  const info = describeCertificate(certificate)
  const subject = info.subject
  const fromCertificate = certificateFacts(info)
  const trustedLists = options.trustedLists ?? []
  const checks: Check[] = []

  if (trustedLists.length === 0) {
    const qualification = qualificationOf(fromCertificate)
    checks.push(...factChecks(fromCertificate, subject))
    checks.push({
      id: 'qualification.tl.service',
      status: 'warning',
      reason: 'trusted list not consulted: the qualification is only what the certificate claims of itself',
      subject,
    })
    return { qualification, atIssuance: qualification, source: 'certificate', trustedListConsulted: false, checks }
  }

  const issuance = info.notBefore
  const matches: (ServiceMatch & { territory: string })[] = trustedLists.flatMap((tl) =>
    findServicesForCertificate(tl, certificate).map((match) => ({ ...match, territory: tl.schemeTerritory })),
  )
  // Only a CA/QC service speaks of qualified certificates (DSS filter 1b); its type at issuance counts.
  const caQc = matches.filter((match) => (serviceStatusAt(match.service, issuance) ?? match.service).typeIdentifier === SERVICE_TYPES.caQc)

  const evaluations = caQc.map((match) => {
    const entryAtIssuance = serviceStatusAt(match.service, issuance)
    const entryAtValidation = serviceStatusAt(match.service, options.at)
    const atIssuance = overrule(fromCertificate, entryAtIssuance, issuance, info)
    const atValidation = overrule(fromCertificate, entryAtValidation, options.at, info)
    return { match, entryAtIssuance, entryAtValidation, atIssuance, atValidation }
  })
  const [chosen] = evaluations

  if (chosen === undefined) {
    const qualification = qualificationOf(fromCertificate)
    checks.push(...factChecks(fromCertificate, subject))
    const listed =
      matches.length === 0
        ? 'no service of the trusted lists issued this certificate'
        : 'the services that issued this certificate are not CA/QC services'
    checks.push({
      id: 'qualification.tl.service',
      status: 'warning',
      reason: `${listed} (${trustedLists.map((tl) => `${tl.schemeTerritory} seq ${tl.sequenceNumber}`).join(', ')}): the qualification is only what the certificate claims of itself`,
      subject,
    })
    return { qualification, atIssuance: qualification, source: 'certificate', trustedListConsulted: true, checks }
  }

  // Several services with different verdicts: DSS and pyHanko both call that a conflict, not qualified.
  const verdicts = new Set(evaluations.map((e) => `${e.atIssuance.qualification}/${e.atValidation.qualification}`))
  const { match, entryAtIssuance, entryAtValidation } = chosen
  const service = {
    provider: match.provider.name,
    name: match.service.name,
    territory: match.territory,
    ...(entryAtIssuance === undefined ? {} : { statusAtIssuance: entryAtIssuance.status }),
    ...(entryAtValidation === undefined ? {} : { statusAtValidation: entryAtValidation.status }),
  }
  const serviceWords = `"${match.service.name}" of ${match.provider.name} (${match.territory} trusted list)`

  if (verdicts.size > 1) {
    checks.push({
      id: 'qualification.tl.service',
      status: 'warning',
      reason: `${evaluations.length} trusted-list services issued this certificate and disagree on its qualification (${evaluations
        .map((e) => `"${e.match.service.name}": ${e.atValidation.qualification}`)
        .join(', ')}): treated as not qualified`,
      subject,
    })
    return {
      qualification: 'NOT_QUALIFIED',
      atIssuance: 'NOT_QUALIFIED',
      source: 'trusted-list',
      trustedListConsulted: true,
      service,
      checks,
    }
  }

  checks.push({ id: 'qualification.tl.service', status: 'pass', reason: `issued by the CA/QC service ${serviceWords}`, subject })
  // TS 119 612 §5.5.9.2 Qualifications pick certificates by keyUsage and policies: unknown facts make the pick unsure.
  const unknownCriteria = [KEY_USAGE, CERTIFICATE_POLICIES].filter((oid) => info.undecodable.includes(oid))
  const withCriteria = [entryAtIssuance, entryAtValidation].some((entry) => (entry?.qualifications.length ?? 0) > 0)
  if (unknownCriteria.length > 0 && withCriteria) {
    checks.push({
      id: 'qualification.tl.criteria',
      status: 'warning',
      reason: `the service's Qualifications select certificates by keyUsage and policies, and this certificate's ${unknownCriteria
        .map((oid) => (oid === KEY_USAGE ? 'keyUsage' : 'certificatePolicies'))
        .join(' and ')} cannot be decoded: the qualifiers applied may not be the ones meant for it`,
      subject,
    })
  }
  const issuanceQualification = chosen.atIssuance.qualification
  let qualification = chosen.atValidation.qualification
  const validAtIssuance = chosen.atIssuance.statusValid
  const validAtValidation = chosen.atValidation.statusValid
  if (validAtIssuance && validAtValidation) {
    checks.push({
      id: 'qualification.tl.status',
      status: 'pass',
      reason: `the service was ${statusWord(entryAtIssuance)} at the certificate's issuance (${iso(issuance)}) and ${statusWord(entryAtValidation)} at ${iso(options.at)}`,
      subject,
    })
  } else {
    qualification = 'NOT_QUALIFIED'
    const when = !validAtIssuance ? `at the certificate's issuance (${iso(issuance)})` : `at ${iso(options.at)}`
    const entry = !validAtIssuance ? entryAtIssuance : entryAtValidation
    checks.push({
      id: 'qualification.tl.status',
      status: 'warning',
      reason: `the service ${serviceWords} was ${statusWord(entry)} ${when}, not granted: the certificate is not qualified`,
      subject,
    })
  }
  if (chosen.atValidation.facts !== undefined && validAtIssuance && validAtValidation) {
    checks.push(...factChecks(chosen.atValidation.facts, subject))
  }
  return {
    qualification,
    atIssuance: issuanceQualification,
    source: 'trusted-list',
    trustedListConsulted: true,
    service,
    checks,
  }
}

const KEY_USAGE = '2.5.29.15'
const CERTIFICATE_POLICIES = '2.5.29.32'
const QC_STATEMENTS = '1.3.6.1.5.5.7.1.3'
const QC_TYPE = '0.4.0.1862.1.6'
const QC_LEGISLATION = '0.4.0.1862.1.7'

/**
 * What the certificate says of itself (DSS `…ByCertificatePostEIDAS` / `PreEIDAS` strategies). A fact read from an
 * extension or statement that cannot be decoded is unknown, and its reason says so: the qualification that follows
 * is what can be established, and a profile that needs more cannot confirm it.
 */
function certificateFacts(info: CertificateInfo): Facts {
  const qc = info.qcStatements
  const policies = new Set(info.policies)
  const preEidas = info.notBefore < EIDAS_DATE
  const legislation = qc?.legislation ?? []
  const unreadableStatements = new Set(qc?.undecodable ?? [])
  const qcUnreadable = info.undecodable.includes(QC_STATEMENTS)
  const policiesUnreadable = info.undecodable.includes(CERTIFICATE_POLICIES)
  const policiesNote = policiesUnreadable ? '; its certificatePolicies cannot be decoded' : ''

  let isQc: boolean
  let qcReason: string
  if (qcUnreadable) {
    isQc = false
    qcReason = `the certificate's qcStatements extension cannot be decoded: whether it declares QcCompliance is unknown${policiesNote}`
  } else if (qc?.compliance === true && unreadableStatements.has(QC_LEGISLATION)) {
    isQc = false
    qcReason =
      'the certificate declares QcCompliance, but its QcCClegislation cannot be read: whether it is an EU qualified certificate is unknown'
  } else if (qc?.compliance === true && legislation.length === 0) {
    isQc = true
    qcReason = 'the certificate declares QcCompliance (EU qualified certificate)'
  } else if (qc?.compliance === true) {
    isQc = false
    qcReason = `the certificate declares QcCompliance under the legislation of ${legislation.join(', ')} (QcCClegislation), not an EU qualified certificate`
  } else if (preEidas && (policies.has(ETSI_POLICIES.qcpPublic) || policies.has(ETSI_POLICIES.qcpPublicWithSscd))) {
    isQc = true
    qcReason = 'the certificate, issued before eIDAS, carries the TS 101 456 QCP/QCP+ policy'
  } else {
    isQc = false
    qcReason = (qc === null ? 'the certificate has no QC statements' : 'the certificate does not declare QcCompliance') + policiesNote
  }

  let type: QcKind | undefined
  let typeReason: string
  const types = qc?.types ?? []
  const single = types.length === 1 ? CERTIFICATE_TYPES[types[0] as string] : undefined
  if (qcUnreadable || unreadableStatements.has(QC_TYPE)) {
    // DSS reads an unreadable QcType as an absent one (then e-signatures); what the issuer wrote is not known.
    type = undefined
    typeReason = qcUnreadable
      ? 'QcType could not be read: the qcStatements extension cannot be decoded'
      : 'QcType could not be read: its value is not a SEQUENCE OF OBJECT IDENTIFIER (EN 319 412-5 §4.2.3)'
  } else if (single !== undefined) {
    type = single
    typeReason = `QcType ${qc?.types[0] ?? ''} in the certificate`
  } else if (types.length > 1) {
    type = undefined
    typeReason = `several QcTypes in the certificate (${(qc?.types ?? []).join(', ')})`
  } else if (policies.has(ETSI_POLICIES.qcpLegal) || policies.has(ETSI_POLICIES.qcpLegalQscd)) {
    type = 'eseal'
    typeReason = 'no QcType, but the ETSI legal-person policy QCP-l'
  } else if (policies.has(ETSI_POLICIES.qcpWeb)) {
    type = 'wsa'
    typeReason = 'no QcType, but the ETSI web policy QCP-w'
  } else if (types.length === 1) {
    type = undefined
    typeReason = `unknown QcType ${qc?.types[0] ?? ''}`
  } else if (policiesUnreadable) {
    type = undefined
    typeReason = 'no QcType, and the certificatePolicies (which could name QCP-l or QCP-w) cannot be decoded'
  } else {
    // Older French QCs (ANTS 2016, Universign 2015) have no QcType: DSS reads them as for e-signatures (research §8.2).
    type = 'esig'
    typeReason = 'no QcType in the certificate, which DSS reads as for electronic signatures'
  }

  let qscd: boolean
  let qscdReason: string
  if (qc?.sscd === true) {
    qscd = true
    qscdReason = 'the certificate declares QcSSCD (key on a qualified signature creation device)'
  } else if (policies.has(ETSI_POLICIES.qcpNaturalQscd) || policies.has(ETSI_POLICIES.qcpLegalQscd)) {
    qscd = true
    qscdReason = 'the certificate carries an ETSI QCP-n-qscd / QCP-l-qscd policy'
  } else if (preEidas && policies.has(ETSI_POLICIES.qcpPublicWithSscd)) {
    qscd = true
    qscdReason = 'the certificate, issued before eIDAS, carries the TS 101 456 QCP+ policy'
  } else if (qcUnreadable || policiesUnreadable) {
    qscd = false
    qscdReason = `whether the key is on a QSCD is unknown: the certificate's ${qcUnreadable ? 'qcStatements' : 'certificatePolicies'} cannot be decoded`
  } else {
    qscd = false
    qscdReason = 'the certificate declares no QcSSCD: the key is not known to be on a QSCD'
  }
  return { qc: isQc, qcReason, type, typeReason, qscd, qscdReason }
}

interface Overruled {
  readonly qualification: Qualification
  readonly statusValid: boolean
  readonly facts?: Facts
}

/** Applies one service status entry to the certificate's own facts (DSS `…ByTL` strategies). */
function overrule(cert: Facts, entry: ServiceStatusEntry | undefined, date: Date, info: CertificateInfo): Overruled {
  if (entry === undefined) return { qualification: 'NOT_QUALIFIED', statusValid: false }
  const statusValid = entry.status === SERVICE_STATUSES.granted || (date < EIDAS_DATE && PRE_EIDAS_VALID_STATUSES.includes(entry.status))
  if (!statusValid) return { qualification: 'NOT_QUALIFIED', statusValid }

  const qualifiers = new Set(
    entry.qualifications.filter((element) => matchesCriteria(element.criteria, info).matches).flatMap((element) => element.qualifiers),
  )
  const from = (q: string): string => q.split('/').pop() ?? q

  let { qc, qcReason } = cert
  if (qualifiers.has(QUALIFIERS.notQualified) && qualifiers.has(QUALIFIERS.qcStatement)) {
    qc = false
    qcReason = 'the trusted list says both QCStatement and NotQualified for this certificate: treated as not qualified'
  } else if (qualifiers.has(QUALIFIERS.notQualified)) {
    qc = false
    qcReason = 'the trusted list overrules the certificate: NotQualified'
  } else if (qualifiers.has(QUALIFIERS.qcStatement)) {
    qc = true
    qcReason = 'the trusted list declares the certificate qualified (QCStatement)'
  }

  let { type, typeReason } = cert
  const tlTypes = [...qualifiers].filter((q) => q in TYPE_QUALIFIERS)
  if (tlTypes.length > 1) {
    type = undefined
    typeReason = `the trusted list gives several types (${tlTypes.map(from).join(', ')})`
  } else if (tlTypes.length === 1) {
    type = TYPE_QUALIFIERS[tlTypes[0] as string]
    typeReason = `the trusted list says ${from(tlTypes[0] as string)}`
  } else if (entry.statusStartingTime < EIDAS_DATE && entry.status !== SERVICE_STATUSES.granted) {
    // A Directive 1999/93 service only issued QCs for signatures (DSS `TypeByTL`).
    type = 'esig'
    typeReason = 'issued under a pre-eIDAS service, which only issued qualified certificates for signatures'
  }
  if (type === 'esig' && qualifiers.has(QUALIFIERS.qcForLegalPerson)) {
    type = undefined
    typeReason = 'the trusted list says QCForLegalPerson, which contradicts a certificate for electronic signatures'
  }
  // AdditionalServiceInformation restricts what the service may issue QCs for (DSS `ServiceByCertificateTypeFilter`).
  const typeInfos = Object.values(TYPE_SERVICE_INFO).filter((uri) => entry.additionalServiceInfo.includes(uri))
  if (type !== undefined && typeInfos.length > 0 && !typeInfos.includes(TYPE_SERVICE_INFO[type])) {
    qc = false
    qcReason = `the issuing service is not listed for ${TYPE_WORDS[type]} (its AdditionalServiceInformation: ${typeInfos.map(from).join(', ')})`
  }

  let { qscd, qscdReason } = cert
  const withQscd = [QUALIFIERS.qcWithQscd, QUALIFIERS.qcQscdManagedOnBehalf, QUALIFIERS.qcWithSscd].filter((q) => qualifiers.has(q))
  const noQscd = [QUALIFIERS.qcNoQscd, QUALIFIERS.qcNoSscd].filter((q) => qualifiers.has(q))
  if (withQscd.length > 0 && noQscd.length > 0) {
    qscd = false
    qscdReason = `the trusted list says both ${withQscd.map(from).join(', ')} and ${noQscd.map(from).join(', ')}: treated as not on a QSCD`
  } else if (withQscd.length > 0) {
    qscd = true
    qscdReason = `the trusted list says ${withQscd.map(from).join(', ')}`
  } else if (noQscd.length > 0) {
    qscd = false
    qscdReason = `the trusted list says ${noQscd.map(from).join(', ')}`
  } else if (qualifiers.has(QUALIFIERS.qcQscdStatusAsInCert) || qualifiers.has(QUALIFIERS.qcSscdStatusAsInCert)) {
    qscdReason = `${cert.qscdReason} (the trusted list says QSCD status as in the certificate)`
  }
  const facts: Facts = { qc, qcReason, type, typeReason, qscd, qscdReason }
  return { qualification: qualificationOf(facts), statusValid, facts }
}

function qualificationOf(facts: Facts): Qualification {
  if (!facts.qc || facts.type === undefined) return 'NOT_QUALIFIED'
  if (facts.type === 'wsa') return 'QC_FOR_WSA'
  if (facts.type === 'eseal') return facts.qscd ? 'QC_FOR_ESEAL_QSCD' : 'QC_FOR_ESEAL'
  return facts.qscd ? 'QC_FOR_ESIG_QSCD' : 'QC_FOR_ESIG'
}

function factChecks(facts: Facts, subject: string): Check[] {
  return [
    { id: 'qualification.qcCompliance', status: facts.qc ? 'pass' : 'warning', reason: facts.qcReason, subject },
    {
      id: 'qualification.type',
      status: facts.qc && facts.type === 'esig' ? 'pass' : 'warning',
      reason: facts.type === undefined ? `type undecidable: ${facts.typeReason}` : `for ${TYPE_WORDS[facts.type]}: ${facts.typeReason}`,
      subject,
    },
    { id: 'qualification.qscd', status: facts.qscd ? 'pass' : 'warning', reason: facts.qscdReason, subject },
  ]
}

function statusWord(entry: ServiceStatusEntry | undefined): string {
  return entry === undefined ? 'not yet listed' : (entry.status.split('/').pop() ?? entry.status)
}

function iso(date: Date): string {
  return date.toISOString()
}
