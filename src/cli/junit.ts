// JUnit XML for CI systems (GitLab, Jenkins): one test suite per file, one test case per signature and per
// document check, so a pipeline shows which bordereau of which flow failed.

import type { CadesVerificationReport } from '../cades/verify-cades.js'
import type { PdfVerificationReport } from '../pades/verify-pdf.js'
import type { XmlVerificationReport } from '../xades/verify.js'
import type { Check } from '../verdicts.js'
import { errorLine } from './exit-codes.js'

/** A file `sceau verify` looked at: its report, or why there is none. */
export type VerifiedFile =
  { file: string; report: XmlVerificationReport | PdfVerificationReport | CadesVerificationReport } | { file: string; error: unknown }

/** The JUnit XML of a verification run. */
export function junitReport(files: readonly VerifiedFile[]): string {
  const suites = files.map((entry) => {
    if ('error' in entry) {
      return `  <testsuite name="${xml(entry.file)}" tests="1" failures="0" errors="1">\n    <testcase classname="${xml(entry.file)}" name="read"><error message="${xml(errorLine(entry.error))}"/></testcase>\n  </testsuite>`
    }
    const cases: string[] = []
    let failures = 0
    const report = entry.report
    const named =
      report.kind === 'pdf'
        ? report.signatures.map((signature) => ({ signature, name: `signature ${signature.field}` }))
        : report.kind === 'cades'
          ? cadesCases(report.signatures, `of ${report.content}`)
          : report.signatures.map((signature) => {
              const covers = signature.covers
                .filter((covered) => covered.scope !== 'signed-properties')
                .map((covered) => covered.id ?? covered.element)
              return { signature, name: `signature ${signature.id ?? signature.offset} (${covers.join(', ')})` }
            })
    for (const { signature, name } of named) {
      const out = systemOut(signature.checks)
      if (signature.indication === 'TOTAL_PASSED') cases.push(testcase(entry.file, name, out))
      else {
        failures++
        const reasons = signature.checks
          .filter((check) => check.status === 'fail' || check.status === 'indeterminate')
          .map((check) => `${check.id}: ${check.reason}`)
        const message = `${signature.indication} ${signature.subIndication ?? ''}`.trim()
        const failure = `<failure type="${signature.indication}" message="${xml(message)}">${xml(reasons.join('\n'))}</failure>`
        cases.push(testcase(entry.file, name, `${failure}${out}`))
      }
    }
    for (const check of entry.report.checks) {
      if (check.status === 'fail' || check.status === 'indeterminate') {
        failures++
        const type = check.status === 'fail' ? 'TOTAL_FAILED' : 'INDETERMINATE'
        cases.push(testcase(entry.file, check.id, `<failure type="${type}" message="${xml(`${check.subIndication}: ${check.reason}`)}"/>`))
      } else cases.push(testcase(entry.file, check.id, systemOut([check])))
    }
    return `  <testsuite name="${xml(entry.file)}" tests="${cases.length}" failures="${failures}" errors="0">\n${cases.join('\n')}\n  </testsuite>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sceau verify">\n${suites.join('\n')}\n</testsuites>\n`
}

/** Each CAdES signature, then its counter-signatures, as test cases named by their place and signer. */
function cadesCases(
  signatures: CadesVerificationReport['signatures'],
  what: string,
  prefix = 'signature',
): { signature: CadesVerificationReport['signatures'][number]; name: string }[] {
  return signatures.flatMap((signature, k) => {
    const name = `${prefix} ${k + 1} ${what}${signature.signer ? ` (${signature.signer.subject})` : ''}`
    return [{ signature, name }, ...cadesCases(signature.counterSignatures, `on ${prefix} ${k + 1}`, 'counter-signature')]
  })
}

/** A test case, with `inner` (a failure, the warnings) when there is any. */
function testcase(file: string, name: string, inner: string): string {
  const open = `    <testcase classname="${xml(file)}" name="${xml(name)}"`
  return inner === '' ? `${open}/>` : `${open}>${inner}</testcase>`
}

/**
 * The warnings of a signature or document check as the test case's <system-out>: a passed signature with a warning
 * (a form filled after an approval signature, an unusable time-stamp) stays green, and the CI page still says why
 * it deserves a look.
 */
function systemOut(checks: readonly Check[]): string {
  const warnings = checks.filter((check) => check.status === 'warning').map((check) => `warning ${check.id}: ${check.reason}`)
  return warnings.length === 0 ? '' : `<system-out>${xml(warnings.join('\n'))}</system-out>`
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
