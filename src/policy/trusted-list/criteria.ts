/**
 * Evaluates a TL `CriteriaList` against a certificate's key usage and policies, with the semantics of
 * TS 119 612 §5.5.9.2.1 as DSS implements them (`CriteriaListConverter`, `CompositeCondition`).
 *
 * @packageDocumentation
 */

import type { CriteriaList } from './types.js'

/** The facts of a certificate a criteria list looks at (`describeCertificate` gives both). */
export interface CriteriaSubject {
  /** keyUsage bits that are set, by name (`nonRepudiation`…). */
  readonly keyUsage: readonly string[]
  /** certificatePolicies OIDs. */
  readonly policies: readonly string[]
}

/** The outcome of {@link matchesCriteria}. */
export interface CriteriaMatch {
  readonly matches: boolean
  /**
   * True when the list (or a nested one) holds a criterion sceau does not evaluate (ExtendedKeyUsage,
   * CertSubjectDNAttribute…). Such a criterion counts as not matching, which under `assert="none"` makes the
   * list more permissive: a caller that must be sure treats `unknownCriteria` as "cannot decide".
   */
  readonly unknownCriteria: boolean
}

/**
 * Whether a certificate meets a `CriteriaList`. Each `KeyUsage` child matches when all its bits have the
 * stated value; each `PolicySet` child when every one of its OIDs is among the certificate's policies; each
 * nested list by the same rules. `assert` then combines the children: `all` (true when there are none),
 * `atLeastOne`, `none`.
 *
 * @example
 * ```ts
 * import { describeCertificate } from 'sceau'
 * const cert = describeCertificate(der)
 * const hit = service.qualifications.filter((q) => matchesCriteria(q.criteria, cert).matches)
 * const qualifiers = hit.flatMap((q) => q.qualifiers)
 * ```
 */
export function matchesCriteria(criteria: CriteriaList, certificate: CriteriaSubject): CriteriaMatch {
  const keyUsage = new Set(certificate.keyUsage)
  const policies = new Set(certificate.policies)
  let unknownCriteria = false
  const evaluate = (list: CriteriaList): boolean => {
    const results: boolean[] = [
      ...list.keyUsage.map((bits) => Object.entries(bits).every(([bit, set]) => keyUsage.has(bit) === set)),
      ...list.policySets.map((set) => set.every((oid) => policies.has(oid))),
      // Evaluated eagerly so that an unknown criterion deep down is always reported.
      ...list.criteriaLists.map(evaluate),
    ]
    if (list.otherCriteria.length > 0) {
      unknownCriteria = true
      results.push(...list.otherCriteria.map(() => false))
    }
    if (list.assert === 'all') return results.every(Boolean)
    if (list.assert === 'atLeastOne') return results.some(Boolean)
    return !results.some(Boolean)
  }
  const matches = evaluate(criteria)
  return { matches, unknownCriteria }
}
