// Flag bits of CK_SLOT_INFO and CK_TOKEN_INFO (PKCS#11 v2.40 §3.2). Pure decoding: no native code here,
// so it is unit-tested without a module.
const SLOT = { TOKEN_PRESENT: 0x1, REMOVABLE_DEVICE: 0x2, HW_SLOT: 0x4 } as const
const TOKEN = {
  RNG: 0x1,
  WRITE_PROTECTED: 0x2,
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_COUNT_LOW: 0x10000,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
  USER_PIN_TO_BE_CHANGED: 0x80000,
  SO_PIN_LOCKED: 0x400000,
} as const

/** The token flags an application acts on. */
export interface TokenFlags {
  readonly loginRequired: boolean
  readonly userPinInitialized: boolean
  readonly tokenInitialized: boolean
  /** A PIN pad or biometric reader: log in without sending a PIN. */
  readonly protectedAuthenticationPath: boolean
  readonly writeProtected: boolean
  /** At least one wrong PIN since the last good one. */
  readonly pinCountLow: boolean
  /** One more wrong PIN locks the token. */
  readonly pinFinalTry: boolean
  readonly pinLocked: boolean
  readonly pinToBeChanged: boolean
  readonly soPinLocked: boolean
  readonly rng: boolean
}

/** Decodes CK_TOKEN_INFO.flags. */
export function decodeTokenFlags(flags: number): TokenFlags {
  const has = (bit: number): boolean => (flags & bit) !== 0
  return {
    loginRequired: has(TOKEN.LOGIN_REQUIRED),
    userPinInitialized: has(TOKEN.USER_PIN_INITIALIZED),
    tokenInitialized: has(TOKEN.TOKEN_INITIALIZED),
    protectedAuthenticationPath: has(TOKEN.PROTECTED_AUTHENTICATION_PATH),
    writeProtected: has(TOKEN.WRITE_PROTECTED),
    pinCountLow: has(TOKEN.USER_PIN_COUNT_LOW),
    pinFinalTry: has(TOKEN.USER_PIN_FINAL_TRY),
    pinLocked: has(TOKEN.USER_PIN_LOCKED),
    pinToBeChanged: has(TOKEN.USER_PIN_TO_BE_CHANGED),
    soPinLocked: has(TOKEN.SO_PIN_LOCKED),
    rng: has(TOKEN.RNG),
  }
}

/** The slot flags. */
export interface SlotFlags {
  readonly tokenPresent: boolean
  readonly removableDevice: boolean
  readonly hardwareSlot: boolean
}

/** Decodes CK_SLOT_INFO.flags. */
export function decodeSlotFlags(flags: number): SlotFlags {
  return {
    tokenPresent: (flags & SLOT.TOKEN_PRESENT) !== 0,
    removableDevice: (flags & SLOT.REMOVABLE_DEVICE) !== 0,
    hardwareSlot: (flags & SLOT.HW_SLOT) !== 0,
  }
}

/**
 * What the token flags say of the PIN tries left. PKCS#11 gives no count, only "low" and "final try";
 * the exact number stays with the card.
 */
export function pinTriesLeft(flags: TokenFlags): 'unknown' | 'low' | 'final' | 'none' {
  if (flags.pinLocked) return 'none'
  if (flags.pinFinalTry) return 'final'
  if (flags.pinCountLow) return 'low'
  return 'unknown'
}

// CK_ULONG "unavailable information" and "effectively infinite" markers for session counts.
const CK_UNAVAILABLE_INFORMATION_32 = 0xffffffff
const CK_EFFECTIVELY_INFINITE = 0

/**
 * The most sessions worth opening on a token: its `ulMaxSessionCount` when it states one, else `fallback`.
 * Some smart cards allow a single session.
 */
export function sessionLimit(maxSessionCount: number, fallback: number): number {
  if (
    maxSessionCount === CK_EFFECTIVELY_INFINITE ||
    maxSessionCount >= CK_UNAVAILABLE_INFORMATION_32 ||
    !Number.isFinite(maxSessionCount)
  ) {
    return fallback
  }
  return Math.max(1, Math.min(maxSessionCount, fallback))
}
