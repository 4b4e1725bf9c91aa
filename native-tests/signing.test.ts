import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { signWithEveryAlgorithm, verifiesWithCertificate } from '../src/testing/verify-signature.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens, PIN_A } from './tokens-fixture.js'

let hsm: SoftHsm
let token: Token

beforeAll(async () => {
  hsm = createTestTokens()
  process.env.SCEAU_TEST_PIN_A = PIN_A
  token = await Token.open({ module: hsm.module, token: 'pkcs11:token=Mairie%20de%20Test', sessions: 4 })
  await token.login(pinFromEnv('SCEAU_TEST_PIN_A'))
})
afterAll(() => {
  token?.close()
  hsm?.cleanup()
})

describe('Pkcs11Signer on SoftHSM', () => {
  const data = new TextEncoder().encode('<Bordereau Id="B1">…</Bordereau>')

  for (const [label, expected] of [
    ['Signature RSA', { type: 'RSA', size: 2048 }],
    ['Signature RSA 3072', { type: 'RSA', size: 3072 }],
    ['Signature EC', { type: 'EC', curve: 'P-256' }],
  ] as const) {
    it(`${label}: every algorithm verifies with the certificate, a changed byte does not`, async () => {
      const signer = await Pkcs11Signer.create({ token, key: `pkcs11:object=${encodeURIComponent(label)};type=private` })
      expect(signer.key).toMatchObject(expected)
      expect(signer.algorithms.length).toBeGreaterThanOrEqual(expected.type === 'RSA' ? 6 : 3)
      const checks = await signWithEveryAlgorithm(signer, data)
      expect(checks.map((c) => c.algorithm)).toEqual(signer.algorithms)
      expect(checks.filter((c) => !c.valid || c.validAfterTampering || !c.withinMaxLength)).toEqual([])
    })
  }

  it('finds the chain on the token', async () => {
    const signer = await Pkcs11Signer.create({ token, key: 'Signature RSA' })
    const intermediate = readFileSync(join(inject('pkiDir'), 'intermediate.cert.der'))
    expect(signer.chain.map((der) => Buffer.from(der))).toEqual([intermediate])
  })

  it('signs a digest computed elsewhere to the same RSA signature', async () => {
    const signer = await Pkcs11Signer.create({ token, key: 'Signature RSA' })
    const digest = createHash('sha256').update(data).digest()
    expect(await signer.signDigest(digest, 'RSASSA-PKCS1-v1_5-SHA256')).toEqual(await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256'))
    await expect(signer.signDigest(digest.subarray(1), 'RSASSA-PKCS1-v1_5-SHA256')).rejects.toMatchObject({ code: 'INPUT_MALFORMED' })
  })

  it('keeps several signatures in flight on several sessions, each one valid', async () => {
    const rsa = await Pkcs11Signer.create({ token, key: 'Signature RSA' })
    const ec = await Pkcs11Signer.create({ token, key: 'Signature EC' })
    const inputs = Array.from({ length: 200 }, (_, i) => new TextEncoder().encode(`flux PES n°${i}`))
    const results = await Promise.all(
      inputs.map((input, i) => (i % 2 === 0 ? rsa : ec).sign(input, i % 2 === 0 ? 'RSASSA-PKCS1-v1_5-SHA256' : 'ECDSA-SHA256')),
    )
    results.forEach((signature, i) => {
      const signer = i % 2 === 0 ? rsa : ec
      expect(
        verifiesWithCertificate(signer.certificate, i % 2 === 0 ? 'RSASSA-PKCS1-v1_5-SHA256' : 'ECDSA-SHA256', inputs[i]!, signature),
      ).toBe(true)
    })
    expect(token.sessionsOpened).toBe(4)
  })

  it('logs in again for every signature with a CKA_ALWAYS_AUTHENTICATE key, from the same PIN source', async () => {
    const other = await Token.open({ module: hsm.module, token: 'Mairie de Test' })
    try {
      let reads = 0
      await other.login({ description: 'counting source', read: async () => (reads++, PIN_A) })
      const signer = await Pkcs11Signer.create({ token: other, key: 'Signature PIN à chaque usage' })
      const signatures = [await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256'), await signer.sign(data, 'RSASSA-PSS-SHA256')]
      expect(verifiesWithCertificate(signer.certificate, 'RSASSA-PKCS1-v1_5-SHA256', data, signatures[0]!)).toBe(true)
      expect(verifiesWithCertificate(signer.certificate, 'RSASSA-PSS-SHA256', data, signatures[1]!)).toBe(true)
      // One read for the login (or none if the shared login state was already there), one per signature.
      expect(reads).toBeGreaterThanOrEqual(2)
      expect(reads).toBeLessThanOrEqual(3)
    } finally {
      other.close()
    }
  })

  it('refuses a key without a certificate', async () => {
    await expect(Pkcs11Signer.create({ token, key: 'pkcs11:id=%aa;type=private' })).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
      message: expect.stringContaining('no certificate'),
    })
  })

  it('names the keys present when none matches', async () => {
    await expect(Pkcs11Signer.create({ token, key: 'pkcs11:object=Absente;type=private' })).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
      message: expect.stringContaining('"Signature RSA" (id 01)'),
    })
  })

  it('reports a mechanism the key cannot do as MECHANISM_INVALID', async () => {
    const ecKey = await token.findPrivateKey('Signature EC')
    await expect(token.signRaw(ecKey, { kind: 'RSA_PKCS_PSS', hash: 'SHA-256' }, new Uint8Array(32), 256)).rejects.toMatchObject({
      code: 'MECHANISM_INVALID',
    })
    // The token is still usable afterwards (SoftHSM would have crashed on this one).
    expect((await Pkcs11Signer.create({ token, key: ecKey }).then((s) => s.sign(data, 'ECDSA-SHA256'))).length).toBe(64)
    const signer = await Pkcs11Signer.create({ token, key: ecKey })
    await expect(signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256')).rejects.toMatchObject({ code: 'ALGORITHM_UNSUPPORTED' })
  })
})

describe('before login', () => {
  it('hides private keys and says why', async () => {
    const other = await Token.open({ module: hsm.module, token: 'Mairie de Test' })
    try {
      // Login state is per application in PKCS#11: log out the shared state first.
      await token.logout()
      await expect(other.findPrivateKey('Signature RSA')).rejects.toMatchObject({
        code: 'KEY_NOT_FOUND',
        message: expect.stringContaining('not logged in'),
      })
    } finally {
      other.close()
      await token.login(pinFromEnv('SCEAU_TEST_PIN_A'))
    }
  })
})
