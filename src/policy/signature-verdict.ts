// What signature verification shares whatever the format (XAdES, PAdES, CAdES): ETSI EN 319 102-1 indications,
// checks carrying the sub-indication they lead to, and the signer certificate's report turned into such a check
// with ETSI's rules for a signature without a time-stamp.

import type { CertificateReport } from './check-certificate.js'
import type { Check, CheckStatus } from './check.js'

/** ETSI EN 319 102-1 main indications. */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE'

/** A check of a signature, with the ETSI sub-indication it leads to when it does not pass. */
export interface SignatureCheck extends Check {
  readonly subIndication?: string
}

/** The indication a list of checks leads to: the first failure decides, then the first missing evidence. */
export function decide(checks: readonly { status: CheckStatus; subIndication?: string }[]): {
  indication: Indication
  subIndication?: string
} {
  const failed = checks.find((check) => check.status === 'fail')
  if (failed !== undefined) return { indication: 'TOTAL_FAILED', subIndication: failed.subIndication }
  const unsure = checks.find((check) => check.status === 'indeterminate')
  if (unsure !== undefined) return { indication: 'INDETERMINATE', subIndication: unsure.subIndication }
  return { indication: 'TOTAL_PASSED' }
}

/**
 * The signer certificate's report as a signature check. Without a time-stamp nothing proves when a signature was
 * made, so an expired or revoked signer certificate makes the signature INDETERMINATE (…_NO_POE), whatever the
 * claimed signing time says.
 */
export function certificateCheck(report: CertificateReport, signingTime: string | undefined): SignatureCheck {
  const name = `signer certificate (${report.certificate.subject})`
  if (report.indication === 'TOTAL_PASSED')
    return { id: 'certificate', status: 'pass', reason: `${name}: valid for profile ${report.profile}` }
  const failed = report.checks.find((check) => check.status === 'fail') ?? report.checks.find((check) => check.status === 'indeterminate')
  const why = (failed?.reason ?? report.subIndication ?? report.indication) + otherProblems(report, failed?.id ?? '')
  // Without a timestamp nothing proves when the signature was made: ETSI EN 319 102-1 makes an expired or
  // revoked signer certificate INDETERMINATE (…_NO_POE), whatever SigningTime claims.
  if (report.subIndication === 'EXPIRED' || Date.parse(report.at) > Date.parse(report.certificate.notAfter)) {
    const claimed = signingTime !== undefined && Date.parse(signingTime) <= Date.parse(report.certificate.notAfter)
    return {
      id: 'certificate',
      status: 'indeterminate',
      subIndication: 'OUT_OF_BOUNDS_NO_POE',
      reason:
        `${name} expired ${report.certificate.notAfter}` +
        (claimed ? `; it was valid at the claimed signing time ${signingTime}, but no timestamp proves that time` : '') +
        otherProblems(report, 'profile.validity'),
    }
  }
  if (report.subIndication === 'REVOKED')
    return { id: 'certificate', status: 'indeterminate', subIndication: 'REVOKED_NO_POE', reason: `${name}: ${why}` }
  return {
    id: 'certificate',
    status: report.indication === 'TOTAL_FAILED' ? 'fail' : 'indeterminate',
    subIndication: report.subIndication,
    reason: `${name}: ${why}`,
  }
}

function otherProblems(report: CertificateReport, except: string): string {
  const others = report.checks.filter((check) => check.id !== except && (check.status === 'fail' || check.status === 'indeterminate'))
  return others.length === 0 ? '' : `; also: ${others.map((check) => check.reason).join('; ')}`
}
