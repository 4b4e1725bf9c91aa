// JUnit XML for CI systems (GitLab, Jenkins): one test suite per file, one test case per signature and per
// document check, so a pipeline shows which bordereau of which flow failed.

import type { CadesVerificationReport } from '../cades/verify-cades.js'
import type { PdfVerificationReport } from '../pades/verify-pdf.js'
import type { XmlVerificationReport } from '../xades/verify.js'
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
      if (signature.indication === 'TOTAL_PASSED') cases.push(`    <testcase classname="${xml(entry.file)}" name="${xml(name)}"/>`)
      else {
        failures++
        const reasons = signature.checks
          .filter((check) => check.status === 'fail' || check.status === 'indeterminate')
          .map((check) => `${check.id}: ${check.reason}`)
        cases.push(
          `    <testcase classname="${xml(entry.file)}" name="${xml(name)}"><failure type="${signature.indication}" message="${xml(`${signature.indication} ${signature.subIndication ?? ''}`.trim())}">${xml(reasons.join('\n'))}</failure></testcase>`,
        )
      }
    }
    for (const check of entry.report.checks) {
      if (check.status === 'fail') {
        failures++
        cases.push(
          `    <testcase classname="${xml(entry.file)}" name="${xml(check.id)}"><failure type="TOTAL_FAILED" message="${xml(check.reason)}"/></testcase>`,
        )
      } else cases.push(`    <testcase classname="${xml(entry.file)}" name="${xml(check.id)}"/>`)
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

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
