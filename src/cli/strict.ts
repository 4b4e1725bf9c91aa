// `sceau verify --strict`: every warning counts as missing evidence, so that a CI can stop on any finding (a form
// filled after an approval signature, a signature time-stamp that proves nothing, an unused DSS entry…).

import { type Check, type Indication, type SubIndication, decide, verdictCheck, type Verdict } from '../verdicts.js'

/** What every report node has: a verdict, its checks, and the signatures judged inside it. */
interface Judged {
  readonly indication: Indication
  readonly subIndication?: SubIndication
  readonly checks: readonly Check[]
  readonly signatures?: readonly Judged[]
  readonly counterSignatures?: readonly Judged[]
}

/**
 * The report with its verdicts decided strictly: a TOTAL_PASSED signature or document with a warning becomes
 * INDETERMINATE (SIG_CONSTRAINTS_FAILURE, see `decide` in src/verdicts.ts), and a document with such a signature
 * follows it. TOTAL_FAILED and INDETERMINATE verdicts stay as they are.
 *
 * @example
 * ```ts
 * const report = strictReport(await verifyPdf(bytes, options))
 * ```
 */
export function strictReport<T extends Judged>(report: T): T {
  const signatures = report.signatures?.map((signature) => strictReport(signature))
  const counterSignatures = report.counterSignatures?.map((signature) => strictReport(signature))
  const verdict: Verdict =
    report.indication === 'TOTAL_PASSED'
      ? decide([...report.checks, ...(signatures ?? []).map((signature) => verdictCheck('signature', signature as Verdict, 'signature'))], {
          strict: true,
        })
      : ({ indication: report.indication, subIndication: report.subIndication } as Verdict)
  return {
    ...report,
    ...(signatures === undefined ? {} : { signatures }),
    ...(counterSignatures === undefined ? {} : { counterSignatures }),
    indication: verdict.indication,
    subIndication: verdict.subIndication,
  }
}
