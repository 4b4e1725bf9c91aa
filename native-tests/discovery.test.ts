import 'reflect-metadata'
import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { captureIo } from './capture-io.js'
import { main } from '../src/cli/main.js'
import { listTokens } from '../src/pkcs11/inventory.js'
import { loadedModuleReferences } from '../src/pkcs11/module.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { parsePkcs11Uri } from '../src/pkcs11/uri.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens, PIN_A, PIN_B } from './tokens-fixture.js'

let hsm: SoftHsm
const pkiFile = (name: string): Buffer => readFileSync(join(inject('pkiDir'), name))
const cn = (der: Buffer): string => /CN=([^\n]+)/.exec(new X509Certificate(der).subject)?.[1] ?? ''

beforeAll(() => {
  hsm = createTestTokens()
  process.env.SCEAU_TEST_PIN_A = PIN_A
  process.env.SCEAU_TEST_PIN_B = PIN_B
})
afterAll(() => hsm.cleanup())

describe('listing tokens without a PIN', () => {
  it('shows both tokens with what the module says of them, and skips SoftHSM’s spare slot', async () => {
    const inventory = await listTokens({ module: hsm.module })
    // Slot order follows SoftHSM's token directories, not creation order.
    expect(inventory.tokens.map((t) => t.label).sort()).toEqual(['Mairie de Test', 'Syndicat de Test'])
    const mairie = inventory.tokens.find((t) => t.label === 'Mairie de Test')
    const syndicat = inventory.tokens.find((t) => t.label === 'Syndicat de Test')
    expect(mairie).toMatchObject({ manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: hsm.tokens[0]?.serial, loggedIn: false })
    expect(syndicat?.serial).toBe(hsm.tokens[1]?.serial)
    expect(mairie?.flags).toMatchObject({ loginRequired: true, tokenInitialized: true, userPinInitialized: true, pinLocked: false })
    expect(inventory.skippedSlots).toHaveLength(1)
    expect(inventory.skippedSlots[0]?.reason).toMatch(/not initialised/)
  })

  it('lists the certificates with their parsed fields, and leaves hasPrivateKey unknown', async () => {
    const { tokens } = await listTokens({ module: hsm.module, token: 'Mairie de Test' })
    const certs = tokens[0]?.certificates ?? []
    expect(certs.map((c) => c.id).sort()).toEqual(['01', '02', '04', '05', '33', 'ca01'])
    const rsa = certs.find((c) => c.id === '01')
    const expected = new X509Certificate(pkiFile('signature-rsa2048.cert.der'))
    expect(rsa).toMatchObject({ label: 'Signature RSA', hasPrivateKey: null, notAfter: new Date(expected.validTo).toISOString() })
    expect(rsa?.subject).toContain(cn(pkiFile('signature-rsa2048.cert.der')))
    expect(rsa?.keyUsage).toEqual(['nonRepudiation'])
    expect(rsa?.policies).toContain('0.4.0.194112.1.2')
    expect(rsa?.qcStatements).toMatchObject({ compliance: true, sscd: true })
    expect(BigInt('0x' + rsa?.serialNumber)).toBe(BigInt('0x' + expected.serialNumber))
    expect(certs.find((c) => c.id === 'ca01')?.isCA).toBe(true)
    expect(certs.find((c) => c.id === '04')?.keyUsage).toEqual(['digitalSignature'])
  })

  it('shows the public key generated on the token, but no private key', async () => {
    const { tokens } = await listTokens({ module: hsm.module, token: 'Mairie de Test' })
    expect(tokens[0]?.keys).toEqual([
      expect.objectContaining({ class: 'public', id: 'aa', type: 'EC', curve: 'P-256', label: 'Clé sans certificat' }),
    ])
  })
})

describe('listing tokens with a PIN', () => {
  it('pairs keys and certificates by CKA_ID, by public key when ids differ, and flags the lone ones', async () => {
    const { tokens } = await listTokens({ module: hsm.module, token: 'Mairie de Test', pin: pinFromEnv('SCEAU_TEST_PIN_A') })
    const token = tokens[0]
    expect(token?.loggedIn).toBe(true)
    const hasKey = Object.fromEntries((token?.certificates ?? []).map((c) => [c.id, c.hasPrivateKey]))
    expect(hasKey).toEqual({ '01': true, '02': true, '33': true, '04': true, '05': true, ca01: false })
    const privateKeys = (token?.keys ?? []).filter((k) => k.class === 'private')
    const byId = Object.fromEntries(privateKeys.map((k) => [k.id, k]))
    expect(byId['01']).toMatchObject({ type: 'RSA', size: 2048, certificateId: '01', sensitive: true, extractable: false })
    expect(byId['02']).toMatchObject({ type: 'EC', curve: 'P-256', certificateId: '02' })
    expect(byId['03']).toMatchObject({ type: 'RSA', size: 3072, certificateId: '33' })
    expect(byId['aa']).toMatchObject({ type: 'EC', certificateId: null, neverExtractable: true })
    expect(byId['05']).toMatchObject({ alwaysAuthenticate: true, certificateId: '05' })
    expect(byId['01']?.alwaysAuthenticate).toBe(false)
  })

  it('gives every object a pkcs11: URI that finds it again', async () => {
    const { tokens } = await listTokens({ module: hsm.module, token: 'Mairie de Test', pin: pinFromEnv('SCEAU_TEST_PIN_A') })
    const token = await Token.open({ module: hsm.module, token: tokens[0]?.uri })
    try {
      await token.login(pinFromEnv('SCEAU_TEST_PIN_A'))
      expect(token.info.serial).toBe(hsm.tokens[0]?.serial)
      for (const key of (tokens[0]?.keys ?? []).filter((k) => k.class === 'private')) {
        const uri = parsePkcs11Uri(key.uri)
        expect(uri).toMatchObject({ token: 'Mairie de Test', serial: hsm.tokens[0]?.serial, type: 'private' })
        expect((await token.findPrivateKey(key.uri)).id).toBe(key.id)
      }
      for (const cert of tokens[0]?.certificates ?? [])
        expect(parsePkcs11Uri(cert.uri)).toMatchObject({ type: 'cert', id: Uint8Array.from(Buffer.from(cert.id, 'hex')) })
    } finally {
      token.close()
    }
  })

  it('needs a token choice when a PIN is given and several tokens are there', async () => {
    await expect(listTokens({ module: hsm.module, pin: pinFromEnv('SCEAU_TEST_PIN_A') })).rejects.toMatchObject({ code: 'USAGE' })
  })

  it('names the tokens present when none matches', async () => {
    await expect(listTokens({ module: hsm.module, token: 'pkcs11:token=Absent' })).rejects.toMatchObject({
      code: 'TOKEN_NOT_FOUND',
      message: expect.stringContaining('"Mairie de Test"'),
    })
  })

  it('releases the module when done', () => {
    expect([...loadedModuleReferences().values()].every((refs) => refs === 0)).toBe(true)
    expect(loadedModuleReferences().size).toBe(0)
  })
})

describe('sceau tokens', () => {
  it('prints the JSON shape documented in the README', async () => {
    const io = captureIo()
    const code = await main(
      ['tokens', '--module', hsm.module, '--token', 'Syndicat de Test', '--pin-env', 'SCEAU_TEST_PIN_B', '--json'],
      io,
    )
    expect(io.stderr).toBe('')
    expect(code).toBe(0)
    const json = JSON.parse(io.stdout)
    const token = json.tokens[0]
    expect(Object.keys(token)).toEqual(
      expect.arrayContaining(['module', 'slot', 'label', 'manufacturer', 'model', 'serial', 'flags', 'certificates', 'keys']),
    )
    expect(token.certificates[0]).toMatchObject({
      id: '01',
      label: 'Ancienne signature',
      hasPrivateKey: true,
      notBefore: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      uri: expect.stringMatching(/^pkcs11:/),
    })
    expect(token.keys[0]).toMatchObject({ id: '01', type: 'RSA', size: 2048, uri: expect.stringMatching(/^pkcs11:.*type=private/) })
    expect(io.stdout).not.toContain(PIN_B)
  })

  it('prints a human table by default', async () => {
    const io = captureIo()
    expect(await main(['tokens', '--module', hsm.module], io)).toBe(0)
    expect(io.stdout).toContain('Token "Mairie de Test"')
    expect(io.stdout).toContain('key: log in to see')
    expect(io.stdout).toMatch(/Slot \d+ skipped: token not initialised/)
  })

  it('refuses a PIN on the command line without repeating it', async () => {
    const io = captureIo()
    expect(await main(['tokens', '--module', hsm.module, '--pin', PIN_A], io)).toBe(2)
    expect(io.stderr).toMatch(/^sceau: USAGE: a PIN is never given on the command line/)
    expect(io.stderr + io.stdout).not.toContain(PIN_A)
  })

  it('reports errors as one JSON line with --json, exit code 2', async () => {
    const io = captureIo()
    expect(await main(['tokens', '--module', hsm.module, '--token', 'Absent', '--json'], io)).toBe(2)
    expect(JSON.parse(io.stderr)).toMatchObject({ error: { code: 'TOKEN_NOT_FOUND' } })
  })

  it('reports a missing module path', async () => {
    const io = captureIo()
    expect(await main(['tokens', '--module', '/nonexistent/libpkcs11.so'], io)).toBe(2)
    expect(io.stderr).toMatch(/^sceau: MODULE_NOT_FOUND: .*\/nonexistent\/libpkcs11\.so/)
  })
})

describe('a token URI that carries its module and PIN file', () => {
  it('is enough for sceau tokens (module-path and pin-source, RFC 7512 §2.4)', async () => {
    const pinFile = join(hsm.dir, 'pin-a')
    writeFileSync(pinFile, PIN_A + '\n', { mode: 0o600 })
    const uri = `pkcs11:token=Mairie%20de%20Test?module-path=${hsm.module}&pin-source=file:${pinFile}`
    const io = captureIo()
    expect(await main(['tokens', '--token', uri, '--json'], io)).toBe(0)
    const token = JSON.parse(io.stdout).tokens[0]
    expect(token).toMatchObject({ label: 'Mairie de Test', loggedIn: true })
    expect(token.keys.some((key: { class: string }) => key.class === 'private')).toBe(true)
  })
})
