/**
 * The verdict vocabulary every sceau report speaks: ETSI EN 319 102-1 indications and sub-indications (§5.1.3,
 * table 5, the values EU DSS uses), and one `Check` shape whose failing variants must say which sub-indication
 * they lead to. A check that fails or cannot decide names its sub-indication where it is made; nothing is guessed
 * later from an id or a message.
 *
 * @packageDocumentation
 */

/** ETSI EN 319 102-1 main indications. */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE'

/**
 * The sub-indications of TOTAL_FAILED: each needs evidence (a digest or signature that does not verify, a
 * revocation or expiry proven before the signing time, a format violation).
 */
export const FAILED_SUB_INDICATIONS = [
  'FORMAT_FAILURE',
  'HASH_FAILURE',
  'SIG_CRYPTO_FAILURE',
  'REVOKED',
  'EXPIRED',
  'NOT_YET_VALID',
] as const

/** The sub-indications of INDETERMINATE: what sceau cannot decide with the evidence it has. */
export const INDETERMINATE_SUB_INDICATIONS = [
  'SIG_CONSTRAINTS_FAILURE',
  'CHAIN_CONSTRAINTS_FAILURE',
  'CERTIFICATE_CHAIN_GENERAL_FAILURE',
  'CRYPTO_CONSTRAINTS_FAILURE',
  'POLICY_PROCESSING_ERROR',
  'SIGNATURE_POLICY_NOT_AVAILABLE',
  'TIMESTAMP_ORDER_FAILURE',
  'NO_SIGNING_CERTIFICATE_FOUND',
  'NO_CERTIFICATE_CHAIN_FOUND',
  'NO_CERTIFICATE_CHAIN_FOUND_NO_POE',
  'REVOKED_NO_POE',
  'REVOKED_CA_NO_POE',
  'OUT_OF_BOUNDS_NOT_REVOKED',
  'OUT_OF_BOUNDS_NO_POE',
  'REVOCATION_OUT_OF_BOUNDS_NO_POE',
  'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
  'NO_POE',
  'TRY_LATER',
  'SIGNED_DATA_NOT_FOUND',
] as const

/** A sub-indication of TOTAL_FAILED. */
export type FailedSubIndication = (typeof FAILED_SUB_INDICATIONS)[number]
/** A sub-indication of INDETERMINATE. */
export type IndeterminateSubIndication = (typeof INDETERMINATE_SUB_INDICATIONS)[number]
/** Any EN 319 102-1 sub-indication. */
export type SubIndication = FailedSubIndication | IndeterminateSubIndication

/**
 * How a check came out: `fail` is a proven defect, `indeterminate` means the evidence needed is missing or
 * unusable, `warning` is a finding that does not change the verdict (unless the caller asks for strictness).
 */
export type CheckStatus = 'pass' | 'fail' | 'indeterminate' | 'warning'

interface CheckFields {
  /** Stable dotted name of the check, e.g. `xmldsig.reference`, `chain.signature`, `pdf.changes`. */
  readonly id: string
  /** What was found, in plain words, with the dates, names and byte offsets involved. */
  readonly reason: string
  /** Subject DN of the certificate the check is about, when it is about one. */
  readonly subject?: string
}

/** A check that passed, or found something worth saying that does not block. */
export interface PassedCheck extends CheckFields {
  readonly status: 'pass' | 'warning'
  readonly subIndication?: undefined
}

/** A check that found evidence against the signature. */
export interface FailedCheck extends CheckFields {
  readonly status: 'fail'
  readonly subIndication: FailedSubIndication
}

/** A check that could not decide. */
export interface IndeterminateCheck extends CheckFields {
  readonly status: 'indeterminate'
  readonly subIndication: IndeterminateSubIndication
}

/**
 * One named check, the one result shape of every validation step in every format. Plain data: `JSON.stringify`
 * gives the whole of it.
 *
 * @example
 * ```ts
 * const check: Check = {
 *   id: 'xmldsig.reference',
 *   status: 'fail',
 *   subIndication: 'HASH_FAILURE',
 *   reason: 'Reference URI="#N10025" (<Bordereau>): digest does not match',
 * }
 * ```
 */
export type Check = PassedCheck | FailedCheck | IndeterminateCheck

/** An indication with the sub-indication that explains it (none for TOTAL_PASSED). */
export type Verdict =
  | { readonly indication: 'TOTAL_PASSED'; readonly subIndication?: undefined }
  | { readonly indication: 'TOTAL_FAILED'; readonly subIndication: FailedSubIndication }
  | { readonly indication: 'INDETERMINATE'; readonly subIndication: IndeterminateSubIndication }

// Higher is worse: a single failure decides, then missing evidence, then mere warnings.
const SEVERITY: Readonly<Record<CheckStatus, number>> = { pass: 0, warning: 1, indeterminate: 2, fail: 3 }

/**
 * The overall status of a list of checks: the worst of them (fail > indeterminate > warning > pass). An empty
 * list passes.
 *
 * @example
 * ```ts
 * worst([{ id: 'a', status: 'pass', reason: 'ok' }]) // 'pass'
 * ```
 */
export function worst(checks: readonly Pick<Check, 'status'>[]): CheckStatus {
  let result: CheckStatus = 'pass'
  for (const check of checks) if (SEVERITY[check.status] > SEVERITY[result]) result = check.status
  return result
}

/** How {@link decide} reads a list of checks. */
export interface DecideOptions {
  /** A warning counts as missing evidence (INDETERMINATE, SIG_CONSTRAINTS_FAILURE): for a CI that stops on any finding. */
  readonly strict?: boolean
  /**
   * The checks are one signature's. Its cryptographic verification then goes in the order of EN 319 102-1 §5.2.7:
   * signed data that cannot be obtained (SIGNED_DATA_NOT_FOUND) decides before a digest (HASH_FAILURE) or the
   * signature value (SIG_CRYPTO_FAILURE) is judged, as EU DSS does; every other failure still decides first.
   */
  readonly signature?: boolean
}

/**
 * The verdict a list of checks leads to: the first failure decides, then the first missing evidence.
 *
 * @example
 * ```ts
 * decide([{ id: 'cms.signature', status: 'fail', subIndication: 'SIG_CRYPTO_FAILURE', reason: 'does not verify' }])
 * // { indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' }
 * ```
 */
export function decide(checks: readonly Check[], options: DecideOptions = {}): Verdict {
  if (options.signature === true && checks.some((check) => check.subIndication === 'SIGNED_DATA_NOT_FOUND')) {
    const decisive = checks.some(
      (check) => check.status === 'fail' && check.subIndication !== 'HASH_FAILURE' && check.subIndication !== 'SIG_CRYPTO_FAILURE',
    )
    if (!decisive) return { indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' }
  }
  for (const check of checks) if (check.status === 'fail') return { indication: 'TOTAL_FAILED', subIndication: check.subIndication }
  for (const check of checks)
    if (check.status === 'indeterminate') return { indication: 'INDETERMINATE', subIndication: check.subIndication }
  if (options.strict === true && checks.some((check) => check.status === 'warning'))
    return { indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' }
  return { indication: 'TOTAL_PASSED' }
}

/**
 * The verdict of something judged elsewhere (a signature inside a document, a counter-signature) as a check of
 * the whole, keeping its sub-indication.
 *
 * @example
 * ```ts
 * const documentChecks = signatures.map((signature) => verdictCheck('signature', signature, 'signature S1'))
 * ```
 */
export function verdictCheck(id: string, verdict: Verdict, reason: string): Check {
  if (verdict.indication === 'TOTAL_FAILED') return { id, status: 'fail', subIndication: verdict.subIndication, reason }
  if (verdict.indication === 'INDETERMINATE') return { id, status: 'indeterminate', subIndication: verdict.subIndication, reason }
  return { id, status: 'pass', reason }
}

/** True for a value of the closed vocabulary: for tests and for reading reports back. */
export function isSubIndication(value: unknown): value is SubIndication {
  return (
    typeof value === 'string' &&
    ((FAILED_SUB_INDICATIONS as readonly string[]).includes(value) || (INDETERMINATE_SUB_INDICATIONS as readonly string[]).includes(value))
  )
}
