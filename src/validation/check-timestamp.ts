// Judges a time-stamp token (CAdES, PAdES and XAdES alike): the token itself, its imprint over the time-stamped
// data, and the TSA certificate through the policy layer at the token's own time.

import { SceauError } from '../errors.js'
import { checkCertificate, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { Check, FailedCheck, FailedSubIndication, IndeterminateCheck } from '../verdicts.js'
import { readTimestampToken, verifyTimestampToken, type TimestampCheck } from '../timestamp/rfc3161.js'

/**
 * What the time-stamp is to the signature being judged. A `signature` time-stamp is an attribute: one that cannot
 * be used only takes away the proof of time it would have given (EN 319 102-1 §5.5.4: time-stamps that do not pass
 * are disregarded), so its problems are warnings. A `document` time-stamp (PAdES /DocTimeStamp) is itself the
 * signature being judged, so its problems are its verdict.
 */
export type TimestampRole = 'signature' | 'document'

/**
 * Checks a time-stamp token over `covered`, pushes one `timestamp` check, and returns the time it proves when it
 * proves one (a valid token from a TSA whose certificate validates at the token's time).
 *
 * @example
 * ```ts
 * const provenAt = await checkTimestamp(token, signerInfo.signatureValue, options, checks, 'signature')
 * ```
 */
export async function checkTimestamp(
  token: Uint8Array,
  covered: Uint8Array,
  options: Omit<CheckCertificateOptions, 'profile' | 'at'>,
  checks: Check[],
  role: TimestampRole,
): Promise<Date | undefined> {
  const what = role === 'signature' ? 'signature time-stamp' : 'document time-stamp'
  // A signature time-stamp that cannot be used is set aside: the signature is judged without the time it would prove.
  const unusable = (
    reason: string,
    verdict: Pick<FailedCheck, 'status' | 'subIndication'> | Pick<IndeterminateCheck, 'status' | 'subIndication'>,
  ): undefined => {
    checks.push(
      role === 'signature'
        ? { id: 'timestamp', status: 'warning', reason: `${reason}: it proves no time, the signature is judged without it` }
        : verdict.status === 'fail'
          ? { id: 'timestamp', status: 'fail', subIndication: verdict.subIndication, reason }
          : { id: 'timestamp', status: 'indeterminate', subIndication: verdict.subIndication, reason },
    )
    return undefined
  }
  let info: ReturnType<typeof readTimestampToken>
  try {
    info = readTimestampToken(token)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    return unusable(`${what}: ${err.message}`, { status: 'fail', subIndication: 'FORMAT_FAILURE' })
  }
  const verification = verifyTimestampToken(token, covered)
  const failed = verification.filter((check) => check.status === 'fail')
  const undecided = verification.filter((check): check is TimestampCheck & IndeterminateCheck => check.status === 'indeterminate')
  const reasons = (list: readonly TimestampCheck[]): string => list.map((check) => check.reason).join('; ')
  if (failed.length > 0) {
    return unusable(`${what} of ${info.genTime.toISOString()}: ${reasons(failed)}`, {
      status: 'fail',
      subIndication: failedSubIndication(failed),
    })
  }
  const firstUndecided = undecided[0]
  if (firstUndecided !== undefined) {
    return unusable(`${what} of ${info.genTime.toISOString()}: ${reasons(undecided)}`, {
      status: 'indeterminate',
      subIndication: firstUndecided.subIndication,
    })
  }
  if (info.tsaCertificate === undefined) {
    return unusable(`${what} of ${info.genTime.toISOString()}: the token carries no TSA certificate`, {
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
    })
  }
  const tsa = await checkCertificate(info.tsaCertificate, { ...options, at: info.genTime, profile: 'none' })
  if (tsa.indication !== 'TOTAL_PASSED') {
    const why = tsa.checks.find((check) => check.status === 'fail' || check.status === 'indeterminate')?.reason ?? tsa.subIndication
    return unusable(
      `${what} of ${info.genTime.toISOString()} by ${tsa.certificate.subject}: ${why}`,
      tsa.indication === 'INDETERMINATE'
        ? { status: 'indeterminate', subIndication: tsa.subIndication }
        : // A TSA certificate revoked or expired at the token's own time: the token proves nothing (§5.4).
          { status: 'indeterminate', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE' },
    )
  }
  checks.push({ id: 'timestamp', status: 'pass', reason: `${what}: ${info.genTime.toISOString()} by ${tsa.certificate.subject}` })
  return info.genTime
}

/** A time-stamp proven false: its imprint does not match (HASH_FAILURE) before anything else. */
function failedSubIndication(failed: readonly TimestampCheck[]): FailedSubIndication {
  const sorted = [...failed].sort((a, b) => Number(b.subIndication === 'HASH_FAILURE') - Number(a.subIndication === 'HASH_FAILURE'))
  const first = sorted[0]
  return first?.status === 'fail' ? first.subIndication : 'FORMAT_FAILURE'
}
