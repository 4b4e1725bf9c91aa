import { SceauError, type SceauErrorCode } from '../errors.js'

/** Exit codes shared by every sceau command. */
export const EXIT = {
  /** The command did what was asked; a verification passed. */
  OK: 0,
  /** A negative verdict: a signature or a certificate fails. */
  FAILED: 1,
  /** Usage, input or environment error: the command could not run. */
  ERROR: 2,
  /** Indeterminate: the verdict cannot be decided (missing revocation data, unknown trust anchor). */
  INDETERMINATE: 3,
} as const

/** One line for a terminal: `sceau: CODE: message`. */
export function errorLine(err: unknown): string {
  if (err instanceof SceauError) return `sceau: ${err.code}: ${err.message}`
  return `sceau: INTERNAL: ${err instanceof Error ? err.message : String(err)}`
}

/** The JSON form of an error, for `--json`. */
export function errorJson(err: unknown): {
  error: { code: SceauErrorCode | 'INTERNAL'; message: string; details: Record<string, unknown> }
} {
  if (err instanceof SceauError) return { error: { code: err.code, message: err.message, details: { ...err.details } } }
  return { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), details: {} } }
}
