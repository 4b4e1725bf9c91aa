import { PinIncorrectError, SceauError, type SceauErrorCode } from '../errors.js'

// CKR_* values from the PKCS#11 v2.40 / 3.0 headers. Kept here as numbers (not read from pkcs11js) so the
// mapping is testable without the native addon. pkcs11js errors carry the number in `code`; messages are
// never parsed.
const CKR_NAMES: Readonly<Record<number, string>> = {
  0x0: 'CKR_OK',
  0x1: 'CKR_CANCEL',
  0x2: 'CKR_HOST_MEMORY',
  0x3: 'CKR_SLOT_ID_INVALID',
  0x5: 'CKR_GENERAL_ERROR',
  0x6: 'CKR_FUNCTION_FAILED',
  0x7: 'CKR_ARGUMENTS_BAD',
  0x11: 'CKR_ATTRIBUTE_SENSITIVE',
  0x12: 'CKR_ATTRIBUTE_TYPE_INVALID',
  0x20: 'CKR_DATA_INVALID',
  0x21: 'CKR_DATA_LEN_RANGE',
  0x30: 'CKR_DEVICE_ERROR',
  0x31: 'CKR_DEVICE_MEMORY',
  0x32: 'CKR_DEVICE_REMOVED',
  0x50: 'CKR_FUNCTION_CANCELED',
  0x54: 'CKR_FUNCTION_NOT_SUPPORTED',
  0x60: 'CKR_KEY_HANDLE_INVALID',
  0x63: 'CKR_KEY_TYPE_INCONSISTENT',
  0x68: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  0x70: 'CKR_MECHANISM_INVALID',
  0x71: 'CKR_MECHANISM_PARAM_INVALID',
  0x82: 'CKR_OBJECT_HANDLE_INVALID',
  0x90: 'CKR_OPERATION_ACTIVE',
  0x91: 'CKR_OPERATION_NOT_INITIALIZED',
  0xa0: 'CKR_PIN_INCORRECT',
  0xa1: 'CKR_PIN_INVALID',
  0xa2: 'CKR_PIN_LEN_RANGE',
  0xa3: 'CKR_PIN_EXPIRED',
  0xa4: 'CKR_PIN_LOCKED',
  0xb0: 'CKR_SESSION_CLOSED',
  0xb1: 'CKR_SESSION_COUNT',
  0xb3: 'CKR_SESSION_HANDLE_INVALID',
  0xb4: 'CKR_SESSION_PARALLEL_NOT_SUPPORTED',
  0xe0: 'CKR_TOKEN_NOT_PRESENT',
  0xe1: 'CKR_TOKEN_NOT_RECOGNIZED',
  0xe2: 'CKR_TOKEN_WRITE_PROTECTED',
  0x100: 'CKR_USER_ALREADY_LOGGED_IN',
  0x101: 'CKR_USER_NOT_LOGGED_IN',
  0x102: 'CKR_USER_PIN_NOT_INITIALIZED',
  0x103: 'CKR_USER_TYPE_INVALID',
  0x104: 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN',
  0x150: 'CKR_BUFFER_TOO_SMALL',
  0x190: 'CKR_CRYPTOKI_NOT_INITIALIZED',
  0x191: 'CKR_CRYPTOKI_ALREADY_INITIALIZED',
}

/** CKR numbers sceau reacts to. */
export const CKR = {
  OK: 0x0,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  DEVICE_REMOVED: 0x32,
  PIN_INCORRECT: 0xa0,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const

const CODES: Readonly<Record<string, SceauErrorCode>> = {
  CKR_PIN_INCORRECT: 'PIN_INCORRECT',
  CKR_PIN_LOCKED: 'PIN_LOCKED',
  CKR_PIN_INVALID: 'PIN_INVALID',
  CKR_PIN_LEN_RANGE: 'PIN_INVALID',
  CKR_PIN_EXPIRED: 'PIN_EXPIRED',
  CKR_USER_NOT_LOGGED_IN: 'PIN_REQUIRED',
  CKR_USER_PIN_NOT_INITIALIZED: 'PIN_REQUIRED',
  CKR_TOKEN_NOT_PRESENT: 'TOKEN_NOT_PRESENT',
  CKR_DEVICE_REMOVED: 'TOKEN_NOT_PRESENT',
  CKR_SLOT_ID_INVALID: 'TOKEN_NOT_PRESENT',
  CKR_TOKEN_NOT_RECOGNIZED: 'TOKEN_NOT_RECOGNIZED',
  CKR_MECHANISM_INVALID: 'MECHANISM_INVALID',
  CKR_MECHANISM_PARAM_INVALID: 'MECHANISM_INVALID',
  CKR_KEY_TYPE_INCONSISTENT: 'MECHANISM_INVALID',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'MECHANISM_INVALID',
  CKR_KEY_HANDLE_INVALID: 'KEY_NOT_FOUND',
  CKR_OBJECT_HANDLE_INVALID: 'KEY_NOT_FOUND',
  CKR_SESSION_COUNT: 'SESSION_EXHAUSTED',
  CKR_SESSION_CLOSED: 'SESSION_CLOSED',
  CKR_SESSION_HANDLE_INVALID: 'SESSION_CLOSED',
  CKR_DEVICE_ERROR: 'DEVICE_ERROR',
  CKR_DEVICE_MEMORY: 'DEVICE_ERROR',
  CKR_FUNCTION_CANCELED: 'ABORTED',
  CKR_CANCEL: 'ABORTED',
}

/** The CKR_* name of a return value (`CKR_0x…` for vendor-defined ones). */
export function ckrName(value: number): string {
  return CKR_NAMES[value] ?? `CKR_0x${value.toString(16).padStart(8, '0')}`
}

/** The CKR number carried by a pkcs11js error, or undefined for anything else. */
export function ckrOf(err: unknown): number | undefined {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && err.name === 'Pkcs11Error') {
    return (err as unknown as { code: number }).code
  }
  return undefined
}

/** The sceau error code for a CKR value; `PKCS11_ERROR` for values sceau does not single out. */
export function codeForCkr(value: number): SceauErrorCode {
  return CODES[ckrName(value)] ?? 'PKCS11_ERROR'
}

/**
 * Turns whatever a pkcs11js call threw into a SceauError. `context` is a short phrase ("signing with key
 * \"x\""), `details` an allow-listed set of scalars: a PIN never goes through here.
 */
export function toSceauError(
  err: unknown,
  context: string,
  details: Record<string, string | number | boolean | null | undefined> = {},
): SceauError {
  if (err instanceof SceauError) return err
  const value = ckrOf(err)
  if (value === undefined) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
    return new SceauError('PKCS11_ERROR', `${context}: ${reason}`, { cause: err, details })
  }
  const name = ckrName(value)
  const code = codeForCkr(value)
  const message = `${context}: ${HUMAN[code] ?? 'the PKCS#11 module returned an error'} (${name})`
  if (code === 'PIN_INCORRECT') {
    return new PinIncorrectError(message, { triesLeft: 'unknown', cause: err, details: { ...details, ckr: name } })
  }
  return new SceauError(code, message, { cause: err, details: { ...details, ckr: name } })
}

const HUMAN: Partial<Record<SceauErrorCode, string>> = {
  PIN_INCORRECT: 'wrong PIN',
  PIN_LOCKED: 'the PIN is locked; the token must be unblocked with its PUK or by the certification authority',
  PIN_INVALID: 'the PIN does not have the form the token accepts (length or characters)',
  PIN_EXPIRED: 'the PIN has expired and must be changed with the vendor tool',
  PIN_REQUIRED: 'this operation needs a login',
  TOKEN_NOT_PRESENT: 'the token is not present (removed, or the reader lost it)',
  TOKEN_NOT_RECOGNIZED: 'the token in this slot is not recognised (not initialised, or not supported by this module)',
  MECHANISM_INVALID: 'the token does not support this mechanism with this key',
  KEY_NOT_FOUND: 'the key is no longer on the token',
  SESSION_EXHAUSTED: 'the token refuses more sessions',
  SESSION_CLOSED: 'the session was closed (token removed or reset)',
  DEVICE_ERROR: 'the device reported an error',
  ABORTED: 'the operation was cancelled',
}
