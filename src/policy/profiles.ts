/**
 * Certificate profiles: what a French receiving portal or a public buyer requires of a signing certificate,
 * as lists of named checks. The qualification comes from {@link qualifyCertificate}; this module adds the
 * certificate-level rules of shared research rgs-eidas.md §3 (RGS**) and §4 (eIDAS QES).
 *
 * Check ids: `profile.qualification`, `profile.policy`, `profile.keyUsage`, `profile.seal`, `profile.key`,
 * `profile.signatureAlgorithm`, `profile.subject`, `profile.revocationPointers`, `profile.validity`.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { AsnConvert } from '@peculiar/asn1-schema'
import { RsaSaPssParams } from '@peculiar/asn1-rsa'
import { Certificate } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import type { Check } from '../verdicts.js'
import type { Qualification, QualificationResult } from './qualification.js'
import { describeCertificate, extensionLabel, type CertificateInfo } from '../x509/describe.js'

const KEY_USAGE = '2.5.29.15'
const CERTIFICATE_POLICIES = '2.5.29.32'
const CRL_DISTRIBUTION_POINTS = '2.5.29.31'
const AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1'
const QC_STATEMENTS = '1.3.6.1.5.5.7.1.3'
const QC_TYPE = '0.4.0.1862.1.6'

/** A profile {@link evaluateProfile} knows. */
export type ProfileName = 'rgs2-signature' | 'eidas-qes' | 'eidas-qualified' | 'none'

/**
 * Every profile name, for CLI choices and help texts.
 *
 * @example
 * ```ts
 * if (!PROFILE_NAMES.includes(arg as ProfileName)) throw new SceauError('USAGE', `unknown profile ${arg}`)
 * ```
 */
export const PROFILE_NAMES: readonly ProfileName[] = ['rgs2-signature', 'eidas-qes', 'eidas-qualified', 'none']

/**
 * Certificate policies of French CAs' RGS** / RGS*** (or eIDAS QSCD) personal signature offers. Each entry is
 * a set of OIDs that must all be present (Imprimerie Nationale puts two OIDs in one TL PolicySet). Taken from
 * shared research rgs-eidas.md §2.3 (the French TL seq 112: services for eSignatures whose Qualifications
 * entry says QCWithQSCD, seal and authentication-only policies left out, QCNoQSCD ones left out since RGS**
 * needs a key on a device) and the withdrawn RGS-era signature services listed after that table. The
 * policy alone does not prove the issuer: the chain check ties the certificate to the CA.
 */
export const RGS_SIGNATURE_POLICY_OIDS: readonly (readonly string[])[] = [
  // ANTS (AAE = agents of the administration, ACT = local-authority actors)
  ['1.2.250.1.200.3.1.2.3.1'],
  ['1.2.250.1.200.3.1.5.3.1'],
  ['1.2.250.1.200.3.1.5.3.2'],
  ['1.2.250.1.200.3.1.2.3.2'],
  ['1.2.250.1.200.2.3.1.2'],
  ['1.2.250.1.200.2.5.1.2'],
  ['1.2.250.1.200.2.3.1.3'],
  ['1.2.250.1.200.2.5.1.3'],
  // Caisse des dépôts (LEGALIA)
  ['1.2.250.1.5.1.1.1.3.3'],
  // CertEurope
  ['1.2.250.1.105.10.4.1.3'],
  ['1.2.250.1.105.23.411.2.2.1.1.0'],
  ['1.2.250.1.105.23.411.2.2.2.1.0'],
  ['1.2.250.1.105.23.411.2.3.2.1.0'],
  // Certinomis (Prime CA, AA et Agents, Prime CA G2)
  ['1.2.250.1.86.2.3.3.2.1'],
  ['1.2.250.1.86.2.3.3.10.1'],
  ['1.2.250.1.86.2.3.3.30.1'],
  ['1.2.250.1.86.2.3.6.2.1'],
  ['1.2.250.1.86.2.3.6.10.1'],
  ['1.2.250.1.86.2.3.6.30.1'],
  ['1.2.250.1.86.2.3.8.2.1'],
  ['1.2.250.1.86.2.3.8.10.1'],
  ['1.2.250.1.86.2.3.8.23.1'],
  ['1.2.250.1.86.2.6.3.2.1'],
  ['1.2.250.1.86.2.6.6.2.1'],
  ['1.2.250.1.86.2.6.3.10.1'],
  ['1.2.250.1.86.2.6.6.10.1'],
  ['1.2.250.1.86.2.6.3.40.1'],
  ['1.2.250.1.86.2.6.6.40.1'],
  // ChamberSign (Europrobatio 3*, Eurodacio 2*, Eiducio on QSCD)
  ['1.2.250.1.96.1.7.1.1.3'],
  ['1.2.250.1.96.1.7.2.4.1'],
  ['1.2.250.1.96.1.8.2.2'],
  ['1.2.250.1.96.1.8.2.8'],
  // Universign CA hardware 2019, on QSCD
  ['1.3.6.1.4.1.15819.5.1.3.6'],
  ['1.3.6.1.4.1.15819.5.1.3.7'],
  // Certigna Identity Plus (ID **, ID ** Pro, ID ***, ID *** Pro, ID eIDAS qscd)
  ['1.2.250.1.177.2.4.1.1.1'],
  ['1.2.250.1.177.2.4.1.3.1'],
  ['1.2.250.1.177.2.4.1.4.1'],
  ['1.2.250.1.177.2.4.1.6.1'],
  ['1.2.250.1.177.2.4.1.8.1'],
  // Ministère de la Justice
  ['1.2.250.1.120.3.1.1.2'],
  ['1.2.250.1.120.4.3.1.1'],
  // Docusign France (Keynectis ICS Qualified, Premium Cloud Signing)
  ['1.3.6.1.4.1.22234.2.9.3.15'],
  ['1.3.6.1.4.1.22234.2.14.3.31'],
  // Imprimerie Nationale Pass'IN 3 and 2 stars: both OIDs of one PolicySet are required
  ['1.2.250.1.295.1.1.20.7.1.102.1', '1.2.250.1.295.1.1.20.0.1.102.0'],
  ['1.2.250.1.295.1.1.8.6.1.102.1', '1.2.250.1.295.1.1.8.0.1.102.0'],
  // Conseil Supérieur du Notariat (REALSIGN)
  ['1.2.250.1.78.2.1.3.1.1.1'],
  ['1.2.250.1.78.2.1.3.1.1.4'],
  // Ministère de l'Intérieur, Gendarmerie nationale
  ['1.2.250.1.152.2.12.21.3'],
  ['1.2.250.1.152.2.12.31.3'],
  ['1.2.250.1.152.2.12.11.3'],
  ['1.2.250.1.152.2.12.1.31'],
  ['1.2.250.1.189.1.1.1.4.2'],
  // VIALINK, CEGEDIM, Ministères économiques et financiers
  ['1.2.250.1.198.3.4.1.13.0.1'],
  ['1.3.6.1.4.1.142057.10.2.1.1.1'],
  ['1.2.250.1.131.1.11.6.3.1.1'],
  // Withdrawn RGS-era signature services, still met in certificates issued before their withdrawal:
  // Imprimerie Nationale Pass'IN RGS** / RGS***, Click and Trust MERCANTEO SIGN RGS 2E / AUTH-SIGN RGS 2E.
  ['1.2.250.1.295.1.1.4.3.1.102.2'],
  ['1.2.250.1.295.1.1.5.4.1.102.2'],
  ['1.2.250.1.98.1.1.19.1.1.1'],
  ['1.2.250.1.98.1.1.18.1.1.1'],
]

/** What {@link evaluateProfile} judges. */
export interface ProfileInput {
  /** The signing certificate, DER. */
  readonly certificate: Uint8Array
  /** From `qualifyCertificate` at the same date. */
  readonly qualification: QualificationResult
  /** The validation date. */
  readonly at: Date
  /** More signature policy OIDs `rgs2-signature` accepts (a CA the built-in list does not know yet). */
  readonly acceptedPolicyOids?: readonly string[]
}

// Renewing a smart-card certificate means a face-to-face appointment and a delivery: weeks, not days.
const RENEWAL_WARNING_DAYS = 60
const DAY_MS = 86_400_000

const QUALIFICATION_WORDS: Readonly<Record<Qualification, string>> = {
  QC_FOR_ESIG_QSCD: 'a qualified certificate for electronic signatures with its key on a QSCD',
  QC_FOR_ESIG: 'a qualified certificate for electronic signatures without a QSCD',
  QC_FOR_ESEAL_QSCD: 'a qualified certificate for electronic seals (QSCD)',
  QC_FOR_ESEAL: 'a qualified certificate for electronic seals',
  QC_FOR_WSA: 'a qualified website authentication certificate',
  NOT_QUALIFIED: 'not a qualified certificate',
}

/**
 * Runs a profile's checks on a signing certificate. The profile passes when `worst(checks)` is `pass` or
 * `warning`.
 *
 * - `rgs2-signature` (Hélios / DGFiP): QC for e-signatures on a QSCD, or a French RGS** / RGS*** signature
 *   policy ({@link RGS_SIGNATURE_POLICY_OIDS} and `acceptedPolicyOids`); nonRepudiation; not a seal; key and
 *   algorithm; subject names; revocation pointers; validity.
 * - `eidas-qes`: QC for e-signatures on a QSCD; nonRepudiation; key and algorithm; validity.
 * - `eidas-qualified` (public procurement, arrêté du 22 mars 2019): a QC for e-signatures, QSCD or not;
 *   key and algorithm; validity.
 * - `none`: key, algorithm and validity only.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `certificate` is not a DER X.509 certificate.
 *
 * @example
 * ```ts
 * const qualification = qualifyCertificate(cert, { trustedLists: [fr], at })
 * const checks = evaluateProfile('rgs2-signature', { certificate: cert, qualification, at })
 * if (worst(checks) === 'fail') console.error(checks.filter((c) => c.status === 'fail').map((c) => c.reason))
 * ```
 */
export function evaluateProfile(name: ProfileName, input: ProfileInput): Check[] {
  const info = describeCertificate(input.certificate)
  const facts = extraFacts(input.certificate)
  const common = [keyCheck(info), signatureAlgorithmCheck(info, facts), validityCheck(info, input.at)]
  const q = input.qualification.qualification
  switch (name) {
    case 'rgs2-signature':
      return [
        rgsQualificationCheck(info, input),
        keyUsageCheck(info),
        sealCheck(info, facts, q),
        ...common,
        subjectCheck(info, facts),
        revocationPointersCheck(info),
      ]
    case 'eidas-qes':
      return [
        requireQualification(info, input.qualification, ['QC_FOR_ESIG_QSCD'], 'a qualified electronic signature needs'),
        keyUsageCheck(info),
        ...common,
      ]
    case 'eidas-qualified':
      return [
        requireQualification(
          info,
          input.qualification,
          ['QC_FOR_ESIG_QSCD', 'QC_FOR_ESIG'],
          'public procurement (arrêté du 22 mars 2019) needs',
        ),
        ...common,
      ]
    case 'none':
      return common
  }
}

interface ExtraFacts {
  readonly signatureAlgorithm: string
  readonly givenName: boolean
  readonly surname: boolean
  readonly pseudonym: boolean
}

// What describeCertificate does not give: the certificate's own signature algorithm and the person's names. The
// subject is read on its own (x509.X509Certificate would decode every extension, and throw on one it cannot).
function extraFacts(der: Uint8Array): ExtraFacts {
  const cert = AsnConvert.parse(new Uint8Array(der), Certificate)
  const name = new x509.Name(AsnConvert.serialize(cert.tbsCertificate.subject))
  return {
    signatureAlgorithm: signatureAlgorithmName(cert.signatureAlgorithm.algorithm, cert.signatureAlgorithm.parameters ?? null),
    givenName: name.getField('2.5.4.42').length > 0,
    surname: name.getField('2.5.4.4').length > 0,
    pseudonym: name.getField('2.5.4.65').length > 0,
  }
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
}

// SHA-256 or better (RGS B1, research §3 R8); SHA-224 is below the 256-bit floor.
const STRONG_SIGNATURE_ALGORITHMS = new Set([
  'sha256WithRSAEncryption',
  'sha384WithRSAEncryption',
  'sha512WithRSAEncryption',
  'ecdsa-with-SHA256',
  'ecdsa-with-SHA384',
  'ecdsa-with-SHA512',
  'RSASSA-PSS with SHA-256',
  'RSASSA-PSS with SHA-384',
  'RSASSA-PSS with SHA-512',
])

const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
}

function signatureAlgorithmName(oid: string, parameters: ArrayBuffer | null): string {
  if (oid === '1.2.840.113549.1.1.10') {
    // RSASSA-PSS names its hash in the parameters; absent, RFC 4055 says SHA-1.
    let hash: string
    try {
      hash = parameters === null ? '1.3.14.3.2.26' : AsnConvert.parse(parameters, RsaSaPssParams).hashAlgorithm.algorithm
    } catch {
      return 'RSASSA-PSS with parameters that cannot be decoded'
    }
    return `RSASSA-PSS with ${HASHES[hash] ?? hash}`
  }
  return SIGNATURE_ALGORITHMS[oid] ?? oid
}

function rgsQualificationCheck(info: CertificateInfo, input: ProfileInput): Check {
  const subject = info.subject
  const q = input.qualification.qualification
  if (q === 'QC_FOR_ESIG_QSCD') {
    return { id: 'profile.policy', status: 'pass', reason: `${QUALIFICATION_WORDS[q]} (${input.qualification.source})`, subject }
  }
  if (info.undecodable.includes(CERTIFICATE_POLICIES)) {
    return unmet(
      'profile.policy',
      `${QUALIFICATION_WORDS[q]}, and its certificatePolicies cannot be decoded: whether it carries an RGS**/RGS*** signature policy is unknown`,
      subject,
    )
  }
  const policies = new Set(info.policies)
  const accepted = [...RGS_SIGNATURE_POLICY_OIDS, ...(input.acceptedPolicyOids ?? []).map((oid) => [oid])]
  const hit = accepted.find((set) => set.every((oid) => policies.has(oid)))
  if (hit !== undefined) {
    return {
      id: 'profile.policy',
      status: 'pass',
      reason: `the certificate carries the RGS**/RGS*** signature policy ${hit.join(' + ')}`,
      subject,
    }
  }
  const why = qualificationShortfall(input.qualification, ['QC_FOR_ESIG_QSCD'])
  return unmet(
    'profile.policy',
    `${QUALIFICATION_WORDS[q]}${why.length === 0 ? '' : ` (${why.join('; ')})`}, and none of its policies (${info.policies.join(', ') || 'none'}) is a known RGS**/RGS*** signature policy`,
    subject,
  )
}

function requireQualification(
  info: CertificateInfo,
  qualification: QualificationResult,
  accepted: readonly Qualification[],
  what: string,
): Check {
  const q = qualification.qualification
  if (accepted.includes(q))
    return { id: 'profile.qualification', status: 'pass', reason: `${QUALIFICATION_WORDS[q]}`, subject: info.subject }
  const why = qualificationShortfall(qualification, accepted)
  return unmet(
    'profile.qualification',
    `${what} ${accepted.map((a) => QUALIFICATION_WORDS[a]).join(' or ')}; this is ${QUALIFICATION_WORDS[q]}${why.length === 0 ? '' : ` (${why.join('; ')})`}`,
    info.subject,
  )
}

/**
 * The qualification's own findings that explain why it falls short of `accepted`: no QcCompliance; else the type
 * (a QcType that could not be read, a seal) and, when only a QSCD will do, the QSCD; and what the trusted list said.
 */
function qualificationShortfall(qualification: QualificationResult, accepted: readonly Qualification[]): string[] {
  const finding = (id: string): string[] => {
    const check = qualification.checks.find((candidate) => candidate.id === id)
    return check?.status === 'warning' ? [check.reason] : []
  }
  const qc = finding('qualification.qcCompliance')
  const needsQscd = accepted.every((value) => value.endsWith('_QSCD'))
  return [
    ...qc,
    ...(qc.length > 0 ? [] : [...finding('qualification.type'), ...(needsQscd ? finding('qualification.qscd') : [])]),
    ...finding('qualification.tl.status'),
    ...finding('qualification.tl.criteria'),
  ]
}

function keyUsageCheck(info: CertificateInfo): Check {
  const subject = info.subject
  if (info.undecodable.includes(KEY_USAGE))
    return unmet('profile.keyUsage', 'the keyUsage extension cannot be decoded: whether it allows nonRepudiation is unknown', subject)
  const usages = info.keyUsage
  if (usages.includes('nonRepudiation')) {
    return { id: 'profile.keyUsage', status: 'pass', reason: `keyUsage ${usages.join(', ')} includes nonRepudiation`, subject }
  }
  const reason =
    usages.length === 0
      ? 'the certificate has no keyUsage: a signature certificate needs nonRepudiation'
      : usages.includes('digitalSignature') &&
          usages.every((u) => u === 'digitalSignature' || u === 'keyEncipherment' || u === 'keyAgreement')
        ? `authentication-only certificate (keyUsage ${usages.join(', ')}, no nonRepudiation)`
        : `keyUsage ${usages.join(', ')} has no nonRepudiation`
  return unmet('profile.keyUsage', reason, subject)
}

function sealCheck(info: CertificateInfo, facts: ExtraFacts, q: Qualification): Check {
  const subject = info.subject
  const qcTypes = info.qcStatements?.types ?? []
  const person = facts.givenName || facts.surname || facts.pseudonym
  let why: string | undefined
  if (q === 'QC_FOR_ESEAL' || q === 'QC_FOR_ESEAL_QSCD') why = 'it is qualified for electronic seals'
  else if (qcTypes.includes('eseal')) why = 'its QcType is eseal'
  else if (info.policies.includes('0.4.0.194112.1.1') || info.policies.includes('0.4.0.194112.1.3'))
    why = 'it carries the ETSI legal-person policy QCP-l'
  else if (info.subjectOrganization !== undefined && !person && info.organizationIdentifier !== undefined)
    why = `its subject names the organisation ${info.subjectOrganization} and no natural person`
  else if (info.subjectOrganization !== undefined && !person && info.subjectCommonName === info.subjectOrganization)
    why = `its subject names the organisation ${info.subjectOrganization} and no natural person`
  if (why !== undefined) return unmet('profile.seal', `this is an electronic seal, not a personal signature: ${why}`, subject)
  // A QcType that cannot be read might say eseal; a subject naming a person settles it, nothing else does.
  const typeUnknown = info.undecodable.includes(QC_STATEMENTS) || (info.qcStatements?.undecodable ?? []).includes(QC_TYPE)
  if (typeUnknown && !person)
    return unmet('profile.seal', 'the QcType cannot be read and the subject names no natural person: it may be an electronic seal', subject)
  return { id: 'profile.seal', status: 'pass', reason: 'a certificate of a natural person, not a seal', subject }
}

function keyCheck(info: CertificateInfo): Check {
  const subject = info.subject
  const key = info.publicKey
  if (key.type === 'RSA') {
    // RGS B1: 2048 bits until 2030 (research §1).
    return key.size >= 2048
      ? { id: 'profile.key', status: 'pass', reason: `RSA ${key.size} bits`, subject }
      : unmet('profile.key', `RSA ${key.size} bits is too short: at least 2048 bits are required`, subject, 'CRYPTO_CONSTRAINTS_FAILURE')
  }
  if (key.type === 'EC') return { id: 'profile.key', status: 'pass', reason: `EC ${key.curve}`, subject }
  const what = key.curve === undefined ? `a key of algorithm ${key.algorithm}` : `an EC key on curve ${key.curve}`
  return unmet(
    'profile.key',
    `${what} is not accepted: RSA >= 2048 bits or EC P-256/P-384/P-521 required`,
    subject,
    'CRYPTO_CONSTRAINTS_FAILURE',
  )
}

function signatureAlgorithmCheck(info: CertificateInfo, facts: ExtraFacts): Check {
  const name = facts.signatureAlgorithm
  if (STRONG_SIGNATURE_ALGORITHMS.has(name))
    return { id: 'profile.signatureAlgorithm', status: 'pass', reason: `the CA signed the certificate with ${name}`, subject: info.subject }
  return unmet(
    'profile.signatureAlgorithm',
    `the CA signed the certificate with ${name}: SHA-256 or better is required`,
    info.subject,
    'CRYPTO_CONSTRAINTS_FAILURE',
  )
}

function subjectCheck(info: CertificateInfo, facts: ExtraFacts): Check {
  const subject = info.subject
  const missing: string[] = []
  if (info.subjectCommonName === undefined) missing.push('commonName')
  if (!facts.pseudonym && !(facts.givenName && facts.surname)) missing.push('givenName and surname (or a pseudonym)')
  return missing.length === 0
    ? { id: 'profile.subject', status: 'pass', reason: 'the subject names the person (CN, and givenName + surname or pseudonym)', subject }
    : { id: 'profile.subject', status: 'warning', reason: `the subject lacks ${missing.join(' and ')} (EN 319 412-2)`, subject }
}

function revocationPointersCheck(info: CertificateInfo): Check {
  const subject = info.subject
  const pointers = [...info.crlDistributionPoints.map((u) => `CRL ${u}`), ...info.ocspUrls.map((u) => `OCSP ${u}`)]
  const unreadable = [CRL_DISTRIBUTION_POINTS, AUTHORITY_INFO_ACCESS].filter((oid) => info.undecodable.includes(oid)).map(extensionLabel)
  const note = unreadable.length === 0 ? '' : ` (${unreadable.join(' and ')} cannot be decoded)`
  return pointers.length > 0
    ? {
        id: 'profile.revocationPointers',
        status: unreadable.length === 0 ? 'pass' : 'warning',
        reason: pointers.join(', ') + note,
        subject,
      }
    : {
        id: 'profile.revocationPointers',
        status: 'warning',
        reason: `no CRL distribution point and no OCSP responder${note}: revocation cannot be checked`,
        subject,
      }
}

function validityCheck(info: CertificateInfo, at: Date): Check {
  const subject = info.subject
  const day = (date: Date): string => date.toISOString().slice(0, 10)
  if (at < info.notBefore) {
    return {
      id: 'profile.validity',
      status: 'fail',
      subIndication: 'NOT_YET_VALID',
      reason: `not valid before ${info.notBefore.toISOString()} (checked at ${at.toISOString()})`,
      subject,
    }
  }
  if (at > info.notAfter) {
    return {
      id: 'profile.validity',
      status: 'fail',
      subIndication: 'EXPIRED',
      reason: `expired on ${day(info.notAfter)} (checked at ${at.toISOString()})`,
      subject,
    }
  }
  const days = Math.floor((info.notAfter.getTime() - at.getTime()) / DAY_MS)
  if (days < RENEWAL_WARNING_DAYS) {
    return {
      id: 'profile.validity',
      status: 'warning',
      reason: `expires in ${days} days (${day(info.notAfter)}): renewing takes weeks`,
      subject,
    }
  }
  return { id: 'profile.validity', status: 'pass', reason: `valid until ${day(info.notAfter)}`, subject }
}

/**
 * A profile requirement the certificate does not meet. It is a constraint of the validation policy, not evidence
 * that the signature is false: EN 319 102-1 makes it INDETERMINATE (CHAIN_CONSTRAINTS_FAILURE, or
 * CRYPTO_CONSTRAINTS_FAILURE for a key or an algorithm below the required strength).
 */
function unmet(
  id: string,
  reason: string,
  subject: string,
  subIndication: 'CHAIN_CONSTRAINTS_FAILURE' | 'CRYPTO_CONSTRAINTS_FAILURE' = 'CHAIN_CONSTRAINTS_FAILURE',
): Check {
  return { id, status: 'indeterminate', subIndication, reason, subject }
}
