import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { startTestTsa } from '../src/testing/tsa.js'
import { runCli } from './capture-io.js'
import { makeAgentP12, pkiFile, trustTestPki } from './test-pki-files.js'
import { createTestTokens, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// Detached CAdES signatures made by sceau, judged by OpenSSL's cms, which nobody here wrote.

const P12_PASSWORD = 'p12-secret-3306'

let hsm: SoftHsm
let dir: string
let p12: string

const sceau = (args: string[]): ReturnType<typeof runCli> => runCli(args, { MAIRIE_PIN: PIN_A, P12_PASSWORD })

const tokenKey = (object: string): string[] => tokenKeyArgs(hsm.module, object)

function openssl(p7s: string, content: string): boolean {
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7s, '-content', content, '-CAfile', join(dir, 'bundle.pem')]
  return spawnSync('openssl', [...args, '-purpose', 'any', '-out', '/dev/null']).status === 0
}

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-cades-test-'))
  writeFileSync(join(dir, 'bundle.pem'), readFileSync(pkiFile('root.pem'), 'utf8') + readFileSync(pkiFile('intermediate.pem'), 'utf8'))
  p12 = makeAgentP12(dir, P12_PASSWORD)
})

afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('sceau sign (detached CAdES), judged by openssl cms', () => {
  const keys: [string, () => string[]][] = [
    ['the token RSA key', () => tokenKey('Signature RSA')],
    ['the token EC key', () => tokenKey('Signature EC')],
    ['a PKCS#12 file', () => ['--p12', p12, '--password-env', 'P12_PASSWORD']],
  ]
  for (const [name, key] of keys) {
    it(`signs a file with ${name}: FILE.p7s beside it, openssl and sceau verify accept it, a changed byte fails both`, async () => {
      const file = join(dir, `offre-${name.replace(/\W+/g, '-')}.zip`)
      writeFileSync(file, randomBytes(3 * 1024 * 1024 + 17))
      const run = await sceau(['sign', file, ...key()])
      expect(run.code, run.stderr).toBe(0)
      expect(existsSync(`${file}.p7s`)).toBe(true)
      expect(openssl(`${file}.p7s`, file)).toBe(true)
      const verified = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      expect(JSON.parse(verified.stdout).files[0]).toMatchObject({ kind: 'cades', indication: 'TOTAL_PASSED' })

      const bytes = readFileSync(file)
      bytes[1000] = (bytes[1000] as number) ^ 0x01
      writeFileSync(file, bytes)
      expect(openssl(`${file}.p7s`, file)).toBe(false)
      const broken = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])
      expect(broken.code).toBe(1)
      expect(JSON.parse(broken.stdout).files[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }

  it('B-T: a signature time-stamp from a local RFC 3161 authority; openssl still verifies, sceau checks the token', async () => {
    const tsa = await startTestTsa({
      certificatePem: readFileSync(pkiFile('tsa-rsa2048.cert.pem'), 'utf8'),
      keyDer: new Uint8Array(readFileSync(pkiFile('tsa-rsa2048.key.der'))),
      chainPem: readFileSync(pkiFile('intermediate.pem'), 'utf8'),
    })
    try {
      const file = join(dir, 'contrat.docx')
      writeFileSync(file, randomBytes(100_000))
      const out = join(dir, 'signatures', 'contrat.docx.p7s')
      const run = await sceau(['sign', file, '--out-dir', join(dir, 'signatures'), '--tsa', tsa.url, ...tokenKey('Signature RSA')])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('CAdES B-T')
      expect(openssl(out, file)).toBe(true)
      const verified = await sceau(['verify', out, '--content', file, ...trustTestPki(), '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      const signature = JSON.parse(verified.stdout).files[0].signatures[0]
      expect(signature.checks).toContainEqual(expect.objectContaining({ id: 'timestamp', status: 'pass' }))
      expect(signature.signingTime).toEqual(expect.any(String))
    } finally {
      await tsa.close()
    }
  })
})
