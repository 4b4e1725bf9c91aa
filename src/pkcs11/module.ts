import { existsSync, realpathSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'
import { SceauError } from '../errors.js'
import { CKR, ckrOf, toSceauError } from './ckr.js'
import { pkcs11js, type Pkcs11Lib } from './native.js'

// CKF_OS_LOCKING_OK: the module may be called from libuv's thread pool (pkcs11js's *Async calls) while the
// main thread calls it too, so it must lock with the OS's primitives.
const CKF_OS_LOCKING_OK = 0x2

/** What the module says about itself (C_GetInfo). */
export interface ModuleInfo {
  readonly path: string
  readonly manufacturer: string
  readonly description: string
  readonly libraryVersion: string
  readonly cryptokiVersion: string
}

interface Loaded {
  readonly lib: Pkcs11Lib
  readonly info: ModuleInfo
  refs: number
  /** false when another part of the process had initialised the module before us: then we never finalise it. */
  readonly ownsInitialization: boolean
}

// One instance per module file per process. A second C_Initialize, or a C_Finalize while another
// part of the program still uses the module, breaks pkcs11js (CKR_CRYPTOKI_NOT_INITIALIZED, segfaults).
const loadedModules = new Map<string, Loaded>()

/**
 * A reference to a loaded, initialised PKCS#11 module. Every {@link Pkcs11Module.open} must be paired with a
 * {@link Pkcs11Module.close}; the module is finalised when the last reference closes.
 *
 * @example
 * ```ts
 * import { Pkcs11Module } from 'sceau/pkcs11'
 * const module = Pkcs11Module.open('/usr/lib/softhsm/libsofthsm2.so')
 * try { console.log(module.info.description) } finally { module.close() }
 * ```
 */
export class Pkcs11Module {
  readonly info: ModuleInfo
  readonly #key: string
  #open = true

  private constructor(key: string, info: ModuleInfo) {
    this.#key = key
    this.info = info
  }

  /** Loads and initialises the module at `path`, or takes one more reference to it if it is already loaded. */
  static open(path: string): Pkcs11Module {
    if (!isMainThread) {
      // pkcs11js initialised in several worker threads crashes the process; workers hash, the main thread signs.
      throw new SceauError(
        'PKCS11_UNAVAILABLE',
        'PKCS#11 modules are used from the main thread only; hash in workers and sign on the main thread',
      )
    }
    if (!existsSync(path)) {
      throw new SceauError('MODULE_NOT_FOUND', `no PKCS#11 module at "${path}"`, { details: { module: path } })
    }
    const key = realpathSync(path)
    let loaded = loadedModules.get(key)
    if (loaded === undefined) {
      loaded = load(path)
      loadedModules.set(key, loaded)
    }
    loaded.refs++
    return new Pkcs11Module(key, { ...loaded.info, path })
  }

  /** The pkcs11js instance. Internal to src/pkcs11: nothing outside this folder sees it. */
  get lib(): Pkcs11Lib {
    if (!this.#open)
      throw new SceauError('PKCS11_ERROR', `the module "${this.info.path}" was closed`, { details: { module: this.info.path } })
    const loaded = loadedModules.get(this.#key)
    if (loaded === undefined) throw new SceauError('PKCS11_ERROR', `the module "${this.info.path}" is not loaded`)
    return loaded.lib
  }

  /** True until {@link Pkcs11Module.close}. */
  get isOpen(): boolean {
    return this.#open
  }

  /** Drops this reference; the last one finalises the module. Closing twice is harmless. */
  close(): void {
    if (!this.#open) return
    this.#open = false
    const loaded = loadedModules.get(this.#key)
    if (loaded === undefined) return
    loaded.refs--
    if (loaded.refs > 0) return
    loadedModules.delete(this.#key)
    try {
      if (loaded.ownsInitialization) loaded.lib.C_Finalize()
    } finally {
      loaded.lib.close()
    }
  }
}

/** How many references are held on each loaded module (for tests and diagnostics). */
export function loadedModuleReferences(): ReadonlyMap<string, number> {
  return new Map([...loadedModules].map(([key, value]) => [key, value.refs]))
}

function load(path: string): Loaded {
  const { PKCS11 } = pkcs11js()
  const lib = new PKCS11()
  try {
    lib.load(path)
  } catch (cause) {
    throw new SceauError(
      'MODULE_LOAD_FAILED',
      `cannot load the PKCS#11 module "${path}": ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause, details: { module: path } },
    )
  }
  let ownsInitialization = true
  try {
    lib.C_Initialize({ flags: CKF_OS_LOCKING_OK })
  } catch (cause) {
    if (ckrOf(cause) === CKR.CRYPTOKI_ALREADY_INITIALIZED) {
      ownsInitialization = false
    } else {
      lib.close()
      throw toSceauError(cause, `cannot initialise the PKCS#11 module "${path}"`, { module: path })
    }
  }
  const raw = lib.C_GetInfo()
  const info: ModuleInfo = {
    path,
    manufacturer: raw.manufacturerID.trim(),
    description: raw.libraryDescription.trim(),
    libraryVersion: `${raw.libraryVersion.major}.${raw.libraryVersion.minor}`,
    cryptokiVersion: `${raw.cryptokiVersion.major}.${raw.cryptokiVersion.minor}`,
  }
  return { lib, info, refs: 0, ownsInitialization }
}
