import { toSceauError } from './ckr.js'
import type { Pkcs11Module } from './module.js'
import type { Handle } from './native.js'
import { decodeSlotFlags, decodeTokenFlags, type SlotFlags, type TokenFlags } from './token-info.js'

/** A token as C_GetTokenInfo describes it. */
export interface TokenDescription {
  readonly label: string
  readonly manufacturer: string
  readonly model: string
  readonly serial: string
  readonly flags: TokenFlags
  readonly maxSessionCount: number
  readonly sessionCount: number
  readonly minPinLength: number
  readonly maxPinLength: number
  readonly hardwareVersion: string
  readonly firmwareVersion: string
}

/** A slot and, when present, its token. */
export interface SlotDescription {
  /** The CK_SLOT_ID as a number (what `pkcs11-tool --slot` and the `slot-id` URI attribute use). */
  readonly slotId: number
  readonly description: string
  readonly manufacturer: string
  readonly flags: SlotFlags
  /** Undefined when no token is present or its information cannot be read. */
  readonly token: TokenDescription | undefined
  /** Why `token` is undefined although the slot says a token is present. */
  readonly problem?: string
  /** Internal: the native handle. */
  readonly handle: Handle
}

/** Reads a CK_SLOT_ID handle (8 bytes little-endian on 64-bit hosts, 4 on 32-bit) as a number. */
export function slotIdOf(handle: Handle): number {
  if (handle.length >= 8) return Number(handle.readBigUInt64LE(0))
  return handle.readUInt32LE(0)
}

/**
 * Lists the module's slots. A slot whose token cannot be read (SoftHSM's spare uninitialised slot answers
 * CKR_TOKEN_NOT_RECOGNIZED on some calls) is reported with a `problem`, never thrown.
 *
 * @example
 * ```ts
 * for (const slot of listSlots(module)) console.log(slot.slotId, slot.token?.label)
 * ```
 */
export function listSlots(module: Pkcs11Module): SlotDescription[] {
  const lib = module.lib
  let handles: Handle[]
  try {
    handles = lib.C_GetSlotList(false)
  } catch (cause) {
    throw toSceauError(cause, `cannot list the slots of "${module.info.path}"`, { module: module.info.path })
  }
  return handles.map((handle) => describeSlot(module, handle))
}

/** Reads one slot's description and its token's. */
export function describeSlot(module: Pkcs11Module, handle: Handle): SlotDescription {
  const lib = module.lib
  const slotId = slotIdOf(handle)
  let info: ReturnType<typeof lib.C_GetSlotInfo>
  try {
    info = lib.C_GetSlotInfo(handle)
  } catch (cause) {
    throw toSceauError(cause, `cannot read slot ${slotId}`, { module: module.info.path, slot: slotId })
  }
  const flags = decodeSlotFlags(info.flags)
  const base = {
    slotId,
    description: info.slotDescription.trim(),
    manufacturer: info.manufacturerID.trim(),
    flags,
    handle,
  }
  if (!flags.tokenPresent) return { ...base, token: undefined }
  try {
    return { ...base, token: readTokenInfo(module, handle) }
  } catch (cause) {
    return { ...base, token: undefined, problem: toSceauError(cause, `cannot read the token in slot ${slotId}`).message }
  }
}

/** C_GetTokenInfo, decoded. Throws a SceauError (TOKEN_NOT_PRESENT when the token has gone). */
export function readTokenInfo(module: Pkcs11Module, handle: Handle): TokenDescription {
  let info: ReturnType<Pkcs11Module['lib']['C_GetTokenInfo']>
  try {
    info = module.lib.C_GetTokenInfo(handle)
  } catch (cause) {
    throw toSceauError(cause, `cannot read the token in slot ${slotIdOf(handle)}`, { slot: slotIdOf(handle) })
  }
  return {
    label: info.label.trim(),
    manufacturer: info.manufacturerID.trim(),
    model: info.model.trim(),
    serial: info.serialNumber.trim(),
    flags: decodeTokenFlags(info.flags),
    maxSessionCount: info.maxSessionCount,
    sessionCount: info.sessionCount,
    minPinLength: info.minPinLen,
    maxPinLength: info.maxPinLen,
    hardwareVersion: `${info.hardwareVersion.major}.${info.hardwareVersion.minor}`,
    firmwareVersion: `${info.firmwareVersion.major}.${info.firmwareVersion.minor}`,
  }
}
