import { createHash, X509Certificate } from 'node:crypto'
import { isSceauError, SceauError } from '../errors.js'
import { describeCertificate, extensionLabel, type CertificateInfo } from '../x509/describe.js'
import { buildChain, type ChainElement } from './chain.js'
import { decide, worst, type Check, type CheckStatus, type Verdict } from '../verdicts.js'
import { checkCrl, MAX_CRL_BYTES, parseCrl, type ParsedCrl } from './crl.js'
import type { CrlCache } from './crl-cache.js'
import { getBytes } from './http-fetch.js'
import { checkOcsp, type OcspCache, type OcspCheckResult, type OcspFetch } from './ocsp.js'
import { evaluateProfile, type ProfileName } from './profiles.js'
import { qualifyCertificate, type Qualification } from './qualification.js'
import type { TrustedList } from './trusted-list/index.js'
import { SERVICE_TYPES } from './trusted-list/index.js'

/** How revocation is checked. */
export interface RevocationOptions {
  /** CRLs at hand (DER or PEM); used first. */
  readonly crls?: readonly Uint8Array[]
  /** OCSP responses at hand (DER), e.g. from a PDF's DSS; each is used only for the certificate it is about. */
  readonly ocspResponses?: readonly Uint8Array[]
  /** Fetch the CRLs named by the certificates' distribution points when none at hand covers them. Default true. */
  readonly fetchCrls?: boolean
  /** Ask the OCSP responders named by the certificates. Default false (CRLs are the French CAs' primary source). */
  readonly ocsp?: boolean
  /**
   * Skip revocation entirely. Without revocation data the verdict is indeterminate; this waiver is the caller's
   * explicit decision and the report says it was made.
   */
  readonly waive?: boolean
  /** Network access for CRLs (GET) — injected in tests, bounded by default (10 s, 50 MB). */
  readonly getCrl?: (url: string) => Promise<Uint8Array>
  /** Network access for OCSP (POST). */
  readonly postOcsp?: OcspFetch
  readonly ocspCache?: OcspCache
  /** CRLs fetched by earlier checks, reused until their nextUpdate. */
  readonly crlCache?: CrlCache
}

/** Options of {@link checkCertificate}. */
export interface CheckCertificateOptions {
  /** The date the certificate is judged at: the signing time, or now. */
  readonly at: Date
  /** Trust anchors, DER. When none are given, the CA/QC service certificates of `trustedLists` are the anchors. */
  readonly anchors?: readonly Uint8Array[]
  /** Candidate intermediate CAs, DER (from a token, a signature, a bundle). */
  readonly intermediates?: readonly Uint8Array[]
  /** Parsed trusted lists (the French TL first). */
  readonly trustedLists?: readonly TrustedList[]
  /** Which profile the certificate must meet. Default `rgs2-signature`. */
  readonly profile?: ProfileName
  /** Policy OIDs the caller accepts in addition to the built-in RGS list. */
  readonly acceptedPolicyOids?: readonly string[]
  readonly revocation?: RevocationOptions
  /**
   * What verifying the trusted lists' own signatures found (see `verifyTrustedListSignature`); reported as they
   * are. When lists are given without these, the report warns that their signatures were not checked.
   */
  readonly trustedListChecks?: readonly Check[]
  /**
   * What to do when `certificate` is not a certificate at all (truncated, tampered with, not DER): `throw`
   * `CERTIFICATE_MALFORMED` (the default: a file the user named), or `report` it as a verdict, INDETERMINATE
   * NO_SIGNING_CERTIFICATE_FOUND with the check `certificate.malformed` (a certificate found inside a signature,
   * whose verifier owes a verdict, not an error). A certificate that is readable but has extensions that cannot be
   * decoded is always judged, with those checks undecided.
   */
  readonly onMalformed?: 'throw' | 'report'
}

/**
 * The report of {@link checkCertificate}: JSON-serialisable, for a UI or a CI log. Its verdict is judged as if the
 * certificate were used at `at`: it fails with REVOKED, EXPIRED or NOT_YET_VALID; it is undecided with
 * NO_CERTIFICATE_CHAIN_FOUND, CERTIFICATE_CHAIN_GENERAL_FAILURE, OUT_OF_BOUNDS_NO_POE or OUT_OF_BOUNDS_NOT_REVOKED
 * (a CA), REVOKED_CA_NO_POE, TRY_LATER (no usable revocation data, or on hold), CHAIN_CONSTRAINTS_FAILURE (the
 * profile), CRYPTO_CONSTRAINTS_FAILURE (a weak key) or NO_SIGNING_CERTIFICATE_FOUND (bytes that are not a
 * certificate, with `onMalformed: 'report'`). docs/verdicts.md lists every check.
 */
export type CertificateReport = Verdict & CertificateFacts

/** What {@link CertificateReport} says besides its verdict. */
export interface CertificateFacts {
  /** ISO 8601. */
  readonly at: string
  readonly profile: ProfileName
  /**
   * What the certificate says. When it cannot be read (`onMalformed: 'report'`), every text field is empty, the
   * lists are empty and `fingerprintSha256` is the SHA-256 of the bytes given.
   */
  readonly certificate: {
    readonly subject: string
    readonly issuer: string
    readonly serialNumber: string
    readonly notBefore: string
    readonly notAfter: string
    readonly keyUsage: readonly string[]
    readonly policies: readonly string[]
    readonly fingerprintSha256: string
  }
  /** Leaf first, anchor last (ISO dates, no DER). */
  readonly chain: readonly Omit<ChainElement, 'der'>[]
  readonly qualification: {
    readonly value: Qualification
    readonly atIssuance: Qualification
    readonly source: string
    readonly trustedListConsulted: boolean
  }
  readonly revocation: { readonly status: CheckStatus | 'waived'; readonly sources: readonly string[] }
  /** Every named check, in the order they were made. */
  readonly checks: readonly Check[]
  /** The reasons of the warning checks, for a quick read ("expires in 12 days"). */
  readonly warnings: readonly string[]
}

/**
 * Answers "can this certificate sign this kind of document, at this date, and why not": builds and checks the
 * chain, checks revocation, qualifies the certificate (from the trusted lists when given) and applies a profile.
 * Verdicts are returned, never thrown: extensions that cannot be decoded, intermediates or CRLs given that cannot
 * be read leave the checks that need them undecided. Only a `certificate` that is not a certificate throws, unless
 * `onMalformed: 'report'` asks for a verdict instead.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `certificate` cannot be read (unless `onMalformed: 'report'`);
 * `USAGE` when `at` is not a valid date.
 *
 * @example
 * ```ts
 * const report = await checkCertificate(certDer, { at: new Date(), trustedLists: [frTl], profile: 'rgs2-signature' })
 * if (report.indication !== 'TOTAL_PASSED') console.log(report.subIndication, report.checks.filter((c) => c.status !== 'pass'))
 * ```
 */
export async function checkCertificate(certificate: Uint8Array, options: CheckCertificateOptions): Promise<CertificateReport> {
  const { at } = options
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new SceauError('USAGE', 'checkCertificate needs a valid `at` date')
  const profile = options.profile ?? 'rgs2-signature'
  let info: CertificateInfo
  try {
    info = readable(certificate)
  } catch (err) {
    if (options.onMalformed !== 'report' || !isSceauError(err, 'CERTIFICATE_MALFORMED')) throw err
    return malformedReport(certificate, at, profile, err.message)
  }
  const anchors = options.anchors?.length ? options.anchors : anchorsFromTrustedLists(options.trustedLists ?? [])
  // A trusted list whose own signature does not hold, or cannot be checked, cannot vouch for anything: the chain is
  // then undecided (NO_CERTIFICATE_CHAIN_FOUND, as when DSS drops such a list), not the certificate proven bad, nor
  // its own signing certificate missing or its algorithm weak, which the list's sub-indication would suggest.
  const checks: Check[] = (options.trustedListChecks ?? []).map((check): Check =>
    check.status === 'fail' || check.status === 'indeterminate'
      ? { ...check, status: 'indeterminate', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' }
      : check,
  )
  if ((options.trustedLists?.length ?? 0) > 0 && options.trustedListChecks === undefined) {
    checks.push({
      id: 'tl.signature',
      status: 'warning',
      reason: "the trusted lists' signatures were not checked (no signing certificates given)",
    })
  }
  if (anchors.length === 0) {
    checks.push({
      id: 'chain.anchors',
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: 'no trust anchor given (--trust PEM or --tsl TL.xml)',
    })
  }
  const chain = buildChain(certificate, { anchors, intermediates: options.intermediates ?? [], at })
  checks.push(...chain.checks)

  const revocation = await checkRevocation(chain.chain, at, options.revocation ?? {})
  checks.push(...revocation.checks)
  notRevokedOutOfBounds(checks)

  const qualification = qualifyCertificate(certificate, { trustedLists: options.trustedLists, at })
  // What the certificate is (qualified or not) is a fact, reported as warnings; whether that is acceptable is the
  // profile's call, made by its own check: a non-qualified TSA or RGS** certificate is fine under a profile that allows it.
  checks.push(...qualification.checks)
  checks.push(...evaluateProfile(profile, { certificate, qualification, at, acceptedPolicyOids: options.acceptedPolicyOids }))

  return {
    ...decide(checks),
    at: at.toISOString(),
    profile,
    certificate: {
      subject: info.subject,
      issuer: info.issuer,
      serialNumber: info.serialNumber,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      keyUsage: info.keyUsage,
      policies: info.policies,
      fingerprintSha256: info.fingerprintSha256,
    },
    chain: chain.chain.map(({ der: _der, ...element }) => element),
    qualification: {
      value: qualification.qualification,
      atIssuance: qualification.atIssuance,
      source: qualification.source,
      trustedListConsulted: qualification.trustedListConsulted,
    },
    revocation: { status: revocation.status, sources: revocation.sources },
    checks,
    warnings: checks.filter((check) => check.status === 'warning').map((check) => check.reason),
  }
}

/** The certificate decoded, once OpenSSL has also read it (the chain checks run on OpenSSL). */
function readable(certificate: Uint8Array): CertificateInfo {
  const info = describeCertificate(certificate)
  try {
    new X509Certificate(certificate)
  } catch (err) {
    throw new SceauError('CERTIFICATE_MALFORMED', `the certificate "${info.subject}" cannot be read by OpenSSL`, { cause: err })
  }
  return info
}

/**
 * The report on bytes that are not a certificate. Without a certificate there is nothing to judge the signature
 * with: EN 319 102-1 §5.2.3 (identification of the signing certificate) ends INDETERMINATE
 * NO_SIGNING_CERTIFICATE_FOUND.
 */
function malformedReport(bytes: Uint8Array, at: Date, profile: ProfileName, why: string): CertificateReport {
  const checks: Check[] = [
    {
      id: 'certificate.malformed',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: `the ${bytes.length} bytes given as the certificate cannot be read: ${why}`,
    },
  ]
  return {
    ...decide(checks),
    at: at.toISOString(),
    profile,
    certificate: {
      subject: '',
      issuer: '',
      serialNumber: '',
      notBefore: '',
      notAfter: '',
      keyUsage: [],
      policies: [],
      fingerprintSha256: createHash('sha256').update(bytes).digest('hex'),
    },
    chain: [],
    qualification: { value: 'NOT_QUALIFIED', atIssuance: 'NOT_QUALIFIED', source: 'certificate', trustedListConsulted: false },
    revocation: { status: 'indeterminate', sources: [] },
    checks,
    warnings: [],
  }
}

/**
 * A CA certificate out of its validity period whose revocation status is known to be good: EN 319 102-1 §5.2.6.4
 * and DSS (CertificateValidityRangeCheck) say OUT_OF_BOUNDS_NOT_REVOKED rather than OUT_OF_BOUNDS_NO_POE. The chain
 * is judged before revocation, so the sub-indication is refined here, where both are known.
 */
function notRevokedOutOfBounds(checks: Check[]): void {
  checks.forEach((check, index) => {
    if (check.subIndication !== 'OUT_OF_BOUNDS_NO_POE' || check.subject === undefined) return
    const good = checks.some(
      (other) =>
        other.id.startsWith('revocation.') && other.subject === check.subject && (other.status === 'pass' || other.status === 'warning'),
    )
    if (good) checks[index] = { ...check, subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED', reason: `${check.reason}; not revoked` }
  })
}

/** The certificates of the CA/QC (and national root) services of the lists, as trust anchors. */
export function anchorsFromTrustedLists(lists: readonly TrustedList[]): Uint8Array[] {
  const types: string[] = [SERVICE_TYPES.caQc, SERVICE_TYPES.nationalRootCaQc]
  return lists.flatMap((list) =>
    list.providers.flatMap((provider) =>
      provider.services.flatMap((service) =>
        // Withdrawn services stay anchors: a certificate issued while the service was granted must still chain;
        // the qualification step judges the status at issuance and at the validation date.
        [service, ...service.history]
          .filter((entry) => types.includes(entry.typeIdentifier))
          .flatMap((entry) => entry.digitalIdentity.certificates),
      ),
    ),
  )
}

interface RevocationResult {
  readonly status: CheckStatus | 'waived'
  readonly sources: string[]
  readonly checks: Check[]
}

async function checkRevocation(chain: readonly ChainElement[], at: Date, options: RevocationOptions): Promise<RevocationResult> {
  if (options.waive) {
    return {
      status: 'waived',
      sources: [],
      checks: [{ id: 'revocation.waived', status: 'warning', reason: 'revocation not checked: waived by the caller' }],
    }
  }
  // Every certificate below the anchor: the leaf and its intermediate CAs (a revoked CA revokes all it issued).
  const pairs = chain.slice(0, -1).map((element, index) => ({ certificate: element.der, issuer: chain[index + 1]?.der }))
  if (pairs.length === 0 || pairs.some((pair) => pair.issuer === undefined)) {
    return {
      status: 'indeterminate',
      sources: [],
      checks: [
        {
          id: 'revocation',
          status: 'indeterminate',
          subIndication: 'TRY_LATER',
          reason: 'revocation cannot be checked without the issuer certificate',
        },
      ],
    }
  }
  // A CRL given that cannot be read (damaged in a signature's revocation values) is one source less, named in the
  // checks, not a reason to give no verdict.
  const given: ParsedCrl[] = []
  const unreadable: string[] = []
  for (const [index, crl] of (options.crls ?? []).entries()) {
    try {
      given.push(parseCrl(crl))
    } catch (err) {
      unreadable.push(`CRL #${index + 1} given cannot be read (${err instanceof Error ? err.message : String(err)})`)
    }
  }
  const checks: Check[] = unreadable.map((reason) => ({ id: 'revocation.crl.unreadable', status: 'warning', reason }))
  const sources = new Set<string>()
  for (const { certificate, issuer } of pairs as { certificate: Uint8Array; issuer: Uint8Array }[]) {
    checks.push(await revocationOf(certificate, issuer, at, given, options, sources))
  }
  return { status: worst(checks), sources: [...sources], checks }
}

async function revocationOf(
  certificate: Uint8Array,
  issuer: Uint8Array,
  at: Date,
  given: ParsedCrl[],
  options: RevocationOptions,
  sources: Set<string>,
): Promise<Check> {
  const info = describeCertificate(certificate)
  let crlCheck = given.length > 0 ? checkCrl(certificate, issuer, given, { at }) : undefined
  if (crlCheck !== undefined && crlCheck.status !== 'indeterminate') {
    sources.add('crl (given)')
    return crlCheck
  }
  for (const response of options.ocspResponses ?? []) {
    const ocsp = await checkOcsp(certificate, issuer, { at, response })
    if (ocsp.status !== 'indeterminate') {
      sources.add('ocsp (given)')
      return ocspCheck(ocsp, info)
    }
  }
  if (options.fetchCrls !== false && info.crlDistributionPoints.length > 0) {
    const fetched: ParsedCrl[] = []
    const problems: string[] = []
    for (const url of info.crlDistributionPoints.filter((u) => /^https?:/i.test(u))) {
      try {
        const cached = options.crlCache?.get(url, at)
        const crl =
          cached ??
          parseCrl(options.getCrl ? await options.getCrl(url) : await getBytes(url, { timeoutMs: 10_000, maxBytes: MAX_CRL_BYTES }))
        if (cached === undefined) options.crlCache?.set(url, crl)
        fetched.push(crl)
        sources.add(`crl ${url}`)
        break
      } catch (err) {
        problems.push(`${url}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    if (fetched.length > 0) {
      crlCheck = checkCrl(certificate, issuer, [...given, ...fetched], { at })
      if (crlCheck.status !== 'indeterminate') return crlCheck
    } else if (problems.length > 0 && crlCheck === undefined) {
      crlCheck = {
        id: 'revocation.crl',
        status: 'indeterminate',
        subIndication: 'TRY_LATER',
        reason: `no CRL could be fetched (${problems.join('; ')})`,
        subject: info.subject,
      }
    }
  }
  if (options.ocsp && info.ocspUrls.length > 0) {
    const ocsp = await checkOcsp(certificate, issuer, { at, fetch: options.postOcsp, cache: options.ocspCache })
    sources.add(`ocsp ${info.ocspUrls[0] ?? ''}`)
    if (ocsp.status !== 'indeterminate' || crlCheck === undefined) {
      return ocspCheck(ocsp, info)
    }
  }
  const pointers = [CRL_DISTRIBUTION_POINTS, AUTHORITY_INFO_ACCESS].filter((oid) => info.undecodable.includes(oid))
  return (
    crlCheck ?? {
      id: 'revocation',
      status: 'indeterminate',
      subIndication: 'TRY_LATER',
      reason:
        'no revocation data: give a CRL (--crl), allow fetching, or ask OCSP (--ocsp)' +
        (pointers.length === 0 ? '' : `; the certificate's ${pointers.map(extensionLabel).join(' and ')} cannot be decoded`),
      subject: info.subject,
    }
  )
}

const BASIC_CONSTRAINTS = '2.5.29.19'
const CRL_DISTRIBUTION_POINTS = '2.5.29.31'
const AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1'

/** An OCSP answer as a check, with the same sub-indications as a CRL's (see crl.ts): on hold is TRY_LATER. */
function ocspCheck(ocsp: OcspCheckResult, info: CertificateInfo): Check {
  const base = { id: 'revocation.ocsp', reason: ocsp.reason, subject: info.subject }
  if (ocsp.status === 'pass') return { ...base, status: 'pass' }
  if (ocsp.status === 'indeterminate') return { ...base, status: 'indeterminate', subIndication: 'TRY_LATER' }
  if (ocsp.revocationReason === 'certificateHold') {
    return { ...base, status: 'indeterminate', subIndication: 'TRY_LATER', reason: `suspended (on hold): ${ocsp.reason}` }
  }
  return info.isCA || info.undecodable.includes(BASIC_CONSTRAINTS)
    ? { ...base, status: 'indeterminate', subIndication: 'REVOKED_CA_NO_POE' }
    : { ...base, status: 'fail', subIndication: 'REVOKED' }
}
