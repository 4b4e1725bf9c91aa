import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SceauError } from '../errors.js'
import { defaultModule, findModules, KNOWN_MODULES, resolveModule } from './discover.js'

/** A pretend file system where only these files exist. */
const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path)

const linux = { platform: 'linux', arch: 'x64', env: {} } as const

function thrown(fn: () => unknown): SceauError {
  try {
    fn()
  } catch (err) {
    if (err instanceof SceauError) return err
    throw err
  }
  throw new Error('expected a SceauError')
}

describe('findModules', () => {
  it('lists vendor drivers before the generic modules, and SoftHSM last', () => {
    const exists = only(
      '/usr/lib/softhsm/libsofthsm2.so',
      '/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so',
      '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
      '/usr/lib/libeTPkcs11.so',
      '/usr/lib/libIDPrimePKCS11.so',
      '/usr/lib/SCMiddleware/libidop11.so',
    )
    expect(findModules({ ...linux, exists }).map((m) => m.id)).toEqual([
      'idopte',
      'idprime',
      'etoken',
      'opensc',
      'p11-kit-proxy',
      'softhsm2',
    ])
  })

  it('takes the first installed location of each module, once', () => {
    const exists = only('/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so')
    expect(findModules({ ...linux, exists })).toEqual([
      { id: 'softhsm2', name: 'SoftHSM 2', path: '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so' },
    ])
  })

  it('expands multiarch directories for the running architecture only', () => {
    const arm = only('/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so')
    expect(findModules({ ...linux, arch: 'arm64', exists: arm })).toEqual([
      { id: 'opensc', name: 'OpenSC', path: '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so' },
    ])
    expect(findModules({ ...linux, arch: 'x64', exists: arm })).toEqual([])
    // An architecture without a multiarch directory gets no multiarch candidate, not the x86_64 one.
    const seen: string[] = []
    findModules({ ...linux, arch: 'ppc64', exists: (path) => (seen.push(path), false) })
    expect(seen).toContain('/usr/lib64/opensc-pkcs11.so')
    expect(seen.filter((path) => path.includes('-linux-gnu') || path.includes('{'))).toEqual([])
  })

  it('knows the macOS and Windows places', () => {
    expect(findModules({ platform: 'darwin', env: {}, exists: only('/Library/OpenSC/lib/opensc-pkcs11.so') })).toEqual([
      { id: 'opensc', name: 'OpenSC', path: '/Library/OpenSC/lib/opensc-pkcs11.so' },
    ])
    const windows = only('C:\\Windows\\System32\\eTPKCS11.dll', 'C:\\Program Files\\Smart Card Middleware\\bin\\idoPKCS.dll')
    expect(findModules({ platform: 'win32', env: {}, exists: windows }).map((m) => m.id)).toEqual(['idopte', 'etoken'])
    // p11-kit has no macOS location: nothing to look for rather than a guess.
    expect(KNOWN_MODULES.find((m) => m.id === 'p11-kit-proxy')?.paths.darwin).toBeUndefined()
  })

  it('puts SCEAU_PKCS11_MODULE first, resolving relative paths and ids', () => {
    const exists = only('/opt/vendor/libp11.so', '/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so')
    expect(findModules({ ...linux, env: { SCEAU_PKCS11_MODULE: '/opt/vendor/libp11.so' }, exists })).toEqual([
      { id: 'custom', name: 'libp11.so', path: '/opt/vendor/libp11.so' },
      { id: 'opensc', name: 'OpenSC', path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' },
      { id: 'softhsm2', name: 'SoftHSM 2', path: '/usr/lib/softhsm/libsofthsm2.so' },
    ])
    expect(findModules({ ...linux, cwd: '/opt', env: { SCEAU_PKCS11_MODULE: 'vendor/libp11.so' }, exists })[0]?.path).toBe(
      '/opt/vendor/libp11.so',
    )
    expect(findModules({ ...linux, env: { SCEAU_PKCS11_MODULE: 'softhsm2' }, exists }).map((m) => m.id)).toEqual(['softhsm2', 'opensc'])
  })

  it('keeps the id of a known module named by SCEAU_PKCS11_MODULE and lists it once', () => {
    // src/testing/softhsm.ts looks SoftHSM up by id, whatever the variable says.
    const exists = only('/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so')
    const env = { SCEAU_PKCS11_MODULE: '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so' }
    expect(findModules({ ...linux, env, exists })).toEqual([
      { id: 'softhsm2', name: 'SoftHSM 2', path: '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so' },
    ])
  })

  it('skips a SCEAU_PKCS11_MODULE that does not exist (defaultModule reports it)', () => {
    const exists = only('/usr/lib/softhsm/libsofthsm2.so')
    expect(findModules({ ...linux, env: { SCEAU_PKCS11_MODULE: '/nowhere/lib.so' }, exists }).map((m) => m.id)).toEqual(['softhsm2'])
  })
})

describe('defaultModule', () => {
  it('prefers SCEAU_PKCS11_MODULE, then the first module found', () => {
    const exists = only('/opt/vendor/libp11.so', '/usr/lib/libIDPrimePKCS11.so', '/usr/lib/softhsm/libsofthsm2.so')
    expect(defaultModule({ ...linux, env: { SCEAU_PKCS11_MODULE: '/opt/vendor/libp11.so' }, exists }).path).toBe('/opt/vendor/libp11.so')
    expect(defaultModule({ ...linux, exists })).toEqual({
      id: 'idprime',
      name: 'Thales (Gemalto) IDPrime',
      path: '/usr/lib/libIDPrimePKCS11.so',
    })
  })

  it('does not fall back to another token when SCEAU_PKCS11_MODULE is wrong', () => {
    const err = thrown(() =>
      defaultModule({ ...linux, env: { SCEAU_PKCS11_MODULE: '/nowhere/lib.so' }, exists: only('/usr/lib/softhsm/libsofthsm2.so') }),
    )
    expect(err.code).toBe('MODULE_NOT_FOUND')
    expect(err.message).toContain('"/nowhere/lib.so" (from SCEAU_PKCS11_MODULE)')
  })

  it('says where it looked and how to pass a module when nothing is installed', () => {
    const err = thrown(() => defaultModule({ ...linux, arch: 'arm64', exists: () => false }))
    expect(err.code).toBe('MODULE_NOT_FOUND')
    expect(err.message).toContain('--module PATH')
    expect(err.message).toContain('SCEAU_PKCS11_MODULE=PATH')
    expect(err.message).toContain('docs/tokens.md')
    for (const path of [
      '/usr/lib/SCMiddleware/libidop11.so',
      '/usr/lib/libIDPrimePKCS11.so',
      '/usr/lib64/libcps3_pkcs11_lux.so',
      '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
      '/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so',
      '/usr/lib/softhsm/libsofthsm2.so',
    ]) {
      expect(err.message).toContain(`\n  ${path}  (`)
    }
    expect(err.message).not.toContain('{multiarch}')
    expect(err.message).not.toContain('x86_64-linux-gnu')
    expect(err.details).toMatchObject({ platform: 'linux', arch: 'arm64' })
    expect(err.details.searched).toBeGreaterThan(20)
  })

  it('lists the Windows places on Windows', () => {
    const err = thrown(() => defaultModule({ platform: 'win32', arch: 'x64', env: {}, exists: () => false }))
    expect(err.message).toContain('C:\\Windows\\System32\\eTPKCS11.dll')
    expect(err.message).toContain('C:\\SoftHSM2\\lib\\softhsm2-x64.dll')
    expect(err.message).not.toContain('/usr/lib')
  })
})

describe('resolveModule', () => {
  it('resolves a known id to its first installed location', () => {
    const exists = only('/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so')
    expect(resolveModule('opensc', { ...linux, exists })).toEqual({
      id: 'opensc',
      name: 'OpenSC',
      path: '/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so',
    })
  })

  it('names the places it looked for a known id that is not installed', () => {
    const err = thrown(() => resolveModule('idprime', { ...linux, exists: () => false }))
    expect(err.code).toBe('MODULE_NOT_FOUND')
    expect(err.message).toContain('Thales (Gemalto) IDPrime ("idprime") is not installed')
    expect(err.message).toContain('/usr/lib/libIDPrimePKCS11.so')
    expect(err.message).toContain('--module PATH')
    expect(thrown(() => resolveModule('p11-kit-proxy', { platform: 'darwin', env: {}, exists: () => true })).message).toContain(
      'no location for it on darwin',
    )
  })

  it('resolves a relative path against the working directory', () => {
    const exists = only('/home/agent/drivers/libvendor.so')
    expect(resolveModule('drivers/libvendor.so', { ...linux, cwd: '/home/agent', exists })).toEqual({
      id: 'custom',
      name: 'libvendor.so',
      path: '/home/agent/drivers/libvendor.so',
    })
    expect(resolveModule('../agent/drivers/libvendor.so', { ...linux, cwd: '/home/other', exists }).path).toBe(
      '/home/agent/drivers/libvendor.so',
    )
  })

  it('recognises a known module given by its path, on Windows without regard to case', () => {
    expect(resolveModule('/usr/lib/softhsm/libsofthsm2.so', { ...linux, exists: () => true }).id).toBe('softhsm2')
    const exists = only('C:\\WINDOWS\\system32\\etpkcs11.dll', 'C:\\Users\\agent\\drivers\\vendor.dll')
    expect(resolveModule('C:\\WINDOWS\\system32\\etpkcs11.dll', { platform: 'win32', env: {}, exists })).toMatchObject({
      id: 'etoken',
    })
    expect(resolveModule('drivers\\vendor.dll', { platform: 'win32', env: {}, cwd: 'C:\\Users\\agent', exists })).toEqual({
      id: 'custom',
      name: 'vendor.dll',
      path: 'C:\\Users\\agent\\drivers\\vendor.dll',
    })
  })

  it('names a missing path, and suggests the ids when the argument looks like one', () => {
    const missing = thrown(() => resolveModule('/nowhere/lib.so', { ...linux, exists: () => false }))
    expect(missing.code).toBe('MODULE_NOT_FOUND')
    expect(missing.message).toBe('no PKCS#11 module at "/nowhere/lib.so"')
    expect(missing.details).toMatchObject({ module: '/nowhere/lib.so' })
    const typo = thrown(() => resolveModule('openss', { ...linux, cwd: '/home/agent', exists: () => false }))
    expect(typo.message).toContain('no PKCS#11 module at "/home/agent/openss"; "openss" is not a known module id either (idopte, ')
    expect(thrown(() => resolveModule('  ', linux)).code).toBe('USAGE')
  })

  it('accepts a real file and refuses a directory (real file system)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sceau-discover-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    mkdirSync(join(dir, 'drivers'))
    writeFileSync(join(dir, 'drivers', 'libvendor.so'), '')
    expect(resolveModule('drivers/libvendor.so', { cwd: dir })).toEqual({
      id: 'custom',
      name: 'libvendor.so',
      path: join(dir, 'drivers', 'libvendor.so'),
    })
    expect(thrown(() => resolveModule('drivers', { cwd: dir })).code).toBe('MODULE_NOT_FOUND')
  })
})

describe('KNOWN_MODULES', () => {
  it('has unique ids, absolute paths and no path twice', () => {
    expect(new Set(KNOWN_MODULES.map((m) => m.id)).size).toBe(KNOWN_MODULES.length)
    for (const module of KNOWN_MODULES) {
      for (const path of module.paths.linux ?? []) expect(path).toMatch(/^\/usr\/|^\/opt\//)
      for (const path of module.paths.darwin ?? []) expect(path).toMatch(/^\/(usr|opt|Library)\//)
      for (const path of module.paths.win32 ?? []) expect(path).toMatch(/^C:\\/)
      for (const paths of Object.values(module.paths)) expect(new Set(paths).size).toBe(paths.length)
    }
  })
})

describe('on this machine', () => {
  it('finds SoftHSM2 and OpenSC, which the tests need', () => {
    const found = findModules({ env: {} })
    expect(found.map((m) => m.id)).toEqual(expect.arrayContaining(['softhsm2', 'opensc']))
    expect(found.every((m) => existsSync(m.path))).toBe(true)
    expect(defaultModule({ env: {} }).path).toBe(found[0]?.path)
  })
})

const cleanups: (() => void)[] = []
afterAll(() => {
  for (const cleanup of cleanups) cleanup()
})
