// The signer certificate's report turned into a signature check, with ETSI's rules for a signature without a
// timestamp.

import type { CertificateReport } from '../policy/check-certificate.js'
import type { SignatureCheck } from './report.js'

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
