import { existsSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { SceauError } from '../errors.js'

/** A PKCS#11 module sceau knows where to look for. */
export interface KnownModule {
  /** Short id usable with `--module` ("softhsm2", "opensc", ...). */
  readonly id: string
  /** Human name. */
  readonly name: string
  readonly vendor: string
  /** What it serves. */
  readonly tokens: string
  /** Candidate paths per platform; `{multiarch}` stands for the Debian multiarch triplet. */
  readonly paths: Readonly<Partial<Record<'linux' | 'darwin' | 'win32', readonly string[]>>>
}

/** A module present on this machine. */
export interface FoundModule {
  readonly id: string
  readonly name: string
  readonly path: string
}

/** Options shared by the discovery functions; tests inject the platform and the file check. */
export interface DiscoverOptions {
  readonly platform?: NodeJS.Platform
  readonly arch?: string
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly exists?: (path: string) => boolean
  readonly cwd?: string
}

const SYSTEM32 = 'C:\\Windows\\System32'

/**
 * Where PKCS#11 modules live, in the order sceau tries them when no module is given: the vendor drivers of
 * the tokens French agents hold first (a plugged-in agent token is what the user means), then the generic
 * ones. docs/tokens.md says where each path comes from.
 */
export const KNOWN_MODULES: readonly KnownModule[] = [
  {
    id: 'idprime',
    name: 'Thales (Gemalto) IDPrime',
    vendor: 'Thales',
    tokens:
      'IDPrime MD smart cards and USB tokens (IDPrime MD 840/940, eToken 5110 with IDPrime applet), used by several French qualified CAs',
    paths: {
      linux: ['/usr/lib/libIDPrimePKCS11.so', '/usr/lib64/libIDPrimePKCS11.so', '/usr/lib/pkcs11/libIDPrimePKCS11.so'],
      darwin: ['/usr/local/lib/libIDPrimePKCS11.dylib', '/Library/Frameworks/eToken.framework/Versions/Current/libIDPrimePKCS11.dylib'],
      win32: [`${SYSTEM32}\\IDPrimePKCS1164.dll`, `${SYSTEM32}\\IDPrimePKCS11.dll`],
    },
  },
  {
    id: 'etoken',
    name: 'SafeNet eToken (SafeNet Authentication Client)',
    vendor: 'Thales (SafeNet)',
    tokens: 'SafeNet eToken 5110/5300 USB keys and the IDPrime cards SAC also drives',
    paths: {
      linux: ['/usr/lib/libeTPkcs11.so', '/usr/lib64/libeTPkcs11.so', '/usr/lib/libeToken.so'],
      darwin: ['/usr/local/lib/libeTPkcs11.dylib', '/Library/Frameworks/eToken.framework/Versions/Current/libeToken.dylib'],
      win32: [`${SYSTEM32}\\eTPKCS11.dll`],
    },
  },
  {
    id: 'idemia',
    name: 'IDEMIA (Oberthur) AWP middleware',
    vendor: 'IDEMIA',
    tokens: 'IDEMIA/Oberthur ID-One cards and USB tokens',
    paths: {
      linux: ['/usr/lib/libOcsCryptoki.so', '/usr/local/lib/libOcsCryptoki.so'],
      darwin: ['/usr/local/lib/libOcsCryptoki.dylib'],
      win32: [`${SYSTEM32}\\OcsCryptoki.dll`],
    },
  },
  {
    id: 'cps',
    name: 'CPS (Carte de Professionnel de Santé)',
    vendor: 'ANS',
    tokens: 'CPS cards of health professionals (hospitals and health centres run by local authorities)',
    paths: {
      linux: ['/usr/lib/libcps3_pkcs11_lnx.so', '/usr/local/lib/libcps3_pkcs11_lnx.so'],
      darwin: ['/usr/local/lib/libcps3_pkcs11_osx.dylib'],
      win32: [`${SYSTEM32}\\cps3_pkcs11_w64.dll`],
    },
  },
  {
    id: 'ykcs11',
    name: 'YubiKey PIV (ykcs11)',
    vendor: 'Yubico',
    tokens: 'YubiKey PIV applet',
    paths: {
      linux: ['/usr/lib/{multiarch}/libykcs11.so', '/usr/lib64/libykcs11.so', '/usr/local/lib/libykcs11.so'],
      darwin: ['/usr/local/lib/libykcs11.dylib', '/opt/homebrew/lib/libykcs11.dylib'],
      win32: ['C:\\Program Files\\Yubico\\Yubico PIV Tool\\bin\\libykcs11.dll'],
    },
  },
  {
    id: 'opensc',
    name: 'OpenSC',
    vendor: 'OpenSC project',
    tokens: 'many PKCS#15 and PIV cards and tokens (generic reader of last resort)',
    paths: {
      linux: [
        '/usr/lib/{multiarch}/opensc-pkcs11.so',
        '/usr/lib/{multiarch}/pkcs11/opensc-pkcs11.so',
        '/usr/lib64/opensc-pkcs11.so',
        '/usr/lib64/pkcs11/opensc-pkcs11.so',
        '/usr/lib/opensc-pkcs11.so',
      ],
      darwin: ['/Library/OpenSC/lib/opensc-pkcs11.so', '/opt/homebrew/lib/opensc-pkcs11.so', '/usr/local/lib/opensc-pkcs11.so'],
      win32: [`${SYSTEM32}\\opensc-pkcs11.dll`, 'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll'],
    },
  },
  {
    id: 'p11-kit-proxy',
    name: 'p11-kit proxy',
    vendor: 'p11-glue',
    tokens: 'every module registered with p11-kit on the system (/usr/share/p11-kit/modules)',
    paths: {
      linux: ['/usr/lib/{multiarch}/p11-kit-proxy.so', '/usr/lib64/p11-kit-proxy.so', '/usr/lib/p11-kit-proxy.so'],
      darwin: ['/opt/homebrew/lib/p11-kit-proxy.so', '/usr/local/lib/p11-kit-proxy.so'],
    },
  },
  {
    id: 'softhsm2',
    name: 'SoftHSM 2',
    vendor: 'OpenDNSSEC',
    tokens: 'software tokens for tests, demos and CI',
    paths: {
      linux: [
        '/usr/lib/softhsm/libsofthsm2.so',
        '/usr/lib/{multiarch}/softhsm/libsofthsm2.so',
        '/usr/lib64/pkcs11/libsofthsm2.so',
        '/usr/lib64/softhsm/libsofthsm2.so',
        '/usr/local/lib/softhsm/libsofthsm2.so',
      ],
      darwin: ['/opt/homebrew/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'],
      win32: ['C:\\SoftHSM2\\lib\\softhsm2-x64.dll'],
    },
  },
]

const MULTIARCH: Readonly<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf' }

/** The paths of a module on a platform, multiarch placeholders expanded. */
function candidatePaths(module: KnownModule, platform: NodeJS.Platform, arch: string): string[] {
  const paths = module.paths[platform as 'linux' | 'darwin' | 'win32'] ?? []
  const triplet = MULTIARCH[arch] ?? 'x86_64-linux-gnu'
  return paths.map((path) => path.replace('{multiarch}', triplet))
}

/**
 * Modules present on this machine, in {@link KNOWN_MODULES} order; the `SCEAU_PKCS11_MODULE` path first when set.
 *
 * @example
 * ```ts
 * for (const module of findModules()) console.log(module.name, module.path)
 * ```
 */
export function findModules(options: DiscoverOptions = {}): FoundModule[] {
  const platform = options.platform ?? process.platform
  const arch = options.arch ?? process.arch
  const exists = options.exists ?? existsSync
  const env = options.env ?? process.env
  const found: FoundModule[] = []
  const fromEnv = env.SCEAU_PKCS11_MODULE
  if (fromEnv !== undefined && fromEnv !== '' && exists(fromEnv)) found.push({ id: 'env', name: 'SCEAU_PKCS11_MODULE', path: fromEnv })
  for (const module of KNOWN_MODULES) {
    const path = candidatePaths(module, platform, arch).find(exists)
    if (path !== undefined && !found.some((f) => f.path === path)) found.push({ id: module.id, name: module.name, path })
  }
  return found
}

/**
 * The module to use when the user named none: `SCEAU_PKCS11_MODULE`, else the first found.
 * Throws `MODULE_NOT_FOUND` listing where it looked.
 *
 * @example
 * ```ts
 * const token = await Token.open({ module: defaultModule().path })
 * ```
 */
export function defaultModule(options: DiscoverOptions = {}): FoundModule {
  const env = options.env ?? process.env
  const fromEnv = env.SCEAU_PKCS11_MODULE
  if (fromEnv !== undefined && fromEnv !== '') return resolveModule(fromEnv, options)
  const [first] = findModules(options)
  if (first !== undefined) return first
  const platform = options.platform ?? process.platform
  const looked = KNOWN_MODULES.flatMap((module) => candidatePaths(module, platform, options.arch ?? process.arch))
  throw new SceauError(
    'MODULE_NOT_FOUND',
    `no PKCS#11 module found; install your token's driver or pass --module PATH (or set SCEAU_PKCS11_MODULE). Looked in: ${looked.join(', ')}`,
    { details: { platform } },
  )
}

/**
 * A module the user named: a path (relative to the working directory, must exist) or a known id such as
 * "softhsm2" or "opensc". Throws `MODULE_NOT_FOUND` naming what was asked.
 *
 * @example
 * ```ts
 * resolveModule('opensc').path // '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' on Debian
 * ```
 */
export function resolveModule(pathOrId: string, options: DiscoverOptions = {}): FoundModule {
  const exists = options.exists ?? existsSync
  const known = KNOWN_MODULES.find((module) => module.id === pathOrId)
  if (known !== undefined) {
    const path = candidatePaths(known, options.platform ?? process.platform, options.arch ?? process.arch).find(exists)
    if (path === undefined) {
      throw new SceauError(
        'MODULE_NOT_FOUND',
        `${known.name} is not installed here (looked for ${pathOrId} in the usual places); pass --module PATH`,
        {
          details: { module: pathOrId },
        },
      )
    }
    return { id: known.id, name: known.name, path }
  }
  const path = isAbsolute(pathOrId) ? pathOrId : resolve(options.cwd ?? process.cwd(), pathOrId)
  if (!exists(path)) {
    throw new SceauError('MODULE_NOT_FOUND', `no PKCS#11 module at "${path}"`, { details: { module: path } })
  }
  const owner = KNOWN_MODULES.find((module) =>
    Object.values(module.paths).some((paths) =>
      paths?.some((p) => p.replace('{multiarch}', MULTIARCH[options.arch ?? process.arch] ?? '') === path),
    ),
  )
  return { id: owner?.id ?? 'custom', name: owner?.name ?? path, path }
}
