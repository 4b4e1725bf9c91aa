// Judges a signature time-stamp token (CAdES, PAdES and XAdES B-T alike): the token itself, the imprint over the
// signed value, and the TSA certificate through the policy layer at the token's own time.

import { SceauError } from '../errors.js'
import { checkCertificate, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { SignatureCheck } from '../policy/signature-verdict.js'
import { readTimestampToken, verifyTimestampToken } from './rfc3161.js'

/** Checks a signature time-stamp token; returns its time when it proves one (valid token, trusted TSA). */
export async function checkTimestamp(
  token: Uint8Array,
  signatureValue: Uint8Array,
  options: Omit<CheckCertificateOptions, 'profile' | 'at'>,
  checks: SignatureCheck[],
): Promise<Date | undefined> {
  let info: ReturnType<typeof readTimestampToken>
  try {
    info = readTimestampToken(token)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    checks.push({ id: 'timestamp', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: `signature time-stamp: ${err.message}` })
    return undefined
  }
  const failed = verifyTimestampToken(token, signatureValue).filter((check) => check.status !== 'pass')
  if (failed.length > 0) {
    checks.push({
      id: 'timestamp',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `signature time-stamp of ${info.genTime.toISOString()}: ${failed.map((check) => check.reason).join('; ')}`,
    })
    return undefined
  }
  if (info.tsaCertificate === undefined) {
    checks.push({
      id: 'timestamp',
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: 'the time-stamp token carries no TSA certificate',
    })
    return undefined
  }
  const tsa = await checkCertificate(info.tsaCertificate, { ...options, at: info.genTime, profile: 'none' })
  if (tsa.indication !== 'TOTAL_PASSED') {
    const why =
      tsa.checks.find((check) => check.status === 'fail' || check.status === 'indeterminate')?.reason ?? tsa.subIndication ?? tsa.indication
    checks.push({
      id: 'timestamp',
      status: 'indeterminate',
      subIndication: tsa.subIndication ?? 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: `signature time-stamp of ${info.genTime.toISOString()} by ${tsa.certificate.subject}: ${why}`,
    })
    return undefined
  }
  checks.push({
    id: 'timestamp',
    status: 'pass',
    reason: `signature time-stamped at ${info.genTime.toISOString()} by ${tsa.certificate.subject}`,
  })
  return info.genTime
}
