/**
 * Every failure sceau throws is a {@link SceauError} with a stable `code` a caller can switch on.
 * Verdicts (a signature that does not verify, a certificate that fails a profile) are returned as reports,
 * not thrown.
 *
 * Exported from `'sceau'` and `'sceau/errors'`.
 *
 * @packageDocumentation
 */

/** Stable error codes. Messages may change between versions; codes do not. */
export type SceauErrorCode =
  // PKCS#11 module and token
  | 'PKCS11_UNAVAILABLE'
  | 'MODULE_NOT_FOUND'
  | 'MODULE_LOAD_FAILED'
  | 'TOKEN_NOT_FOUND'
  | 'TOKEN_NOT_PRESENT'
  | 'TOKEN_NOT_RECOGNIZED'
  | 'KEY_NOT_FOUND'
  | 'PIN_INCORRECT'
  | 'PIN_LOCKED'
  | 'PIN_REQUIRED'
  | 'PIN_INVALID'
  | 'PIN_EXPIRED'
  | 'PIN_SOURCE_FAILED'
  | 'MECHANISM_INVALID'
  | 'SESSION_EXHAUSTED'
  | 'SESSION_CLOSED'
  | 'DEVICE_ERROR'
  | 'PKCS11_ERROR'
  | 'URI_INVALID'
  // keys, certificates and algorithms
  | 'ALGORITHM_UNSUPPORTED'
  | 'CERTIFICATE_MALFORMED'
  | 'PKCS12_BAD_PASSWORD'
  | 'PKCS12_MALFORMED'
  | 'PKCS12_UNSUPPORTED'
  // inputs and outputs
  | 'INPUT_MALFORMED'
  | 'INPUT_TOO_LARGE'
  | 'FILE_NOT_FOUND'
  | 'OUTPUT_WRITE_FAILED'
  | 'USAGE'
  | 'ABORTED'
  // documents to sign
  | 'PES_STRUCTURE'
  | 'PES_ID_INVALID'
  | 'PES_INFO_DEMATERIALISEE'
  | 'ALREADY_SIGNED'
  | 'PDF_ENCRYPTED'
  | 'LT_DATA_MISSING'
  | 'CONTENT_MISMATCH'
  // services
  | 'TIMESTAMP_FAILED'

/**
 * Context attached to an error: a token label, a slot, a file, a CKR name. Scalars only, built from an
 * allow-list at the throw site, so that a secret can never ride along into a log or a JSON report.
 */
export type SceauErrorDetails = Readonly<Record<string, string | number | boolean | null>>

/**
 * The one error class of sceau.
 *
 * @example
 * ```ts
 * import { SceauError } from 'sceau/errors'
 * try {
 *   await token.login(pinFromEnv('SCEAU_PIN'))
 * } catch (err) {
 *   if (err instanceof SceauError && err.code === 'PIN_INCORRECT') console.error(err.message)
 *   else throw err
 * }
 * ```
 */
export class SceauError extends Error {
  /** Stable, switchable code. */
  readonly code: SceauErrorCode
  /** Scalar context (never a secret). */
  readonly details: SceauErrorDetails

  constructor(
    code: SceauErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string | number | boolean | null | undefined> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SceauError'
    this.code = code
    const details: Record<string, string | number | boolean | null> = {}
    for (const [key, value] of Object.entries(options.details ?? {})) {
      if (value !== undefined) details[key] = value
    }
    this.details = Object.freeze(details)
  }

  /** What `JSON.stringify` prints: code, message and details, never the cause chain. */
  toJSON(): { name: string; code: SceauErrorCode; message: string; details: SceauErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details }
  }
}

/** How many PIN tries the token's flags suggest remain. PKCS#11 gives no exact count. */
export type PinTriesLeft = 'unknown' | 'low' | 'final' | 'none'

/**
 * A wrong PIN. sceau never retries a PIN by itself: the caller decides whether to ask again,
 * looking at {@link PinIncorrectError.triesLeft}.
 */
export class PinIncorrectError extends SceauError {
  /** From CKF_USER_PIN_COUNT_LOW / CKF_USER_PIN_FINAL_TRY read after the failed attempt. */
  readonly triesLeft: PinTriesLeft

  constructor(
    message: string,
    options: { triesLeft: PinTriesLeft; cause?: unknown; details?: Record<string, string | number | boolean | null | undefined> },
  ) {
    super('PIN_INCORRECT', message, { cause: options.cause, details: { ...options.details, triesLeft: options.triesLeft } })
    this.name = 'PinIncorrectError'
    this.triesLeft = options.triesLeft
  }
}

/** True when `err` is a {@link SceauError}, optionally with the given code. */
export function isSceauError(err: unknown, code?: SceauErrorCode): err is SceauError {
  return err instanceof SceauError && (code === undefined || err.code === code)
}
