/**
 * The one result shape of every validation step: a named check with a status and a reason in plain words.
 * Chain building, revocation, trusted lists and profiles all report lists of these, so a report can show them
 * side by side and a caller can find one by its id.
 *
 * @packageDocumentation
 */

/**
 * How a check came out, in the ETSI EN 319 102-1 sense: `fail` is a proven defect (expired, revoked, a signature
 * that does not verify); `indeterminate` means the evidence needed is missing or unusable (no path to a trust
 * anchor, a stale CRL); `warning` is a finding that does not block.
 */
export type CheckStatus = 'pass' | 'fail' | 'indeterminate' | 'warning'

/**
 * One named check. Plain data: `JSON.stringify` gives the whole of it, and dates inside `reason` are ISO 8601.
 *
 * @example
 * ```ts
 * const check: Check = {
 *   id: 'validity.notAfter',
 *   status: 'fail',
 *   reason: 'certificate expired on 2024-03-01T00:00:00.000Z (checked at 2024-06-01T00:00:00.000Z)',
 *   subject: 'C=FR, O=Commune, CN=Camille DUPONT',
 * }
 * ```
 */
export interface Check {
  /** Stable dotted name of the check, e.g. `chain.signature`, `validity.notAfter`, `revocation.crl`. */
  readonly id: string
  readonly status: CheckStatus
  /** What was found, in plain words, with the dates and names involved. */
  readonly reason: string
  /** Subject DN of the certificate the check is about, when it is about one. */
  readonly subject?: string
}

// Higher is worse: a single failure decides, then missing evidence, then mere warnings.
const SEVERITY: Readonly<Record<CheckStatus, number>> = { pass: 0, warning: 1, indeterminate: 2, fail: 3 }

/**
 * The overall status of a list of checks: the worst of them (fail > indeterminate > warning > pass).
 * An empty list passes.
 *
 * @example
 * ```ts
 * worst([{ id: 'a', status: 'pass', reason: 'ok' }, { id: 'b', status: 'indeterminate', reason: 'no CRL' }]) // 'indeterminate'
 * ```
 */
export function worst(checks: readonly Pick<Check, 'status'>[]): CheckStatus {
  let result: CheckStatus = 'pass'
  for (const check of checks) if (SEVERITY[check.status] > SEVERITY[result]) result = check.status
  return result
}
