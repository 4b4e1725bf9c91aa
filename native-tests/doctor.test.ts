import 'reflect-metadata'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureIo } from './capture-io.js'
import { main } from '../src/cli/main.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens, PIN_A } from './tokens-fixture.js'

let hsm: SoftHsm

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo(env)
  const code = await main(['doctor', ...args], io)
  return { code, stdout: io.stdout, stderr: io.stderr }
}

/** The lines of the page under the certificate with this label, up to the next certificate or token. */
function section(page: string, label: string): string {
  const start = page.indexOf(`Certificate "${label}"`)
  expect(start).toBeGreaterThanOrEqual(0)
  const rest = page.slice(start + 1)
  const end = rest.search(/\n {4}Certificate "|\n {2}Token "|\nWhat to do:/)
  return page.slice(start, start + 1 + (end < 0 ? rest.length : end))
}

beforeAll(() => {
  hsm = createTestTokens()
})
afterAll(() => hsm.cleanup())

describe('sceau doctor', () => {
  it('says which certificate can sign for Hélios, which cannot and why, and which has expired', async () => {
    const { code, stdout, stderr } = await run(['--module', hsm.module])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('Token "Mairie de Test" — SoftHSM project SoftHSM v2')
    expect(stdout).toContain(hsm.tokens[0]?.serial ?? 'no serial')
    // SoftHSM's spare uninitialised slot is not worth a line.
    expect(stdout).not.toMatch(/not initialised/)

    const rsa = section(stdout, 'Signature RSA')
    expect(rsa).toMatch(/Hélios \/ PES \(RGS\*\*\)\s+yes/)
    expect(rsa).toMatch(/expires on \d{4}-\d{2}-\d{2} \(in \d+ days\)/)

    const authentication = section(stdout, 'Authentification')
    expect(authentication).toMatch(/Hélios \/ PES \(RGS\*\*\)\s+no\s+— authentication-only/)

    expect(section(stdout, 'Ancienne signature')).toMatch(/EXPIRED on \d{4}-\d{2}-\d{2}/)
    expect(stdout).toContain('qualification judged from the certificates alone: add --tsl tl-fr.xml for the official answer')
    expect(stdout).toContain('revocation was not checked by doctor')
    expect(stdout).toContain('private keys are hidden without login')
  })

  it('gives the same findings as JSON', async () => {
    const { code, stdout } = await run(['--module', hsm.module, '--json'])
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.modules).toHaveLength(1)
    const [module] = report.modules
    expect(module).toMatchObject({ path: hsm.module, id: 'softhsm2', loaded: true })
    expect(module.tokens.map((t: { label: string }) => t.label).sort()).toEqual(['Mairie de Test', 'Syndicat de Test'])
    const mairie = module.tokens.find((t: { label: string }) => t.label === 'Mairie de Test')
    expect(mairie).toMatchObject({
      serial: hsm.tokens[0]?.serial,
      pin: { locked: false, finalTry: false, countLow: false, loggedIn: false },
    })
    const rsa = mairie.certificates.find((c: { label: string }) => c.label === 'Signature RSA')
    expect(rsa).toMatchObject({ hasPrivateKey: null, profiles: { 'rgs2-signature': { ok: true } } })
    expect(rsa.daysLeft).toBeGreaterThan(0)
    expect(Object.keys(rsa.profiles)).toEqual(['rgs2-signature', 'eidas-qualified', 'eidas-qes'])
    const auth = mairie.certificates.find((c: { label: string }) => c.label === 'Authentification')
    expect(auth.profiles['rgs2-signature']).toMatchObject({ ok: false, reason: expect.stringContaining('authentication-only') })
    // The token's CA certificate is an intermediate, not a certificate to sign with.
    expect(mairie.certificates.map((c: { label: string }) => c.label)).not.toContain('AC intermédiaire TEST')
    expect(report.advice).toEqual(expect.arrayContaining([expect.stringContaining('revocation was not checked')]))
  })

  it('exits 2 with what to do when the module does not exist', async () => {
    const { code, stdout } = await run(['--module', '/nonexistent.so'])
    expect(code).toBe(2)
    expect(stdout).toContain('NOT LOADED: MODULE_NOT_FOUND')
    expect(stdout).toMatch(/what to do: no driver at this path: install your token's driver/)
    const json = JSON.parse((await run(['--module', '/nonexistent.so', '--json'])).stdout)
    expect(json.modules[0]).toMatchObject({ loaded: false, error: { code: 'MODULE_NOT_FOUND' } })
  })

  it('does not log in when the module shows two tokens, and says private keys stay hidden; the PIN is never printed', async () => {
    const { code, stdout, stderr } = await run(['--module', hsm.module, '--pin-env', 'SCEAU_TEST_DOCTOR_PIN'], {
      SCEAU_TEST_DOCTOR_PIN: PIN_A,
    })
    expect(code).toBe(0)
    expect(stdout).toMatch(/shows 2 tokens, so doctor did not log in: private keys are hidden without login/)
    expect(stdout).toContain('private key: hidden without login')
    expect(stdout + stderr).not.toContain(PIN_A)
  })

  it('consults the real French trusted list and says how qualification was judged', async () => {
    const tl = join(import.meta.dirname, '..', 'fixtures', 'tl', 'FR-TL-seq112-2023-02-23.xml')
    const { code, stdout, stderr } = await run(['--module', hsm.module, '--tsl', tl, '--at', '2023-03-01T12:00:00Z'])
    expect(stderr).toBe('')
    // The test PKI is issued today: at 2023-03-01 none of its certificates is valid yet, so none can sign.
    expect(code).toBe(1)
    expect(stdout).toContain('sceau doctor — at 2023-03-01T12:00:00.000Z')
    expect(stdout).toMatch(/Trusted lists consulted: .*FR-TL-seq112-2023-02-23\.xml \(FR #112\)/)
    expect(stdout).not.toContain('qualification judged from the certificates alone')
    expect(section(stdout, 'Signature RSA')).toMatch(/qualified: .*trusted list consulted/)
  })
})
