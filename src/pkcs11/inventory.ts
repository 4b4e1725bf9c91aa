import { SceauError } from '../errors.js'
import type { KeyDescription } from '../types.js'
import { describeCertificate } from '../x509/describe.js'
import { Pkcs11Module } from './module.js'
import type { PinSource } from './pin.js'
import { listSlots, type TokenDescription } from './slots.js'
import { slotMatches, Token } from './token.js'
import type { TokenFlags } from './token-info.js'

/** A certificate as `sceau tokens` shows it. */
export interface InventoryCertificate {
  /** CKA_ID, lowercase hex. */
  readonly id: string
  readonly label: string
  readonly subject: string
  readonly issuer: string
  /** Lowercase hex. */
  readonly serialNumber: string
  /** ISO 8601. */
  readonly notBefore: string
  readonly notAfter: string
  readonly keyUsage: readonly string[]
  /** Certificate policy OIDs. */
  readonly policies: readonly string[]
  readonly qcStatements: { readonly compliance: boolean; readonly sscd: boolean; readonly types: readonly string[] } | null
  readonly isCA: boolean
  /** True or false after login; null without (private keys are hidden until then). */
  readonly hasPrivateKey: boolean | null
  readonly uri: string
}

/** A key as `sceau tokens` shows it. */
export interface InventoryKey {
  readonly id: string
  readonly label: string
  readonly class: 'private' | 'public'
  readonly type: 'RSA' | 'EC' | 'unsupported'
  readonly size?: number
  readonly curve?: string
  readonly sensitive?: boolean | null
  readonly extractable?: boolean | null
  readonly neverExtractable?: boolean | null
  readonly alwaysAuthenticate?: boolean
  /** CKA_ID of the paired certificate (private keys, after login). */
  readonly certificateId?: string | null
  readonly uri: string
}

/** One token and what it holds. */
export interface InventoryToken {
  readonly module: string
  readonly slot: number
  readonly label: string
  readonly manufacturer: string
  readonly model: string
  readonly serial: string
  /** The token's flags, and the slot's "token present". */
  readonly flags: TokenFlags & { readonly tokenPresent: boolean }
  readonly uri: string
  readonly loggedIn: boolean
  readonly certificates: readonly InventoryCertificate[]
  readonly keys: readonly InventoryKey[]
}

/** A slot that was not listed, and why (SoftHSM's spare uninitialised slot, an unreadable card). */
export interface SkippedSlot {
  readonly module: string
  readonly slot: number
  readonly reason: string
}

/** Everything a module shows. */
export interface Inventory {
  readonly tokens: readonly InventoryToken[]
  readonly skippedSlots: readonly SkippedSlot[]
}

/** Options of {@link listTokens}. */
export interface ListTokensOptions {
  /** Path of the PKCS#11 module. */
  readonly module: string
  /** Only this token (a `pkcs11:` URI or a label). */
  readonly token?: string
  /** Log in to see private keys; needs a single token (or `token`). */
  readonly pin?: PinSource
}

/**
 * Lists the tokens a module sees with their certificates and keys; every object with its `pkcs11:` URI.
 * Without a PIN, what the tokens show publicly; with one, private keys and the certificate ↔ key pairing.
 *
 * @example
 * ```ts
 * import { listTokens, pinFromEnv } from 'sceau/pkcs11'
 * const { tokens } = await listTokens({ module: '/usr/lib/softhsm/libsofthsm2.so', pin: pinFromEnv('SCEAU_PIN') })
 * for (const cert of tokens[0]?.certificates ?? []) console.log(cert.subject, cert.hasPrivateKey, cert.uri)
 * ```
 */
export async function listTokens(options: ListTokensOptions): Promise<Inventory> {
  const module = Pkcs11Module.open(options.module)
  try {
    const slots = listSlots(module)
    const skippedSlots: SkippedSlot[] = []
    const selected: TokenDescription[] = []
    for (const slot of slots) {
      if (slot.token === undefined) {
        if (slot.flags.tokenPresent)
          skippedSlots.push({ module: options.module, slot: slot.slotId, reason: slot.problem ?? 'token unreadable' })
        continue
      }
      if (!slot.token.flags.tokenInitialized) {
        skippedSlots.push({ module: options.module, slot: slot.slotId, reason: 'token not initialised' })
        continue
      }
      selected.push(slot.token)
    }
    if (options.pin !== undefined && options.token === undefined && selected.length > 1) {
      throw new SceauError('USAGE', `a PIN was given but the module shows ${selected.length} tokens; say which one with --token`, {
        details: { module: options.module },
      })
    }
    const tokens: InventoryToken[] = []
    for (const slot of slots) {
      if (slot.token === undefined || !slot.token.flags.tokenInitialized) continue
      if (options.token !== undefined && !slotMatches(slot, options.token)) continue
      tokens.push(await describeToken(options.module, slot.slotId, options.pin))
    }
    if (options.token !== undefined && tokens.length === 0) {
      // Token.open gives the precise "no token matches ..., tokens present: ..." error.
      const token = await Token.open({ module: options.module, token: options.token, sessions: 1 })
      token.close()
    }
    return { tokens, skippedSlots }
  } finally {
    module.close()
  }
}

async function describeToken(module: string, slotId: number, pin: PinSource | undefined): Promise<InventoryToken> {
  const token = await Token.open({ module, token: { slotId }, sessions: 1 })
  try {
    if (pin !== undefined) await token.login(pin)
    const certificates = await token.certificates()
    const publicKeys = await token.publicKeys()
    const privateKeys = token.loggedIn ? await token.privateKeys() : []
    const paired = new Set(
      privateKeys.filter((key) => key.certificate !== undefined).map((key) => Buffer.from(key.certificate ?? []).toString('hex')),
    )
    return {
      module,
      slot: token.slotId,
      label: token.info.label,
      manufacturer: token.info.manufacturer,
      model: token.info.model,
      serial: token.info.serial,
      flags: { ...token.info.flags, tokenPresent: true },
      uri: token.uri,
      loggedIn: token.loggedIn,
      certificates: certificates.map((cert) => {
        const info = describeCertificate(cert.der)
        return {
          id: cert.id,
          label: cert.label,
          subject: info.subject,
          issuer: info.issuer,
          serialNumber: info.serialNumber,
          notBefore: info.notBefore.toISOString(),
          notAfter: info.notAfter.toISOString(),
          keyUsage: info.keyUsage,
          policies: info.policies,
          qcStatements:
            info.qcStatements === null
              ? null
              : { compliance: info.qcStatements.compliance, sscd: info.qcStatements.sscd, types: info.qcStatements.types },
          isCA: info.isCA,
          hasPrivateKey: token.loggedIn ? paired.has(Buffer.from(cert.der).toString('hex')) : null,
          uri: cert.uri,
        }
      }),
      keys: [
        ...privateKeys.map((key) => ({
          ...keyShape(key.id, key.label, 'private', key.key, key.uri),
          sensitive: key.sensitive ?? null,
          extractable: key.extractable ?? null,
          neverExtractable: key.neverExtractable ?? null,
          alwaysAuthenticate: key.alwaysAuthenticate,
          certificateId:
            key.certificate === undefined
              ? null
              : (certificates.find((cert) => Buffer.from(cert.der).equals(Buffer.from(key.certificate ?? [])))?.id ?? null),
        })),
        ...publicKeys.map((key) => keyShape(key.id, key.label, 'public', key.key, key.uri)),
      ],
    }
  } finally {
    token.close()
  }
}

function keyShape(id: string, label: string, kind: 'private' | 'public', key: KeyDescription | undefined, uri: string): InventoryKey {
  if (key === undefined) return { id, label, class: kind, type: 'unsupported', uri }
  if (key.type === 'RSA') return { id, label, class: kind, type: 'RSA', size: key.size, uri }
  return { id, label, class: kind, type: 'EC', curve: key.curve, size: key.size, uri }
}
