import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pesJob } from '../src/batch/jobs.js'
import { signBatch, type BatchResult } from '../src/batch/sign-batch.js'
import { isSceauError } from '../src/errors.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { runCli } from './capture-io.js'
import { createTestTokens, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// The batch core on a real token: many PES flows through one login, outputs checked by xmlsec1, a bad file that
// stops nothing, a resumed run, and a token pulled out in the middle.

const FLOW = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'pes', 'PESALR2_25060187900027_190328_001.xml'))
const UNSIGNED = Buffer.concat([
  FLOW.subarray(0, FLOW.indexOf('<ds:Signature')),
  FLOW.subarray(FLOW.indexOf('</ds:Signature>') + '</ds:Signature>'.length),
])
const ID_ATTRS = ['--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties']

let hsm: SoftHsm
let dir: string

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-batch-native-'))
  process.env.SCEAU_TEST_PIN_A = PIN_A
})

afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

/** `count` unsigned flows in a fresh directory; the ones in `broken` cut short (not well-formed). */
function flows(name: string, count: number, broken: readonly number[] = []): string[] {
  const inputs = join(dir, name)
  mkdirSync(inputs)
  return Array.from({ length: count }, (_, k) => {
    const file = join(inputs, `flux-${String(k).padStart(3, '0')}.xml`)
    writeFileSync(file, broken.includes(k) ? UNSIGNED.subarray(0, 3000) : UNSIGNED)
    return file
  })
}

function xmlsec1Accepts(file: string): boolean {
  const id = /<ds:Signature[^>]*\sId="([^"]+)"/.exec(readFileSync(file, 'latin1'))?.[1] ?? ''
  const run = spawnSync(
    'xmlsec1',
    ['--verify', '--insecure', ...ID_ATTRS, '--id-attr:Id', 'http://www.w3.org/2000/09/xmldsig#:Signature', '--node-id', id, file],
    {
      encoding: 'utf8',
    },
  )
  return run.status === 0
}

describe('sceau sign-pes on many flows (the batch core through the CLI)', () => {
  it('signs 40 flows with one login, fails the broken one alone, and resumes with --skip-existing', async () => {
    const inputs = flows('cli', 40, [17])
    const out = join(dir, 'cli-signed')
    const args = ['sign-pes', ...inputs, '--out-dir', out, ...tokenKeyArgs(hsm.module, 'Signature RSA'), '--concurrency', '6', '--json']
    const run = await runCli(args, { MAIRIE_PIN: PIN_A })
    expect(run.code, run.stderr).toBe(2)
    const files = JSON.parse(run.stdout).files as { input: string; status: string; error?: { code: string } }[]
    expect(files).toHaveLength(40)
    expect(files.map((file) => file.input)).toEqual(inputs)
    expect(files.filter((file) => file.status === 'signed')).toHaveLength(39)
    expect(files[17]).toMatchObject({ status: 'failed', error: { code: 'INPUT_MALFORMED' } })
    const written = readdirSync(out)
    expect(written).toHaveLength(39)
    expect(written.some((name) => name.endsWith('.tmp'))).toBe(false)
    for (const name of [written[0], written[20], written[38]]) expect(xmlsec1Accepts(join(out, name ?? ''))).toBe(true)

    // The broken flow repaired, the same command again: only it is signed.
    writeFileSync(inputs[17] as string, UNSIGNED)
    const again = await runCli([...args.slice(0, -1), '--skip-existing'], { MAIRIE_PIN: PIN_A })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout.match(/^skipped /gm)).toHaveLength(39)
    expect(again.stdout).toMatch(/^signed .*flux-017\.xml/m)
    expect(again.stderr).toMatch(/39 skipped, 0 failed/)
    expect(xmlsec1Accepts(join(out, 'flux-017.xml'))).toBe(true)
  })
})

describe('sceau sign-pes --workers: the flows prepared on worker threads, signed by the token on the main thread', () => {
  it('signs every flow with one login and xmlsec1 accepts them', async () => {
    const inputs = flows('workers', 12)
    const out = join(dir, 'workers-signed')
    const run = await runCli(
      [
        'sign-pes',
        ...inputs,
        '--out-dir',
        out,
        '--whole',
        ...tokenKeyArgs(hsm.module, 'Signature EC'),
        '--workers',
        '2',
        '--sessions',
        '2',
        '--json',
      ],
      { MAIRIE_PIN: PIN_A },
    )
    expect(run.code, run.stderr).toBe(0)
    const files = JSON.parse(run.stdout).files as { status: string; signatures: { element: string }[] }[]
    expect(files.map((file) => file.status)).toEqual(Array(12).fill('signed'))
    expect(files[0]?.signatures[0]?.element).toBe('PES_Aller')
    for (const name of readdirSync(out).slice(0, 3)) {
      const file = join(out, name)
      const id = /<ds:Signature[^>]*\sId="([^"]+)"/.exec(readFileSync(file, 'latin1'))?.[1] ?? ''
      const check = spawnSync('xmlsec1', [
        '--verify',
        '--insecure',
        '--id-attr:Id',
        'PES_Aller',
        '--id-attr:Id',
        'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
        '--id-attr:Id',
        'http://www.w3.org/2000/09/xmldsig#:Signature',
        '--node-id',
        id,
        file,
      ])
      expect(check.status, check.stderr?.toString()).toBe(0)
    }
  }, 60_000)

  it('refuses --workers where the work stays on the main thread (B-LT)', async () => {
    const run = await runCli(
      [
        'sign-pdf',
        'a.pdf',
        '--out-dir',
        dir,
        '--level',
        'B-LT',
        '--tsa',
        'http://127.0.0.1:1',
        '--workers',
        '2',
        ...tokenKeyArgs(hsm.module, 'Signature RSA'),
      ],
      {
        MAIRIE_PIN: PIN_A,
      },
    )
    expect(run.stderr).toContain('--workers')
    expect(run.code).not.toBe(0)
  })
})

describe('signBatch on a token pulled out mid-batch', () => {
  it('stops cleanly: the signed outputs are whole and valid, nothing else is written, the error says what was done', async () => {
    const inputs = flows('removal', 60)
    const out = join(dir, 'removal-signed')
    mkdirSync(out)
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test', sessions: 4 })
    const results: BatchResult[] = []
    let error: unknown
    try {
      await token.login(pinFromEnv('SCEAU_TEST_PIN_A'))
      const signer = await Pkcs11Signer.create({ token, key: 'Signature RSA' })
      const items = inputs.map((input) => ({ input, output: join(out, input.split('/').at(-1) ?? '') }))
      try {
        for await (const result of signBatch(items, { signer, job: pesJob(), concurrency: 4 })) {
          results.push(result)
          if (results.length === 10) {
            const mairie = readdirSync(hsm.tokenDir).find((name) =>
              readFileSync(join(hsm.tokenDir, name, 'token.object')).includes('Mairie de Test'),
            )
            rmSync(join(hsm.tokenDir, mairie ?? 'none'), { recursive: true, force: true })
          }
        }
      } catch (err) {
        error = err
      }
    } finally {
      token.close()
    }
    expect(isSceauError(error) && error.code).toBe('TOKEN_NOT_PRESENT')
    const signed = results.filter((result) => result.status === 'signed')
    expect(signed.length).toBeGreaterThanOrEqual(10)
    expect(results.length).toBeLessThan(60)
    const details = isSceauError(error) ? error.details : {}
    expect(details.signed).toBe(signed.length)
    expect(details.notStarted).toBe(60 - results.length)
    // Exactly the signed items have an output; no temporary file is left behind.
    expect(readdirSync(out).sort()).toEqual(signed.map((result) => result.item.output.split('/').at(-1)).sort())
    for (const result of signed) expect(existsSync(result.item.output) && xmlsec1Accepts(result.item.output)).toBe(true)
  })
})
