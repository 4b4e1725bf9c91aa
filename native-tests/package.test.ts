import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The package as a user gets it: built by tsup, resolved through its `exports` map from another directory.
const root = resolve(import.meta.dirname, '..')
let app: string

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' })
  app = mkdtempSync(join(tmpdir(), 'sceau-consumer-'))
  mkdirSync(join(app, 'node_modules'))
  symlinkSync(root, join(app, 'node_modules', 'sceau'), 'dir')
}, 180_000)
afterAll(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true })
})

function run(file: string, source: string): string {
  writeFileSync(join(app, file), source)
  return execFileSync(process.execPath, [join(app, file)], { cwd: app })
    .toString()
    .trim()
}

describe('the built package', () => {
  it('works from CommonJS, with one SceauError class across entry points', () => {
    const out = run(
      'check.cjs',
      `const { SceauError } = require('sceau/errors')
       const { parsePkcs11Uri } = require('sceau/pkcs11')
       const { KeySigner, VERSION } = require('sceau')
       const { ecdsaP1363ToDer } = require('sceau/signer')
       let err; try { parsePkcs11Uri('pkcs11:slot-id=x') } catch (e) { err = e }
       console.log(JSON.stringify({ instance: err instanceof SceauError, code: err.code, signer: typeof KeySigner.create, der: ecdsaP1363ToDer(new Uint8Array(64).fill(1)).length, VERSION }))`,
    )
    expect(JSON.parse(out)).toEqual({ instance: true, code: 'URI_INVALID', signer: 'function', der: 70, VERSION: expect.any(String) })
  })

  it('works from ES modules', () => {
    const out = run(
      'check.mjs',
      `import { SceauError } from 'sceau/errors'
       import { parsePkcs11Uri, findModules } from 'sceau/pkcs11'
       import { PROFILE_NAMES } from 'sceau/policy'
       import { signPes, HELIOS_POLICY } from 'sceau/xades'
       let err; try { parsePkcs11Uri('pkcs11:slot-id=x') } catch (e) { err = e }
       let pesErr; try { await signPes(new TextEncoder().encode('<a/>'), {}) } catch (e) { pesErr = e }
       console.log(JSON.stringify({ instance: err instanceof SceauError, modules: Array.isArray(findModules()), profiles: PROFILE_NAMES.length,
         policy: HELIOS_POLICY.oid, pes: pesErr instanceof SceauError && pesErr.code }))`,
    )
    expect(JSON.parse(out)).toEqual({
      instance: true,
      modules: true,
      profiles: 4,
      policy: '1.2.250.1.131.1.5.18.21.1.7',
      pes: 'PES_STRUCTURE',
    })
  })

  it('does not load the native addon until a module is opened', () => {
    const out = run(
      'lazy.cjs',
      `require('sceau'); require('sceau/signer'); console.log(Object.keys(require.cache).some((p) => p.includes('pkcs11js')))`,
    )
    expect(out).toBe('false')
  })

  it('has a working bin whose version is package.json’s', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
    expect(
      execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), '--version'])
        .toString()
        .trim(),
    ).toBe(version)
  })
})
