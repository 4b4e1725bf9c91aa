import 'reflect-metadata'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SceauError } from '../src/errors.js'
import { listTokens } from '../src/pkcs11/inventory.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens, PIN_A } from './tokens-fixture.js'

let hsm: SoftHsm

beforeAll(() => {
  hsm = createTestTokens()
  process.env.SCEAU_TEST_PIN_A = PIN_A
})
afterAll(() => hsm.cleanup())

describe('a token removed between calls', () => {
  it('fails the next signature with TOKEN_NOT_PRESENT, then fails fast, and the other token keeps working', async () => {
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test', sessions: 2 })
    try {
      await token.login(pinFromEnv('SCEAU_TEST_PIN_A'))
      const signer = await Pkcs11Signer.create({ token, key: 'Signature RSA' })
      const data = new TextEncoder().encode('avant retrait')
      expect((await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256')).length).toBe(256)

      // SoftHSM keeps one directory per token; deleting it is what pulling the key out looks like to the module.
      const mairieDir = readdirSync(hsm.tokenDir).find((dir) =>
        readFileSync(join(hsm.tokenDir, dir, 'token.object')).includes('Mairie de Test'),
      )
      expect(mairieDir).toBeDefined()
      rmSync(join(hsm.tokenDir, mairieDir ?? ''), { recursive: true, force: true })

      const first = (await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256').catch((e: unknown) => e)) as SceauError
      expect(first.code).toBe('TOKEN_NOT_PRESENT')
      expect(first.message).toMatch(/token "Mairie de Test"/)
      const second = (await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256').catch((e: unknown) => e)) as SceauError
      expect(second).toBe(first)
    } finally {
      token.close()
    }
    const { tokens } = await listTokens({ module: hsm.module })
    expect(tokens.map((t) => t.label)).toEqual(['Syndicat de Test'])
  })
})
