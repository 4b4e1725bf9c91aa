import { statSync } from 'node:fs'
import { posix, win32 } from 'node:path'
import { SceauError } from '../errors.js'

/**
 * A PKCS#11 module sceau knows where to look for. docs/tokens.md gives, for every path, where it comes from
 * (a distribution package, the vendor's installer, a public project that loads it).
 *
 * @example
 * ```ts
 * const opensc = KNOWN_MODULES.find((module) => module.id === 'opensc')
 * console.log(opensc?.paths.win32) // where the OpenSC installer puts its DLL
 * ```
 */
export interface KnownModule {
  /** Short id usable with `--module` (`"softhsm2"`, `"opensc"`, ...). Stable across versions. */
  readonly id: string
  /** Human name, as the vendor names the driver. */
  readonly name: string
  readonly vendor: string
  /** What French agents (or hospitals, or tests) have that uses it; only claims docs/tokens.md can source. */
  readonly tokens: string
  /**
   * Candidate paths per platform, most likely first. `{multiarch}` stands for the Debian multiarch directory
   * of the running architecture (`x86_64-linux-gnu`, `aarch64-linux-gnu`).
   */
  readonly paths: Readonly<Partial<Record<'linux' | 'darwin' | 'win32', readonly string[]>>>
}

/**
 * A module present on this machine.
 *
 * @example
 * ```ts
 * const found: FoundModule = { id: 'opensc', name: 'OpenSC', path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' }
 * ```
 */
export interface FoundModule {
  /** A {@link KnownModule} id, or `"custom"` for a file sceau does not know. */
  readonly id: string
  readonly name: string
  /** Absolute path of the file to load. */
  readonly path: string
}

/**
 * Options shared by the discovery functions. Everything a test needs to pretend to be another machine is
 * injectable; nothing here loads native code or opens a token.
 *
 * @example
 * ```ts
 * const options: DiscoverOptions = { platform: 'linux', arch: 'arm64', env: {}, exists: (path) => path.endsWith('.so') }
 * ```
 */
export interface DiscoverOptions {
  /** Defaults to `process.platform`. */
  readonly platform?: NodeJS.Platform
  /** Defaults to `process.arch`; chooses the Linux multiarch directory. */
  readonly arch?: string
  /** Where `SCEAU_PKCS11_MODULE` is read; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Whether a module file is there; defaults to "is a regular file (or a link to one)". */
  readonly exists?: (path: string) => boolean
  /** Base of relative paths; defaults to `process.cwd()`. */
  readonly cwd?: string
}

/** The environment variable naming the module to use when `--module` is not given. */
const ENV_VAR = 'SCEAU_PKCS11_MODULE'

/**
 * Where PKCS#11 modules live, in the order sceau tries them when no module is given. The drivers of the
 * tokens French agents hold come first: a plugged-in agent token is what the user means, and generic modules
 * (OpenSC, p11-kit) may see the same card less well, e.g. without the separate signature PIN of IDPrime and
 * IDEMIA cards. SoftHSM comes last: it only ever holds test keys.
 *
 * @example
 * ```ts
 * for (const module of KNOWN_MODULES) console.log(module.id, module.paths[process.platform as 'linux'] ?? [])
 * ```
 */
export const KNOWN_MODULES: readonly KnownModule[] = [
  {
    id: 'idopte',
    name: 'Idopte Smart Card Middleware',
    vendor: 'Idopte',
    tokens: 'ChamberSign certificates on IDEMIA cards and USB keys (ChamberSign distributes this middleware as "IDOPTE")',
    paths: {
      // Only an amd64 build exists for Linux, so no multiarch variant.
      linux: ['/usr/lib/SCMiddleware/libidop11.so'],
      darwin: ['/Library/SCMiddleware/libidop11.dylib'],
      win32: ['C:\\Program Files\\Smart Card Middleware\\bin\\idoPKCS.dll'],
    },
  },
  {
    id: 'idprime',
    name: 'Thales (Gemalto) IDPrime',
    vendor: 'Thales',
    tokens: 'Thales/Gemalto IDPrime smart cards and tokens, through the IDPrime library of SafeNet Authentication Client',
    paths: {
      linux: ['/usr/lib/libIDPrimePKCS11.so', '/usr/lib/pkcs11/libIDPrimePKCS11.so', '/usr/lib64/libIDPrimePKCS11.so'],
      darwin: ['/usr/local/lib/libIDPrimePKCS11.dylib', '/Library/Frameworks/eToken.framework/Versions/A/libIDPrimePKCS11.dylib'],
      win32: [
        'C:\\Windows\\System32\\IDPrimePKCS11.dll',
        'C:\\Program Files\\SafeNet\\Authentication\\SAC\\x64\\IDPrimePKCS1164.dll',
        'C:\\Windows\\System32\\IDPrimePKCS1164.dll',
        'C:\\Program Files\\Gemalto\\IDGo 800 PKCS#11\\IDPrimePKCS1164.dll',
      ],
    },
  },
  {
    id: 'etoken',
    name: 'SafeNet eToken (SafeNet Authentication Client)',
    vendor: 'Thales (SafeNet)',
    tokens: 'SafeNet eToken USB keys such as the eToken 5110; SAC 10 also supports IDPrime MD cards',
    paths: {
      linux: [
        '/usr/lib/libeTPkcs11.so',
        '/usr/lib/libeToken.so',
        '/usr/lib/pkcs11/libeTPkcs11.so',
        '/usr/lib64/libeToken.so',
        '/usr/lib64/libeTPkcs11.so',
      ],
      darwin: [
        '/usr/local/lib/libeTPkcs11.dylib',
        '/Library/Frameworks/eToken.framework/Versions/A/libeTPkcs11.dylib',
        '/Library/Frameworks/eToken.framework/Versions/Current/libeToken.dylib',
      ],
      win32: ['C:\\Windows\\System32\\eTPKCS11.dll', 'C:\\Program Files\\SafeNet\\Authentication\\SAC\\x64\\eTPKCS11.dll'],
    },
  },
  {
    id: 'cps',
    name: 'Cryptolib CPS',
    vendor: 'Agence du Numérique en Santé (ANS)',
    tokens: 'CPS3/CPS4 health professional cards, for hospitals and health centres that sign too',
    paths: {
      linux: ['/usr/lib64/libcps3_pkcs11_lux.so', '/opt/santesocial/CPS/lib/libcps3_pkcs11_lux.so'],
      darwin: ['/usr/local/lib/libcps3_pkcs11_osx.dylib'],
      win32: ['C:\\Windows\\System32\\cps3_pkcs11_w64.dll'],
    },
  },
  {
    id: 'awp',
    name: 'IDEMIA (Oberthur) AWP middleware',
    vendor: 'IDEMIA',
    tokens: 'Oberthur/IDEMIA ID-One cards and keys driven by the AWP middleware (no French CA confirmed)',
    paths: {
      linux: ['/usr/local/AWP/lib/libOcsCryptoki.so', '/usr/lib/libOcsCryptoki.so'],
      darwin: ['/Library/AWP/lib/libOcsCryptoki.dylib'],
      win32: ['C:\\Windows\\System32\\OcsCryptoki.dll'],
    },
  },
  {
    id: 'ykcs11',
    name: 'Yubico YKCS11',
    vendor: 'Yubico',
    tokens: 'the PIV application of YubiKeys, for tests and internal certificates',
    paths: {
      linux: ['/usr/lib/{multiarch}/libykcs11.so', '/usr/lib/libykcs11.so', '/usr/local/lib/libykcs11.so'],
      darwin: ['/usr/local/lib/libykcs11.dylib', '/opt/homebrew/lib/libykcs11.dylib'],
      win32: ['C:\\Program Files\\Yubico\\Yubico PIV Tool\\bin\\libykcs11.dll'],
    },
  },
  {
    id: 'opensc',
    name: 'OpenSC',
    vendor: 'OpenSC project',
    tokens: 'many PKCS#15, PIV and IAS-ECC cards without their vendor driver; a good second try',
    paths: {
      linux: [
        '/usr/lib/{multiarch}/opensc-pkcs11.so',
        '/usr/lib/{multiarch}/pkcs11/opensc-pkcs11.so',
        '/usr/lib64/opensc-pkcs11.so',
        '/usr/lib64/pkcs11/opensc-pkcs11.so',
        '/usr/lib/opensc-pkcs11.so',
      ],
      darwin: ['/Library/OpenSC/lib/opensc-pkcs11.so', '/usr/local/lib/opensc-pkcs11.so', '/opt/homebrew/lib/pkcs11/opensc-pkcs11.so'],
      win32: ['C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll', 'C:\\Windows\\System32\\opensc-pkcs11.dll'],
    },
  },
  {
    id: 'p11-kit-proxy',
    name: 'p11-kit proxy',
    vendor: 'p11-glue',
    tokens: 'every module registered with p11-kit on this system (/usr/share/p11-kit/modules), in one module',
    paths: {
      linux: ['/usr/lib/{multiarch}/p11-kit-proxy.so', '/usr/lib64/p11-kit-proxy.so', '/usr/lib/p11-kit-proxy.so'],
    },
  },
  {
    id: 'softhsm2',
    name: 'SoftHSM 2',
    vendor: 'OpenDNSSEC',
    tokens: 'software tokens for tests, demos and CI; never an agent certificate',
    paths: {
      linux: [
        '/usr/lib/softhsm/libsofthsm2.so',
        '/usr/lib/{multiarch}/softhsm/libsofthsm2.so',
        '/usr/lib64/pkcs11/libsofthsm2.so',
        '/usr/local/lib/softhsm/libsofthsm2.so',
      ],
      darwin: ['/opt/homebrew/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'],
      win32: ['C:\\SoftHSM2\\lib\\softhsm2-x64.dll'],
    },
  },
]

/** Debian multiarch directory per Node architecture. Others have no multiarch candidates rather than wrong ones. */
const MULTIARCH: Readonly<Partial<Record<string, string>>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }

interface Settings {
  readonly platform: NodeJS.Platform
  readonly arch: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly exists: (path: string) => boolean
  readonly cwd: string
}

function settingsOf(options: DiscoverOptions): Settings {
  return {
    platform: options.platform ?? process.platform,
    arch: options.arch ?? process.arch,
    env: options.env ?? process.env,
    exists: options.exists ?? isFile,
    cwd: options.cwd ?? process.cwd(),
  }
}

/** A directory is not a module: accepting one would only move the failure to a less clear MODULE_LOAD_FAILED. */
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true
  } catch {
    // EACCES and friends: sceau could not load it either.
    return false
  }
}

function candidatePaths(module: KnownModule, settings: Settings): string[] {
  const paths = module.paths[settings.platform as 'linux' | 'darwin' | 'win32'] ?? []
  const triplet = MULTIARCH[settings.arch]
  return paths.flatMap((path) => {
    if (!path.includes('{multiarch}')) return [path]
    return triplet === undefined ? [] : [path.replace('{multiarch}', triplet)]
  })
}

/** Windows paths compare without case: `System32` and `system32` are the same directory. */
function samePath(a: string, b: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b
}

/** Names a file the user pointed at: the known module it belongs to, else a custom one. */
function describePath(path: string, settings: Settings): FoundModule {
  const owner = KNOWN_MODULES.find((module) =>
    candidatePaths(module, settings).some((candidate) => samePath(candidate, path, settings.platform)),
  )
  if (owner !== undefined) return { id: owner.id, name: owner.name, path }
  const api = settings.platform === 'win32' ? win32 : posix
  return { id: 'custom', name: api.basename(path), path }
}

function resolveWith(pathOrId: string, settings: Settings, origin: string | undefined): FoundModule {
  const from = origin === undefined ? '' : ` (from ${origin})`
  if (pathOrId.trim() === '') {
    throw new SceauError('USAGE', `empty PKCS#11 module path${from}; give a path or a known id such as "opensc"`)
  }
  const known = KNOWN_MODULES.find((module) => module.id === pathOrId)
  if (known !== undefined) {
    const candidates = candidatePaths(known, settings)
    const path = candidates.find((candidate) => settings.exists(candidate))
    if (path !== undefined) return { id: known.id, name: known.name, path }
    const where = candidates.length === 0 ? `sceau knows no location for it on ${settings.platform}` : `looked for ${candidates.join(', ')}`
    throw new SceauError(
      'MODULE_NOT_FOUND',
      `${known.name} ("${known.id}") is not installed${from}: ${where}. Install its driver, or pass the module's path with --module PATH`,
      { details: { module: known.id, platform: settings.platform, arch: settings.arch } },
    )
  }
  const api = settings.platform === 'win32' ? win32 : posix
  const path = api.resolve(settings.cwd, pathOrId)
  if (settings.exists(path)) return describePath(path, settings)
  // A bare word is more likely a mistyped id than a file in the working directory.
  const hint = /^[\w-]+$/.test(pathOrId)
    ? `; "${pathOrId}" is not a known module id either (${KNOWN_MODULES.map((m) => m.id).join(', ')})`
    : ''
  throw new SceauError('MODULE_NOT_FOUND', `no PKCS#11 module at "${path}"${from}${hint}`, {
    details: { module: path, platform: settings.platform },
  })
}

/**
 * Modules present on this machine, in {@link KNOWN_MODULES} order. The module named by `SCEAU_PKCS11_MODULE`
 * (a path or a known id) comes first when it exists; a known module is listed once even if the variable
 * names it. Only checks that files exist: no native code is loaded.
 *
 * @example
 * ```ts
 * for (const module of findModules()) console.log(`${module.id}\t${module.path}`)
 * ```
 */
export function findModules(options: DiscoverOptions = {}): FoundModule[] {
  const settings = settingsOf(options)
  const found: FoundModule[] = []
  const fromEnv = settings.env[ENV_VAR]
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    try {
      found.push(resolveWith(fromEnv, settings, ENV_VAR))
    } catch (err) {
      // Listing shows what is there; defaultModule() is where a wrong variable is reported.
      if (!(err instanceof SceauError)) throw err
    }
  }
  for (const module of KNOWN_MODULES) {
    if (found.some((entry) => entry.id === module.id)) continue
    const path = candidatePaths(module, settings).find((candidate) => settings.exists(candidate))
    if (path !== undefined && !found.some((entry) => samePath(entry.path, path, settings.platform))) {
      found.push({ id: module.id, name: module.name, path })
    }
  }
  return found
}

/**
 * The module to use when the user named none: `SCEAU_PKCS11_MODULE` if set (it must exist), else the first
 * module {@link findModules} finds. Throws `MODULE_NOT_FOUND` listing every place it looked and how to pass
 * `--module`.
 *
 * @example
 * ```ts
 * const module = defaultModule()
 * console.error(`using ${module.name} (${module.path})`)
 * ```
 */
export function defaultModule(options: DiscoverOptions = {}): FoundModule {
  const settings = settingsOf(options)
  const fromEnv = settings.env[ENV_VAR]
  // An explicit choice that does not exist is an error, not a reason to fall back to another token.
  if (fromEnv !== undefined && fromEnv.trim() !== '') return resolveWith(fromEnv, settings, ENV_VAR)
  const [first] = findModules({ ...options, env: {} })
  if (first !== undefined) return first
  const looked = KNOWN_MODULES.flatMap((module) => candidatePaths(module, settings).map((path) => `  ${path}  (${module.id})`))
  throw new SceauError(
    'MODULE_NOT_FOUND',
    [
      `no PKCS#11 module found on this ${settings.platform}/${settings.arch} machine.`,
      `Install your token's driver (docs/tokens.md says which), then pass its path with --module PATH,`,
      `or set ${ENV_VAR}=PATH. Looked in:`,
      ...(looked.length > 0 ? looked : ['  (no known location for this platform)']),
    ].join('\n'),
    { details: { platform: settings.platform, arch: settings.arch, searched: looked.length } },
  )
}

/**
 * Resolves a module the user named: a known id such as `"softhsm2"` or `"opensc"` (its first installed
 * location), or a path, absolute or relative to the working directory, that must exist. Throws
 * `MODULE_NOT_FOUND` naming what was asked.
 *
 * @example
 * ```ts
 * resolveModule('opensc').path // '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' on Debian
 * resolveModule('./drivers/libvendor.so') // { id: 'custom', name: 'libvendor.so', path: '/home/agent/drivers/libvendor.so' }
 * ```
 */
export function resolveModule(pathOrId: string, options: DiscoverOptions = {}): FoundModule {
  return resolveWith(pathOrId, settingsOf(options), undefined)
}
