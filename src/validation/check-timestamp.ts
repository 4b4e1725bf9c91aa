// Judges a time-stamp token (CAdES, PAdES and XAdES alike): the token itself, its imprint over the time-stamped
// data, the TSA certificate through the policy layer at the token's own time, and the cryptographic constraints on
// the token's algorithms at the validation time (nothing older proves the token existed: EN 319 102-1 §5.6.2.5).

import { parseCms } from '../cms/parse.js'
import { signatureHash } from '../cms/signature-value.js'
import { isCmsDigestAlgorithm } from '../cms/digests.js'
import { SceauError } from '../errors.js'
import { checkCertificate, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { Check, FailedCheck, FailedSubIndication, IndeterminateCheck } from '../verdicts.js'
import {
  readTimestampToken,
  timestampTokenOf,
  verifyTimestampToken,
  type TimestampCheck,
  type TimestampInfo,
} from '../timestamp/rfc3161.js'
import {
  certificatePathUses,
  checkCryptoConstraints,
  constrainedScheme,
  pathCertificates,
  publicKeyStrength,
  type AlgorithmUse,
} from './crypto-constraints.js'

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
  value: Uint8Array,
  covered: Uint8Array,
  options: Omit<CheckCertificateOptions, 'profile' | 'at'> & { readonly at?: Date },
  checks: Check[],
  role: TimestampRole,
): Promise<Date | undefined> {
  const what = role === 'signature' ? 'signature time-stamp' : 'document time-stamp'
  const { token, wrapped } = timestampTokenOf(value)
  if (wrapped) {
    checks.push({
      id: 'timestamp.encoding',
      status: 'warning',
      reason: `${what}: the token is wrapped in an OCTET STRING, not stored as the ContentInfo RFC 3161 appendix A makes the attribute value; it was read inside`,
    })
  }
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
  // The token's algorithms, judged at the validation time: a token made with SHA-1 after SHA-1's end proves nothing.
  const validationTime = options.at ?? new Date()
  const constraints = checkCryptoConstraints(
    [...timestampUses(token, info), ...certificatePathUses(pathCertificates(tsa.chain, tsaCandidates(token, info, options)))],
    { time: validationTime, source: 'the validation time' },
  )
  if (constraints.status === 'indeterminate') {
    return unusable(`${what} of ${info.genTime.toISOString()}: ${constraints.reason}`, {
      status: 'indeterminate',
      subIndication: constraints.subIndication,
    })
  }
  checks.push({ id: 'timestamp', status: 'pass', reason: `${what}: ${info.genTime.toISOString()} by ${tsa.certificate.subject}` })
  return info.genTime
}

/** The algorithms a token rests on: its imprint hash, its SignerInfo's digest and signature with the TSA key. */
function timestampUses(token: Uint8Array, info: TimestampInfo): AlgorithmUse[] {
  const by = 'the time-stamp'
  const uses: AlgorithmUse[] = [{ by, algorithm: { digest: info.messageImprint.hash } }]
  const signer = parseCms(token).signer
  const digest = isCmsDigestAlgorithm(signer.digestAlgorithm) ? signer.digestAlgorithm : undefined
  if (digest !== undefined) uses.push({ by, algorithm: { digest } })
  const hash = signatureHash(signer.signatureAlgorithm, digest)
  if (hash !== undefined && hash !== digest) uses.push({ by, algorithm: { digest: hash } })
  const scheme = constrainedScheme(signer.signatureAlgorithm)
  const strength = info.tsaCertificate === undefined ? undefined : publicKeyStrength(info.tsaCertificate)
  if (scheme !== undefined) uses.push({ by, algorithm: strength?.bits === undefined ? { scheme } : { scheme, keyBits: strength.bits } })
  return uses
}

/** The certificates the TSA's path may be made of: its own, the token's, and the caller's. */
function tsaCandidates(token: Uint8Array, info: TimestampInfo, options: Omit<CheckCertificateOptions, 'profile' | 'at'>): Uint8Array[] {
  return [
    ...(info.tsaCertificate === undefined ? [] : [info.tsaCertificate]),
    ...parseCms(token).certificates,
    ...(options.intermediates ?? []),
    ...(options.anchors ?? []),
  ]
}

/** A time-stamp proven false: its imprint does not match (HASH_FAILURE) before anything else. */
function failedSubIndication(failed: readonly TimestampCheck[]): FailedSubIndication {
  const sorted = [...failed].sort((a, b) => Number(b.subIndication === 'HASH_FAILURE') - Number(a.subIndication === 'HASH_FAILURE'))
  const first = sorted[0]
  return first?.status === 'fail' ? first.subIndication : 'FORMAT_FAILURE'
}
