import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { runCli } from './capture-io.js'
import { makeAgentP12, trustTestPki } from './test-pki-files.js'
import { createTestTokens, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// Signatures made by sceau are checked by xmlsec1, which nobody here wrote; sceau's own verifier comes second.

const FLOW = join(import.meta.dirname, '..', 'fixtures', 'pes', 'PESALR2_25060187900027_190328_001.xml')
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#'
const PES_ID_ATTRS = ['--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties']
const WHOLE_ID_ATTRS = ['--id-attr:Id', 'PES_Aller', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties']
// A ds:Signature element and its content, whatever prefix the signer chose.
const SIGNATURE_ELEMENT = /<([\w.-]+:)?Signature[\s>][\s\S]*?<\/\1Signature>/g

let hsm: SoftHsm
let dir: string
let p12: string
const PIN_ENV = { MAIRIE_PIN: PIN_A }
const P12_PASSWORD = 'p12-secret-4417'

type Run = Awaited<ReturnType<typeof runCli>>

const sceau = runCli

const tokenKey = (object: string): string[] => tokenKeyArgs(hsm.module, object)
const rsaKey = (): string[] => tokenKey('Signature RSA')
const ecKey = (): string[] => tokenKey('Signature EC')
const p12Key = (): string[] => ['--p12', p12, '--password-env', 'P12_PASSWORD']

/** The real flow with its one signature cut out: an unsigned ISO-8859-1 flow with bordereau N10025. */
function unsignedFlow(): string {
  const signed = readFileSync(FLOW).toString('latin1')
  const unsigned = signed.replace(SIGNATURE_ELEMENT, '')
  expect(unsigned.length).toBeLessThan(signed.length)
  return unsigned
}

/** The same flow with a second bordereau, N10026, a copy of the first. */
function twoBordereaux(flow = unsignedFlow()): string {
  const start = flow.indexOf('<Bordereau Id="N10025">')
  const end = flow.indexOf('</Bordereau>', start) + '</Bordereau>'.length
  const copy = flow.slice(start, end).replace('Id="N10025"', 'Id="N10026"')
  return flow.slice(0, end) + '\n\t\t' + copy + flow.slice(end)
}

function write(name: string, latin1: string): string {
  const file = join(dir, name)
  writeFileSync(file, Buffer.from(latin1, 'latin1'))
  return file
}

const read = (file: string): string => readFileSync(file).toString('latin1')

function signatureIds(latin1: string): string[] {
  return [...latin1.matchAll(SIGNATURE_ELEMENT)].map((match) => /\bId="([^"]+)"/.exec(match[0].slice(0, match[0].indexOf('>')))?.[1] ?? '')
}

/** xmlsec1 checks one signature per run: start it at each ds:Signature in turn. */
function xmlsec1(file: string, idAttrs: string[]): Array<{ id: string; ok: boolean; output: string }> {
  return signatureIds(read(file)).map((id) => {
    const result = spawnSync(
      'xmlsec1',
      ['--verify', '--insecure', ...idAttrs, '--id-attr:Id', `${XMLDSIG}:Signature`, '--node-id', id, file],
      {
        encoding: 'utf8',
      },
    )
    const output = result.stdout + result.stderr
    return { id, ok: result.status === 0 && /^OK$/m.test(output), output }
  })
}

async function verify(file: string, ...extra: string[]): Promise<{ code: number; report: VerifyReport }> {
  const { code, stdout, stderr } = await sceau(['verify', file, ...trustTestPki(), '--json', ...extra])
  expect(stderr).toBe('')
  const parsed = JSON.parse(stdout) as { files: [VerifyReport] }
  return { code, report: parsed.files[0] }
}

interface VerifyReport {
  indication: string
  subIndication?: string
  signatures: Array<{
    id?: string
    indication: string
    subIndication?: string
    covers: Array<{ scope: string; id?: string; element: string }>
    checks: Array<{ id: string; status: string; reason: string }>
    xades?: { role?: string }
  }>
}

const bordereauOf = (signature: VerifyReport['signatures'][number]): string | undefined =>
  signature.covers.find((covered) => covered.scope === 'bordereau')?.id

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-pes-test-'))
  p12 = makeAgentP12(dir, P12_PASSWORD)
})
afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('sceau sign-pes, checked by xmlsec1', () => {
  const twoBordereauxFile = (): string => write('two-bordereaux.xml', twoBordereaux())

  for (const [name, key, env] of [
    ['the SoftHSM RSA key', rsaKey, PIN_ENV],
    ['the SoftHSM EC key', ecKey, PIN_ENV],
    ['a PKCS#12 file', p12Key, { P12_PASSWORD }],
  ] as const) {
    it(`signs each of two bordereaux with ${name}, and xmlsec1 verifies every signature`, async () => {
      const out = join(dir, `per-bordereau-${name.replace(/\W+/g, '-')}.xml`)
      const run = await sceau(['sign-pes', twoBordereauxFile(), '--out', out, ...key(), '--per-bordereau'], env)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      const results = xmlsec1(out, PES_ID_ATTRS)
      expect(results).toHaveLength(2)
      for (const result of results) expect(result.ok, result.output).toBe(true)
    })
  }

  it('signs the whole flow with --whole, and xmlsec1 verifies it', async () => {
    const out = join(dir, 'whole.xml')
    const run = await sceau(['sign-pes', twoBordereauxFile(), '--out', out, ...rsaKey(), '--whole'], PIN_ENV)
    expect(run.code).toBe(0)
    const results = xmlsec1(out, WHOLE_ID_ATTRS)
    expect(results).toHaveLength(1)
    expect(results[0]?.ok, results[0]?.output).toBe(true)
  })
})

describe('a signed flow that is tampered with', () => {
  let signed: string

  beforeAll(async () => {
    signed = join(dir, 'tamper-source.xml')
    const run = await sceau(
      ['sign-pes', write('tamper-input.xml', twoBordereaux()), '--out', signed, ...rsaKey(), '--role', 'Ordonnateur'],
      PIN_ENV,
    )
    expect(run.code).toBe(0)
  })

  it('fails in xmlsec1 and in sceau verify when a signed amount changes', async () => {
    const original = read(signed)
    // The first MtBordHT belongs to N10025; N10026 keeps its own.
    expect(original).toContain('<MtBordHT V="4874.40"/>')
    const tampered = write('tampered-amount.xml', original.replace('<MtBordHT V="4874.40"/>', '<MtBordHT V="4874.50"/>'))

    const results = xmlsec1(tampered, PES_ID_ATTRS)
    expect(results.map((result) => result.ok)).toEqual([false, true])

    const { code, report } = await verify(tampered)
    expect(code).toBe(1)
    expect(report.indication).toBe('TOTAL_FAILED')
    const n10025 = report.signatures.find((signature) => bordereauOf(signature) === 'N10025')
    expect(n10025).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    const n10026 = report.signatures.find((signature) => bordereauOf(signature) === 'N10026')
    expect(n10026?.indication).toBe('TOTAL_PASSED')
  })

  it('fails in xmlsec1 and in sceau verify when a signed property (the role) changes', async () => {
    const original = read(signed)
    expect(original).toContain('>Ordonnateur<')
    const tampered = write('tampered-role.xml', original.replace('>Ordonnateur<', '>Ordonnateus<'))

    const results = xmlsec1(tampered, PES_ID_ATTRS)
    expect(results.map((result) => result.ok)).toEqual([false, true])

    const { code, report } = await verify(tampered)
    expect(code).toBe(1)
    expect(report.indication).toBe('TOTAL_FAILED')
    const first = report.signatures.find((signature) => signature.id === results[0]?.id)
    expect(first?.indication).toBe('TOTAL_FAILED')
    expect(first?.checks.some((check) => check.id === 'xmldsig.reference' && check.status === 'fail')).toBe(true)
  })
})

describe('the bytes of a signed flow', () => {
  const role = 'Maire-adjoint délégué à l’état civil'

  it('are the input bytes plus the signatures, still ISO-8859-1, with é as one byte and ’ as a character reference', async () => {
    const input = twoBordereaux()
    const out = join(dir, 'bytes.xml')
    const run = await sceau(
      ['sign-pes', write('bytes-input.xml', input), '--out', out, ...p12Key(), '--role', role, '--city', 'Besançon'],
      {
        P12_PASSWORD,
      },
    )
    expect(run.code).toBe(0)
    const bytes = readFileSync(out)
    const output = bytes.toString('latin1')

    expect(signatureIds(output)).toHaveLength(2)
    expect(Buffer.from(output.replace(SIGNATURE_ELEMENT, ''), 'latin1').equals(Buffer.from(input, 'latin1'))).toBe(true)
    expect(output).toMatch(/^<\?xml version="1.0" encoding="ISO-8859-1"\?>/)
    expect(bytes.includes(Buffer.from('Maire-adjoint d\xe9l\xe9gu\xe9 \xe0 l', 'latin1'))).toBe(true)
    expect(output).toMatch(/l&#(8217|x2019);\u00e9tat civil/i)
    // No UTF-8 sequence for é (C3 A9) slipped into a Latin-1 file.
    expect(bytes.includes(Buffer.from([0xc3, 0xa9]))).toBe(false)

    for (const result of xmlsec1(out, PES_ID_ATTRS)) expect(result.ok, result.output).toBe(true)
    const { report } = await verify(out)
    for (const signature of report.signatures) expect(signature.xades?.role).toBe(role)
  })
})

describe('sceau verify on a flow sceau signed with the token', () => {
  it('exits 0 with TOTAL_PASSED for every signature, each covering its bordereau', async () => {
    const out = join(dir, 'verify-rsa.xml')
    const run = await sceau(['sign-pes', write('verify-input.xml', twoBordereaux()), '--out', out, ...rsaKey()], PIN_ENV)
    expect(run.code).toBe(0)

    const { code, report } = await verify(out)
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(code).toBe(0)
    expect(report.signatures).toHaveLength(2)
    for (const signature of report.signatures) expect(signature.indication).toBe('TOTAL_PASSED')
    expect(report.signatures.map(bordereauOf).sort()).toEqual(['N10025', 'N10026'])
  })
})

describe('sceau sign-pes refuses what it must not sign', () => {
  const errorCode = (run: Run): string | undefined => /^sceau: (?:.*?: )?([A-Z_]+):/m.exec(run.stderr)?.[1]

  it('refuses a flow with InfoDematerialisee 0, and sets it to 1 with --set-info-demat', async () => {
    const flow = unsignedFlow()
    expect(flow).toContain('<InfoDematerialisee V="1"/>')
    const input = write('demat-0.xml', flow.replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/>'))
    const out = join(dir, 'demat-out.xml')

    const refused = await sceau(['sign-pes', input, '--out', out, ...p12Key()], { P12_PASSWORD })
    expect(refused.code).toBe(2)
    expect(errorCode(refused)).toBe('PES_INFO_DEMATERIALISEE')
    expect(existsSync(out)).toBe(false)

    const signed = await sceau(['sign-pes', input, '--out', out, ...p12Key(), '--set-info-demat'], { P12_PASSWORD })
    expect(signed.code).toBe(0)
    const output = read(out)
    expect(output).toContain('<InfoDematerialisee V="1"/>')
    expect(output).not.toContain('<InfoDematerialisee V="0"/>')
    const results = xmlsec1(out, PES_ID_ATTRS)
    expect(results).toHaveLength(1)
    for (const result of results) expect(result.ok, result.output).toBe(true)
  })

  it('refuses a bordereau without Id, and gives it one with --add-ids', async () => {
    const input = write('no-id.xml', unsignedFlow().replace('<Bordereau Id="N10025">', '<Bordereau>'))
    const out = join(dir, 'no-id-out.xml')

    const refused = await sceau(['sign-pes', input, '--out', out, ...p12Key()], { P12_PASSWORD })
    expect(refused.code).toBe(2)
    expect(errorCode(refused)).toBe('PES_ID_INVALID')

    const signed = await sceau(['sign-pes', input, '--out', out, ...p12Key(), '--add-ids', '--json'], { P12_PASSWORD })
    expect(signed.code).toBe(0)
    const results = xmlsec1(out, PES_ID_ATTRS)
    expect(results).toHaveLength(1)
    expect(results[0]?.ok, results[0]?.output).toBe(true)
    const { files } = JSON.parse(signed.stdout) as { files: [{ changes: { idsAdded: string[] } }] }
    expect(files[0].changes.idsAdded).toHaveLength(1)
    expect(read(out)).toContain(`<Bordereau Id="${files[0].changes.idsAdded[0] ?? ''}">`)
  })

  it('refuses a flow that is already signed', async () => {
    const run = await sceau(['sign-pes', FLOW, '--out', join(dir, 'resigned.xml'), ...p12Key()], { P12_PASSWORD })
    expect(run.code).toBe(2)
    expect(errorCode(run)).toBe('ALREADY_SIGNED')
  })

  it('signs the good file of two, reports the bad one, and leaves no partial file behind', async () => {
    const inputs = join(dir, 'batch-in')
    mkdirSync(inputs)
    const good = join(inputs, 'good.xml')
    writeFileSync(good, Buffer.from(unsignedFlow(), 'latin1'))
    const bad = join(inputs, 'bad.xml')
    writeFileSync(bad, 'this is not XML\n')
    const outDir = join(dir, 'batch-out')

    const run = await sceau(['sign-pes', good, bad, '--out-dir', outDir, ...p12Key()], { P12_PASSWORD })
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('good.xml')
    expect(run.stderr).toContain('bad.xml')
    expect(readdirSync(outDir)).toEqual(['good.xml'])
    const results = xmlsec1(join(outDir, 'good.xml'), PES_ID_ATTRS)
    expect(results).toHaveLength(1)
    for (const result of results) expect(result.ok, result.output).toBe(true)
  })

  it('says PIN_INCORRECT for a wrong PIN and never prints the PIN', async () => {
    const wrong = '55501-mauvais'
    const out = join(dir, 'wrong-pin.xml')
    const run = await sceau(['sign-pes', write('wrong-pin-input.xml', unsignedFlow()), '--out', out, ...rsaKey()], { MAIRIE_PIN: wrong })
    expect(run.code).toBe(2)
    expect(errorCode(run)).toBe('PIN_INCORRECT')
    expect(run.stdout + run.stderr).not.toContain(wrong)
    expect(run.stdout + run.stderr).not.toContain(PIN_A)
    expect(existsSync(out)).toBe(false)

    const json = await sceau(['sign-pes', write('wrong-pin-input.xml', unsignedFlow()), '--out', out, ...rsaKey(), '--json'], {
      MAIRIE_PIN: wrong,
    })
    expect(json.stdout + json.stderr).toContain('PIN_INCORRECT')
    expect(json.stdout + json.stderr).not.toContain(wrong)
  })
})
