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

  it('runs batch jobs on worker threads from the built files (ESM and CommonJS)', () => {
    const flow = readFileSync(join(root, 'fixtures', 'pes', 'PESALR2_25060187900027_190328_001.xml'))
    const unsigned = Buffer.concat([flow.subarray(0, flow.indexOf('<ds:Signature')), flow.subarray(flow.indexOf('</ds:Signature>') + 15)])
    for (let k = 0; k < 4; k++) writeFileSync(join(app, `flux-${k}.xml`), unsigned)
    const openssl = (...args: string[]): Buffer => execFileSync('openssl', args, { cwd: app })
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'key.pem')
    openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'key.pem', '-outform', 'DER', '-out', 'key.der')
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      'key.pem',
      '-subj',
      '/C=FR/O=Commune/CN=Agent',
      '-days',
      '2',
      '-outform',
      'DER',
      '-out',
      'cert.der',
    )
    const body = `
       const signer = KeySigner.fromPkcs8({ key: readFileSync('key.der'), certificate: readFileSync('cert.der') })
       const items = [0, 1, 2, 3].map((k) => ({ input: 'flux-' + k + '.xml', output: 'signed-' + k + '-' + kind + '.xml' }))
       const statuses = []
       for await (const result of signBatch(items, { signer, job: pesJob({ placement: 'whole' }), workers: 2 })) statuses.push(result.status)
       console.log(JSON.stringify(statuses))`
    const esm = run(
      'workers.mjs',
      `import { readFileSync } from 'node:fs'
       import { signBatch, pesJob } from 'sceau/batch'
       import { KeySigner } from 'sceau/signer'
       const kind = 'esm'
       ${body}`,
    )
    expect(JSON.parse(esm)).toEqual(['signed', 'signed', 'signed', 'signed'])
    const cjs = run(
      'workers.cjs',
      `const { readFileSync } = require('node:fs')
       const { signBatch, pesJob } = require('sceau/batch')
       const { KeySigner } = require('sceau/signer')
       const kind = 'cjs'
       ;(async () => { ${body} })()`,
    )
    expect(JSON.parse(cjs)).toEqual(['signed', 'signed', 'signed', 'signed'])
    expect(readFileSync(join(app, 'signed-0-cjs.xml'), 'latin1')).toContain('<ds:SignatureValue')
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
