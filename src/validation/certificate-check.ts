// The signer certificate's report turned into one check of a signature, with EN 319 102-1's rules on proof of
// existence (§5.5 and §5.6): a revoked or expired signer certificate fails a signature only when a time-stamp
// proves the signature was made after the revocation or the expiry.

import type { CertificateReport } from '../policy/check-certificate.js'
import type { Check } from '../verdicts.js'

/** When the certificate was judged, and what says so. */
export interface JudgedAt {
  /**
   * True when the report's time is proven (a valid signature time-stamp's genTime); false when it is only the
   * validation time, or a claimed signing time nothing proves.
   */
  readonly proven: boolean
  /** The signing time the signature claims (ISO), named in the reason when it would have been in bounds. */
  readonly claimedTime?: string
}

/**
 * The signer certificate's report as a signature check.
 *
 * @example
 * ```ts
 * checks.push(certificateCheck(report, { proven: provenAt !== undefined, claimedTime: signingTime }))
 * ```
 */
export function certificateCheck(report: CertificateReport, { proven, claimedTime }: JudgedAt): Check {
  const id = 'certificate'
  const name = `signer certificate (${report.certificate.subject})`
  if (report.indication === 'TOTAL_PASSED') return { id, status: 'pass', reason: `${name}: valid for profile ${report.profile}` }
  const first = report.checks.find((check) => check.status === 'fail') ?? report.checks.find((check) => check.status === 'indeterminate')
  const why = (first?.reason ?? report.subIndication) + otherProblems(report, first?.id ?? '')
  if (report.indication === 'INDETERMINATE')
    return { id, status: 'indeterminate', subIndication: report.subIndication, reason: `${name}: ${why}` }
  if (proven)
    return { id, status: 'fail', subIndication: report.subIndication, reason: `${name}: ${why} (at the time a time-stamp proves)` }
  // Without a proof of existence nothing shows the signature was made after the event: undecided (…_NO_POE).
  if (report.subIndication === 'REVOKED') return { id, status: 'indeterminate', subIndication: 'REVOKED_NO_POE', reason: `${name}: ${why}` }
  if (report.subIndication === 'EXPIRED' || report.subIndication === 'NOT_YET_VALID') {
    const { notBefore, notAfter } = report.certificate
    const inBounds =
      claimedTime !== undefined && Date.parse(claimedTime) >= Date.parse(notBefore) && Date.parse(claimedTime) <= Date.parse(notAfter)
    return {
      id,
      status: 'indeterminate',
      subIndication: report.revocation.status === 'pass' ? 'OUT_OF_BOUNDS_NOT_REVOKED' : 'OUT_OF_BOUNDS_NO_POE',
      reason:
        `${name} is valid from ${notBefore} to ${notAfter}, not at ${report.at}` +
        (inBounds ? `; it was valid at the claimed signing time ${claimedTime}, but no time-stamp proves that time` : '') +
        otherProblems(report, first?.id ?? ''),
    }
  }
  return { id, status: 'fail', subIndication: report.subIndication, reason: `${name}: ${why}` }
}

function otherProblems(report: CertificateReport, except: string): string {
  const others = report.checks.filter((check) => check.id !== except && (check.status === 'fail' || check.status === 'indeterminate'))
  return others.length === 0 ? '' : `; also: ${others.map((check) => check.reason).join('; ')}`
}

/** Who signed, as a signature report names the signer; undefined when the certificate could not be read. */
export function signerOf(
  report: CertificateReport,
): { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string } | undefined {
  const { subject, issuer, serialNumber, notAfter } = report.certificate
  return subject === '' && serialNumber === '' ? undefined : { subject, issuer, serialNumber, notAfter }
}
