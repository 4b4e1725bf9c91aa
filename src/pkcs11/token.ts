import { SceauError } from '../errors.js'
import type { KeyDescription } from '../types.js'
import { CKF_SESSION, CKU } from './attributes.js'
import { toSceauError } from './ckr.js'
import { mechanismNumber, toCkMechanism, type RawSignMechanism } from './mechanisms.js'
import { Pkcs11Module, type ModuleInfo } from './module.js'
import { listCertificates, listKeys, type CertificateObject, type KeyObjectInfo } from './objects.js'
import { pairKeys } from './pairing.js'
import type { PinSource } from './pin.js'
import { SessionPool } from './pool.js'
import { listSlots, readTokenInfo, type SlotDescription, type TokenDescription } from './slots.js'
import { pinTriesLeft, sessionLimit } from './token-info.js'
import { PinIncorrectError } from '../errors.js'
import { formatPkcs11Uri, matchesPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './uri.js'
import type { Handle } from './native.js'

/** Options of {@link Token.open}. */
export interface OpenTokenOptions {
  /** Path of the PKCS#11 module. */
  readonly module: string
  /**
   * Which token: a `pkcs11:` URI (token, manufacturer, serial, model, slot-id are matched) or a token label.
   * Default: the only initialised token, or an error listing them when there are several.
   */
  readonly token?: string | Pkcs11Uri
  /** Most sessions to open for parallel signing; capped by the token's `ulMaxSessionCount`. Default 4. */
  readonly sessions?: number
}

/** A certificate found on a token. */
export interface TokenCertificate {
  readonly uri: string
  /** CKA_ID as lowercase hex. */
  readonly id: string
  readonly label: string
  readonly der: Uint8Array
}

/** A key found on a token, with its certificate when one pairs with it. */
export interface TokenKey {
  readonly uri: string
  /** CKA_ID as lowercase hex. */
  readonly id: string
  readonly label: string
  readonly kind: 'private' | 'public'
  /** Undefined for keys sceau cannot sign with. */
  readonly key: KeyDescription | undefined
  readonly sensitive: boolean | undefined
  readonly extractable: boolean | undefined
  readonly neverExtractable: boolean | undefined
  readonly alwaysAuthenticate: boolean
  /** DER of the paired certificate (private keys only). */
  readonly certificate: Uint8Array | undefined
  /** How the certificate was paired. */
  readonly pairedBy: 'id' | 'public-key' | undefined
}

/** What a signer needs of a private key on the token. Internal handle included; don't persist it. */
export interface TokenKeyHandle extends TokenKey {
  readonly handle: Handle
}

const DEFAULT_SESSIONS = 4

/**
 * One token in one slot, opened for listing and signing. Holds a reference on the module and a pool of
 * sessions; {@link Token.close} releases both.
 *
 * @example
 * ```ts
 * import { Token, pinFromEnv } from 'sceau/pkcs11'
 * const token = await Token.open({ module: '/usr/lib/softhsm/libsofthsm2.so', token: 'pkcs11:token=Mairie' })
 * try {
 *   await token.login(pinFromEnv('SCEAU_PIN'))
 *   for (const key of await token.privateKeys()) console.log(key.uri)
 * } finally {
 *   token.close()
 * }
 * ```
 */
export class Token {
  readonly module: ModuleInfo
  readonly slotId: number
  readonly info: TokenDescription
  /** `pkcs11:` URI of the token (token, manufacturer, serial, model). */
  readonly uri: string
  readonly #module: Pkcs11Module
  readonly #slot: Handle
  readonly #pool: SessionPool
  #loggedIn = false
  #pinSource: PinSource | undefined
  #pinTurn: Promise<unknown> = Promise.resolve()

  private constructor(module: Pkcs11Module, slot: SlotDescription, info: TokenDescription, sessions: number) {
    this.#module = module
    this.module = module.info
    this.#slot = slot.handle
    this.slotId = slot.slotId
    this.info = info
    this.uri = formatPkcs11Uri(tokenUriParts(info))
    const lib = module.lib
    const size = sessionLimit(info.maxSessionCount, sessions)
    const open = (): Handle => lib.C_OpenSession(slot.handle, CKF_SESSION.SERIAL)
    let first: Handle
    try {
      first = open()
    } catch (cause) {
      throw toSceauError(cause, `cannot open a session on token "${info.label}"`, { token: info.label, slot: slot.slotId })
    }
    this.#pool = new SessionPool(lib, size, open, { first, present: () => this.#stillPresent() })
  }

  /** Opens a token. Throws `TOKEN_NOT_FOUND` (listing the tokens seen) when none matches. */
  static async open(options: OpenTokenOptions): Promise<Token> {
    const module = Pkcs11Module.open(options.module)
    try {
      const slot = selectSlot(listSlots(module), options.token, module.info.path)
      if (slot.token === undefined) throw new SceauError('TOKEN_NOT_PRESENT', `no token in slot ${slot.slotId}`)
      return new Token(module, slot, slot.token, options.sessions ?? DEFAULT_SESSIONS)
    } catch (err) {
      module.close()
      throw err
    }
  }

  /** Sessions the pool may open (the token's limit and the caller's wish). */
  get maxSessions(): number {
    return this.#pool.size
  }

  /** Sessions opened so far by the pool (opened on demand, up to {@link Token.maxSessions}). */
  get sessionsOpened(): number {
    return this.#pool.opened
  }

  /** True after a successful {@link Token.login}. */
  get loggedIn(): boolean {
    return this.#loggedIn
  }

  /** Reads the token's current flags (PIN counters change after each failed login). */
  refreshInfo(): TokenDescription {
    return readTokenInfo(this.#module, this.#slot)
  }

  /**
   * Logs the user in, once for every session. A wrong PIN throws {@link PinIncorrectError} with what the
   * token flags say of the tries left; sceau never tries the PIN again by itself. A token whose PIN is
   * already locked is refused before any attempt (`PIN_LOCKED`).
   */
  async login(pin: PinSource): Promise<void> {
    if (this.#loggedIn) return
    const details = { token: this.info.label, slot: this.slotId }
    const before = this.refreshInfo().flags
    if (before.pinLocked) {
      throw new SceauError(
        'PIN_LOCKED',
        `the PIN of token "${this.info.label}" is locked; unblock it with its PUK or ask the certification authority`,
        { details },
      )
    }
    if (!before.loginRequired) {
      this.#loggedIn = true
      return
    }
    const value = await pin.read({ token: this.info.label, purpose: 'login' })
    if (value === undefined && !before.protectedAuthenticationPath) {
      throw new SceauError(
        'PIN_REQUIRED',
        `token "${this.info.label}" has no PIN pad; give the PIN with an environment variable or a file`,
        { details },
      )
    }
    await this.#pool
      .run((session) => {
        try {
          this.#module.lib.C_Login(session, CKU.USER, value)
        } catch (cause) {
          throw this.#loginError(cause, details)
        }
      }, `login to token "${this.info.label}"`)
      .catch((err: unknown) => {
        if (err instanceof SceauError && err.code === 'PKCS11_ERROR' && err.details.ckr === 'CKR_USER_ALREADY_LOGGED_IN') return
        throw err
      })
    this.#loggedIn = true
    this.#pinSource = pin
  }

  #loginError(cause: unknown, tokenDetails: { token: string; slot: number }): unknown {
    const err = toSceauError(cause, `login to token "${this.info.label}" failed`, tokenDetails)
    if (err.code !== 'PIN_INCORRECT') return err
    const details = { ...tokenDetails, ckr: err.details.ckr ?? null }
    // The flags are only meaningful after the failed attempt: read them again.
    let triesLeft: ReturnType<typeof pinTriesLeft> = 'unknown'
    try {
      triesLeft = pinTriesLeft(this.refreshInfo().flags)
    } catch {
      // Keep 'unknown' if the token cannot be read any more.
    }
    if (triesLeft === 'none') {
      return new SceauError('PIN_LOCKED', `wrong PIN for token "${this.info.label}"; the PIN is now locked`, { cause, details })
    }
    const hint =
      triesLeft === 'final'
        ? 'one more wrong PIN will lock the token'
        : triesLeft === 'low'
          ? 'few tries remain before the token locks'
          : 'the token does not say how many tries remain'
    return new PinIncorrectError(`wrong PIN for token "${this.info.label}"; ${hint}`, { triesLeft, cause, details })
  }

  #stillPresent(): boolean {
    try {
      const now = this.refreshInfo()
      return now.serial === this.info.serial && now.label === this.info.label
    } catch {
      return false
    }
  }

  /** Logs out (all sessions). */
  async logout(): Promise<void> {
    if (!this.#loggedIn) return
    await this.#pool.run((session) => this.#module.lib.C_Logout(session), 'logout').catch(() => undefined)
    this.#loggedIn = false
    this.#pinSource = undefined
  }

  /** The X.509 certificates on the token (no login needed). */
  async certificates(): Promise<TokenCertificate[]> {
    const objects = await this.#pool.run((session) => listCertificates(this.#module.lib, session), 'listing certificates')
    return objects.map((cert) => ({ uri: this.#objectUri(cert, 'cert'), id: hex(cert.id), label: cert.label, der: cert.der }))
  }

  /** The public keys on the token. */
  async publicKeys(): Promise<TokenKey[]> {
    const keys = await this.#pool.run((session) => listKeys(this.#module.lib, session, 'public'), 'listing public keys')
    return keys.map((key) => this.#describeKey(key, undefined, undefined))
  }

  /**
   * The private keys, each with its certificate when one pairs with it (by CKA_ID, else by public key).
   * Private keys are only visible after {@link Token.login} on most tokens.
   */
  async privateKeys(): Promise<TokenKeyHandle[]> {
    const lib = this.#module.lib
    const { privateKeys, publicKeys, certificates } = await this.#pool.run(
      (session) => ({
        privateKeys: listKeys(lib, session, 'private'),
        publicKeys: listKeys(lib, session, 'public'),
        certificates: listCertificates(lib, session),
      }),
      'listing keys',
    )
    return pairKeys<CertificateObject, KeyObjectInfo>({ privateKeys, publicKeys, certificates }).map((pair) => ({
      ...this.#describeKey(pair.privateKey, pair.certificate, pair.pairedBy),
      key: pair.privateKey.key ?? pair.publicKey?.key,
      handle: pair.privateKey.handle,
    }))
  }

  /**
   * Finds one private key by `pkcs11:` URI (object, id, type=private) or label. Throws `KEY_NOT_FOUND`
   * naming the keys that are there.
   */
  async findPrivateKey(selector: string | Pkcs11Uri): Promise<TokenKeyHandle> {
    const pattern = toPattern(selector, 'object')
    const objectPattern = definedOnly({ object: pattern.object, id: pattern.id, vendor: pattern.vendor })
    const tokenPattern = tokenPart(pattern)
    if (!matchesPkcs11Uri(tokenPattern, { ...tokenUriParts(this.info), slotId: this.slotId })) {
      throw new SceauError(
        'KEY_NOT_FOUND',
        `the key URI names ${formatPkcs11Uri(tokenPattern)}, but the open token is "${this.info.label}" (serial ${this.info.serial})`,
        {
          details: { token: this.info.label },
        },
      )
    }
    if (pattern.type !== undefined && pattern.type !== 'private') {
      // A URI to the certificate (type=cert) selects the key paired with it: accept it as people copy those.
      if (pattern.type !== 'cert') {
        throw new SceauError('KEY_NOT_FOUND', `the URI names a ${pattern.type} object; a signing key is type=private`)
      }
    }
    const keys = await this.privateKeys()
    const found = keys.find((key) => matchesPkcs11Uri(objectPattern, { object: key.label, id: Buffer.from(key.id, 'hex') }))
    if (found === undefined) {
      const seen = keys.map((key) => `"${key.label}" (id ${key.id})`).join(', ')
      throw new SceauError(
        'KEY_NOT_FOUND',
        `no private key matches ${formatPkcs11Uri(objectPattern)} on token "${this.info.label}"${
          this.#loggedIn ? '' : ' (not logged in: private keys are hidden until login)'
        }; keys present: ${seen || 'none'}`,
        { details: { token: this.info.label } },
      )
    }
    return found
  }

  /**
   * Signs `data` (a digest or a DigestInfo, never a document) with a private key on a pooled session.
   * Several calls run in parallel on different sessions.
   */
  async signRaw(key: TokenKeyHandle, mechanism: RawSignMechanism, data: Uint8Array, maxLength: number): Promise<Uint8Array> {
    const lib = this.#module.lib
    const context = `signing with key "${key.label}" on token "${this.info.label}"`
    const wanted = mechanism.kind === 'ECDSA' ? 'EC' : 'RSA'
    if (key.key !== undefined && key.key.type !== wanted) {
      // Checked here rather than left to the module: SoftHSM 2.6 crashes the process on CKM_RSA_PKCS_PSS with an EC key.
      throw new SceauError('MECHANISM_INVALID', `${context}: ${mechanism.kind} needs an ${wanted} key, "${key.label}" is ${key.key.type}`, {
        details: { token: this.info.label, mechanism: mechanism.kind },
      })
    }
    const pinSource = this.#pinSource
    return this.#pool.run(async (session) => {
      lib.C_SignInit(session, toCkMechanism(mechanism), key.handle)
      if (key.alwaysAuthenticate) {
        // Qualified-signature keys with CKA_ALWAYS_AUTHENTICATE want the PIN again for every signature.
        if (pinSource === undefined) {
          throw new SceauError('PIN_REQUIRED', `key "${key.label}" asks for the PIN at every signature; log in with a PIN source first`)
        }
        lib.C_Login(session, CKU.CONTEXT_SPECIFIC, await this.#readPinInTurn(pinSource))
      }
      const signature = await lib.C_SignAsync(session, Buffer.from(data), Buffer.alloc(maxLength))
      return new Uint8Array(signature)
    }, context)
  }

  // Signatures in flight on several sessions must not open several PIN prompts at once: one read at a time.
  #readPinInTurn(source: PinSource): Promise<string | undefined> {
    const turn = this.#pinTurn.then(() => source.read({ token: this.info.label, purpose: 'signature' }))
    this.#pinTurn = turn.catch(() => undefined)
    return turn
  }

  /** The mechanisms the token lists (CKM numbers). */
  mechanisms(): number[] {
    try {
      return this.#module.lib.C_GetMechanismList(this.#slot)
    } catch (cause) {
      throw toSceauError(cause, `cannot list the mechanisms of token "${this.info.label}"`)
    }
  }

  /** True when the token lists the mechanism. */
  supports(mechanism: RawSignMechanism): boolean {
    return this.mechanisms().includes(mechanismNumber(mechanism))
  }

  /** Closes the sessions and releases the module. */
  close(): void {
    this.#pool.close()
    this.#module.close()
  }

  #describeKey(key: KeyObjectInfo, certificate: CertificateObject | undefined, pairedBy: 'id' | 'public-key' | undefined): TokenKey {
    return {
      uri: this.#objectUri(key, key.kind),
      id: hex(key.id),
      label: key.label,
      kind: key.kind,
      key: key.key,
      sensitive: key.sensitive,
      extractable: key.extractable,
      neverExtractable: key.neverExtractable,
      alwaysAuthenticate: key.alwaysAuthenticate,
      certificate: certificate?.der,
      pairedBy,
    }
  }

  #objectUri(object: { label: string; id: Uint8Array }, type: 'cert' | 'private' | 'public'): string {
    return formatPkcs11Uri({
      ...tokenUriParts(this.info),
      ...(object.label === '' ? {} : { object: object.label }),
      ...(object.id.length === 0 ? {} : { id: object.id }),
      type,
    })
  }
}

function tokenUriParts(info: TokenDescription): Pkcs11Uri {
  return { token: info.label, manufacturer: info.manufacturer, serial: info.serial, model: info.model }
}

function definedOnly(uri: Pkcs11Uri): Pkcs11Uri {
  return Object.fromEntries(Object.entries(uri).filter(([, value]) => value !== undefined)) as Pkcs11Uri
}

/** A selector as a URI pattern: a `pkcs11:` URI is parsed, a plain string is a label of the given kind. */
function toPattern(selector: string | Pkcs11Uri, plainStringIs: 'token' | 'object'): Pkcs11Uri {
  if (typeof selector !== 'string') return selector
  return selector.toLowerCase().startsWith('pkcs11:') ? parsePkcs11Uri(selector) : { [plainStringIs]: selector }
}

/** The attributes of a pattern that describe the token. */
function tokenPart(pattern: Pkcs11Uri): Pkcs11Uri {
  return definedOnly({
    token: pattern.token,
    manufacturer: pattern.manufacturer,
    serial: pattern.serial,
    model: pattern.model,
    slotId: pattern.slotId,
  })
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/**
 * Whether a slot's token matches a selector: a `pkcs11:` URI (token, manufacturer, serial, model, slot-id and
 * any unknown attribute, which then matches nothing) or a plain token label.
 */
export function slotMatches(slot: SlotDescription, selector: string | Pkcs11Uri): boolean {
  if (slot.token === undefined) return false
  const pattern = toPattern(selector, 'token')
  // Unknown attributes stay in the pattern so a misspelt one matches nothing instead of everything.
  return matchesPkcs11Uri(
    { ...tokenPart(pattern), ...(pattern.vendor === undefined ? {} : { vendor: pattern.vendor }) },
    { ...tokenUriParts(slot.token), slotId: slot.slotId },
  )
}

function selectSlot(slots: SlotDescription[], selector: string | Pkcs11Uri | undefined, module: string): SlotDescription {
  const usable = slots.filter((slot) => slot.token?.flags.tokenInitialized === true)
  const describe = (): string => usable.map((slot) => `"${slot.token?.label}" (slot ${slot.slotId})`).join(', ') || 'none'
  if (selector === undefined) {
    const only = usable[0]
    if (usable.length === 1 && only !== undefined) return only
    throw new SceauError(
      'TOKEN_NOT_FOUND',
      usable.length === 0
        ? `no initialised token in "${module}"; is the token plugged in and its driver installed?`
        : `several tokens in "${module}": ${describe()}; choose one with a pkcs11: URI such as pkcs11:token=<label>`,
      { details: { module } },
    )
  }
  const found = usable.find((slot) => slotMatches(slot, selector))
  if (found === undefined) {
    const shown = typeof selector === 'string' ? selector.split('?')[0] : formatPkcs11Uri(selector)
    throw new SceauError('TOKEN_NOT_FOUND', `no token matches ${shown} in "${module}"; tokens present: ${describe()}`, {
      details: { module },
    })
  }
  return found
}
