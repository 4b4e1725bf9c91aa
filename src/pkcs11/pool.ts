import { SceauError } from '../errors.js'
import { toSceauError } from './ckr.js'
import type { Handle, Pkcs11Lib } from './native.js'

const FATAL = new Set(['TOKEN_NOT_PRESENT', 'SESSION_CLOSED', 'DEVICE_ERROR'])

/**
 * A set of sessions on one token. A PKCS#11 session runs one operation at a time; with N sessions and
 * pkcs11js's *Async calls (run on libuv's thread pool) N signatures are in flight at once. Login state is
 * shared by every session of the token, so one login serves the whole pool.
 *
 * When the token goes away (removed, reset), the pool closes itself: the operation in flight rejects with
 * `TOKEN_NOT_PRESENT` or `SESSION_CLOSED`, and every later call rejects at once with the same error.
 */
export class SessionPool {
  readonly size: number
  readonly #lib: Pkcs11Lib
  readonly #open: () => Handle
  readonly #idle: Handle[] = []
  readonly #all: Handle[] = []
  readonly #waiting: Array<(session: Handle) => void> = []
  #broken: SceauError | undefined
  #closed = false

  readonly #present: () => boolean

  /**
   * `open` opens one more session (the token layer passes C_OpenSession with its slot and flags);
   * `present` tells whether the token is still there, asked when an operation fails with a non-fatal error.
   */
  constructor(lib: Pkcs11Lib, size: number, open: () => Handle, options: { first?: Handle; present?: () => boolean } = {}) {
    this.#lib = lib
    this.size = Math.max(1, size)
    this.#open = open
    this.#present = options.present ?? (() => true)
    const first = options.first
    if (first !== undefined) {
      this.#all.push(first)
      this.#idle.push(first)
    }
  }

  /** Number of sessions opened so far (opened lazily, up to {@link SessionPool.size}). */
  get opened(): number {
    return this.#all.length
  }

  /** The error that broke the pool, if the token went away. */
  get broken(): SceauError | undefined {
    return this.#broken
  }

  /**
   * Runs `operation` on a free session, waiting for one if all are busy.
   * Errors are mapped to SceauError; a fatal one (token gone) breaks the pool.
   */
  async run<T>(operation: (session: Handle) => T | Promise<T>, context: string): Promise<T> {
    const session = await this.#acquire()
    try {
      return await operation(session)
    } catch (cause) {
      let err = toSceauError(cause, context)
      // Modules do not all say "token removed" when it is: SoftHSM answers CKR_OBJECT_HANDLE_INVALID for a key
      // whose token directory vanished. Ask the token itself before blaming the key.
      if (!FATAL.has(err.code) && !this.#present()) {
        err = new SceauError('TOKEN_NOT_PRESENT', `${context}: the token is no longer present`, { cause, details: { ...err.details } })
      }
      if (FATAL.has(err.code)) this.#break(err)
      throw err
    } finally {
      this.#release(session)
    }
  }

  /** Closes every session. Operations still waiting reject with `SESSION_CLOSED`. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const session of this.#all) {
      try {
        this.#lib.C_CloseSession(session)
      } catch {
        // The token may already be gone; its sessions are gone with it.
      }
    }
    this.#all.length = 0
    this.#idle.length = 0
    for (const waiter of this.#waiting.splice(0)) waiter(Buffer.alloc(0))
  }

  async #acquire(): Promise<Handle> {
    this.#check()
    const idle = this.#idle.pop()
    if (idle !== undefined) return idle
    if (this.#all.length < this.size) {
      try {
        const session = this.#open()
        this.#all.push(session)
        return session
      } catch (cause) {
        const err = toSceauError(cause, 'cannot open a session on the token')
        // A token that refuses more sessions than it announced: keep working with the ones we have.
        if (err.code !== 'SESSION_EXHAUSTED' || this.#all.length === 0) {
          if (FATAL.has(err.code)) this.#break(err)
          throw err
        }
      }
    }
    return new Promise<Handle>((resolve) => this.#waiting.push(resolve)).then((session) => {
      this.#check()
      return session
    })
  }

  #release(session: Handle): void {
    if (this.#closed) return
    const next = this.#waiting.shift()
    if (next !== undefined) next(session)
    else this.#idle.push(session)
  }

  #check(): void {
    if (this.#broken !== undefined) throw this.#broken
    if (this.#closed) throw new SceauError('SESSION_CLOSED', 'the token was closed')
  }

  #break(err: SceauError): void {
    if (this.#broken !== undefined) return
    this.#broken = err
    // Wake the waiters so they reject instead of hanging on sessions that will never come back.
    for (const waiter of this.#waiting.splice(0)) waiter(Buffer.alloc(0))
  }
}
