// How a `sceau verify --json` report is set against another tool's verdict: the interop corpus runner
// (scripts/interop.ts) and the generated-signature interop test (native-tests/interop-generated.test.ts) share it.

/** A check as `sceau verify --json` prints it. */
export interface ReportCheck {
  readonly id: string
  readonly status: string
  readonly subIndication?: string
  readonly reason: string
}

/** A signature as `sceau verify --json` prints it (XML, PDF or CMS; CMS ones may carry counter-signatures). */
export interface ReportSignature {
  readonly indication: string
  readonly subIndication?: string
  readonly checks?: readonly ReportCheck[]
  readonly counterSignatures?: readonly ReportSignature[]
}

/** One file of `sceau verify --json`. */
export interface ReportFile {
  readonly indication?: string
  readonly subIndication?: string
  readonly signatures?: readonly ReportSignature[]
  readonly checks?: readonly ReportCheck[]
}

/** Sub-indications of a failed check that say a digest or signature value is wrong, or the format is broken. */
const CRYPTO_FAILURES = new Set(['HASH_FAILURE', 'SIG_CRYPTO_FAILURE', 'FORMAT_FAILURE'])
/** Sub-indications of an INDETERMINATE check that mean the cryptography was not checked at all. */
const NOT_VERIFIED = new Set(['SIGNED_DATA_NOT_FOUND', 'NO_SIGNING_CERTIFICATE_FOUND', 'CRYPTO_CONSTRAINTS_FAILURE', 'FORMAT_FAILURE'])

/** Checks about which certificate signed, not about the digests and the signature value. */
const CERTIFICATE_BINDING = /^(certificate|xades\.signing-certificate|cms\.signing-certificate)$/

/** Every check of a report: its signatures', their counter-signatures', and the file's own. */
export function reportChecks(report: ReportFile): ReportCheck[] {
  const fromSignature = (signature: ReportSignature): ReportCheck[] => [
    ...(signature.checks ?? []),
    ...(signature.counterSignatures ?? []).flatMap(fromSignature),
  ]
  return [...(report.signatures ?? []).flatMap(fromSignature), ...(report.checks ?? [])]
}

/** `id [SUB]: reason` of a check. */
export function describeCheck(check: ReportCheck): string {
  return `${check.id}${check.subIndication ? ` [${check.subIndication}]` : ''}: ${check.reason}`
}

/** The first failed check, else the first INDETERMINATE one. */
export function firstProblem(report: ReportFile): ReportCheck | undefined {
  const checks = reportChecks(report)
  return checks.find((check) => check.status === 'fail') ?? checks.find((check) => check.status === 'indeterminate')
}

/**
 * Why the report does not find every signature cryptographically intact, or undefined when it does: a digest or
 * signature value that fails, a format failure, or a signature sceau could not check (unsupported algorithm or
 * transform, no key, no signed data). Trust, revocation and time problems are not counted: the other tool's
 * "intact" says nothing of them.
 */
export function notIntact(report: ReportFile): string | undefined {
  const checks = reportChecks(report)
  const failed = checks.find((check) => check.status === 'fail' && CRYPTO_FAILURES.has(check.subIndication ?? ''))
  if (failed !== undefined) return describeCheck(failed)
  // Only the checks of the cryptography itself count: a signature verified with a bare key value, or whose XAdES /
  // ESS reference to its certificate does not match, has an undecided certificate part (NO_SIGNING_CERTIFICATE_FOUND)
  // but its digests and value were checked, which is what "intact" asks.
  const unchecked = checks.find(
    (check) => check.status === 'indeterminate' && NOT_VERIFIED.has(check.subIndication ?? '') && !CERTIFICATE_BINDING.test(check.id),
  )
  if (unchecked !== undefined) return describeCheck(unchecked)
  if ((report.signatures ?? []).length === 0) return 'no signature found'
  return undefined
}
