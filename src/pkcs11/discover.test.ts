import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { defaultModule, findModules, KNOWN_MODULES, resolveModule } from './discover.js'

const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path)

describe('module discovery', () => {
  it('prefers an agent token driver over the generic modules', () => {
    const exists = only('/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so', '/usr/lib/libIDPrimePKCS11.so')
    expect(findModules({ platform: 'linux', arch: 'x64', env: {}, exists }).map((m) => m.id)).toEqual(['idprime', 'opensc', 'softhsm2'])
  })

  it('expands multiarch directories for the running architecture', () => {
    const exists = only('/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so')
    expect(findModules({ platform: 'linux', arch: 'arm64', env: {}, exists })).toEqual([
      { id: 'opensc', name: 'OpenSC', path: '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so' },
    ])
    expect(findModules({ platform: 'linux', arch: 'x64', env: {}, exists })).toEqual([])
  })

  it('knows Windows and macOS places', () => {
    expect(findModules({ platform: 'win32', env: {}, exists: only('C:\\Windows\\System32\\eTPKCS11.dll') })[0]?.id).toBe('etoken')
    expect(findModules({ platform: 'darwin', env: {}, exists: only('/Library/OpenSC/lib/opensc-pkcs11.so') })[0]?.id).toBe('opensc')
  })

  it('puts SCEAU_PKCS11_MODULE first', () => {
    const exists = only('/opt/vendor/libp11.so', '/usr/lib/softhsm/libsofthsm2.so')
    const found = findModules({ platform: 'linux', env: { SCEAU_PKCS11_MODULE: '/opt/vendor/libp11.so' }, exists })
    expect(found.map((m) => m.path)).toEqual(['/opt/vendor/libp11.so', '/usr/lib/softhsm/libsofthsm2.so'])
    expect(defaultModule({ platform: 'linux', env: { SCEAU_PKCS11_MODULE: '/opt/vendor/libp11.so' }, exists }).path).toBe(
      '/opt/vendor/libp11.so',
    )
  })

  it('says where it looked when nothing is installed', () => {
    expect(() => defaultModule({ platform: 'linux', arch: 'x64', env: {}, exists: () => false })).toThrow(
      expect.objectContaining({
        code: 'MODULE_NOT_FOUND',
        message: expect.stringMatching(/--module PATH.*\/usr\/lib\/softhsm\/libsofthsm2\.so/),
      }),
    )
  })

  it('resolves ids and relative paths, and names a missing path', () => {
    const exists = only('/usr/lib/softhsm/libsofthsm2.so', '/home/agent/drivers/libvendor.so')
    expect(resolveModule('softhsm2', { platform: 'linux', exists }).path).toBe('/usr/lib/softhsm/libsofthsm2.so')
    expect(resolveModule('drivers/libvendor.so', { cwd: '/home/agent', exists })).toMatchObject({
      id: 'custom',
      path: '/home/agent/drivers/libvendor.so',
    })
    expect(() => resolveModule('/nowhere/lib.so', { exists })).toThrow(
      expect.objectContaining({ code: 'MODULE_NOT_FOUND', message: expect.stringContaining('/nowhere/lib.so') }),
    )
    expect(() => resolveModule('idprime', { platform: 'linux', exists })).toThrow(expect.objectContaining({ code: 'MODULE_NOT_FOUND' }))
  })

  it('has unique ids', () => {
    expect(new Set(KNOWN_MODULES.map((m) => m.id)).size).toBe(KNOWN_MODULES.length)
  })

  it('finds the modules installed on this machine (SoftHSM2 and OpenSC are test prerequisites)', () => {
    const ids = findModules({ env: {} }).map((m) => m.id)
    expect(ids).toEqual(expect.arrayContaining(['softhsm2', 'opensc']))
    expect(findModules({ env: {} }).every((m) => existsSync(m.path))).toBe(true)
  })
})
