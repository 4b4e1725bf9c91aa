/**
 * The token layer: PKCS#11 modules, slots, tokens, objects, `pkcs11:` URIs, login and the session pool.
 * The only part of sceau that loads pkcs11js, and only when a module is opened.
 *
 * @packageDocumentation
 */
export { Pkcs11Module, type ModuleInfo } from './module.js'
export { listSlots, type SlotDescription, type TokenDescription } from './slots.js'
export { decodeTokenFlags, pinTriesLeft, type TokenFlags, type SlotFlags } from './token-info.js'
export { Token, type OpenTokenOptions, type TokenCertificate, type TokenKey, type TokenKeyHandle } from './token.js'
export {
  listTokens,
  type Inventory,
  type InventoryToken,
  type InventoryCertificate,
  type InventoryKey,
  type SkippedSlot,
  type ListTokensOptions,
} from './inventory.js'
export { pinFromEnv, pinFromFile, pinFromPrompt, pinFromUriSource, pinPad, type PinSource, type PinRequest } from './pin.js'
export { parsePkcs11Uri, formatPkcs11Uri, matchesPkcs11Uri, type Pkcs11Uri, type Pkcs11ObjectType } from './uri.js'
export { findModules, defaultModule, resolveModule, KNOWN_MODULES, type KnownModule, type FoundModule } from './discover.js'
export type { RawSignMechanism } from './mechanisms.js'
