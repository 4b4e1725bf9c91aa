import 'reflect-metadata'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PinIncorrectError, SceauError } from '../src/errors.js'
import type { PinSource } from '../src/pkcs11/pin.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens, PIN_A } from './tokens-fixture.js'

let hsm: SoftHsm

/** A PIN source that counts how often it is read: sceau must read it once per login, never retry. */
function countingSource(pin: string): PinSource & { reads: number } {
  const source = { description: 'test source', reads: 0, read: async () => (source.reads++, pin) }
  return source
}

/** Everything of an error a log or a report could show. */
function everythingShown(err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error)
      parts.push(current.message, current.stack ?? '', JSON.stringify(current), JSON.stringify((current as SceauError).details ?? {}))
    else parts.push(String(current))
    current = current instanceof Error ? current.cause : undefined
  }
  return parts.join('\n')
}

beforeAll(() => {
  hsm = createTestTokens()
})
afterAll(() => hsm.cleanup())

describe('login', () => {
  it('reports a wrong PIN as PIN_INCORRECT, tries once, and never shows the PIN', async () => {
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test' })
    try {
      const wrong = countingSource('000000-wrong')
      const err = await token.login(wrong).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PinIncorrectError)
      expect(err).toMatchObject({ code: 'PIN_INCORRECT', details: { token: 'Mairie de Test', ckr: 'CKR_PIN_INCORRECT' } })
      expect(['unknown', 'low', 'final']).toContain((err as PinIncorrectError).triesLeft)
      expect((err as Error).message).toMatch(/^wrong PIN for token "Mairie de Test"; /)
      expect(wrong.reads).toBe(1)
      expect(token.loggedIn).toBe(false)
      expect(everythingShown(err)).not.toContain('000000-wrong')

      const right = countingSource(PIN_A)
      await token.login(right)
      expect(right.reads).toBe(1)
      expect(token.loggedIn).toBe(true)
      expect((await token.privateKeys()).length).toBeGreaterThan(0)
    } finally {
      token.close()
    }
  })

  it('does not touch the token when the PIN source fails', async () => {
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test' })
    try {
      const before = token.refreshInfo().flags
      await expect(token.login(pinFromEnv('SCEAU_UNSET_VARIABLE', {}))).rejects.toMatchObject({ code: 'PIN_SOURCE_FAILED' })
      expect(token.loggedIn).toBe(false)
      // No attempt reached the token: its PIN counter flags are as they were.
      expect(token.refreshInfo().flags).toEqual(before)
    } finally {
      token.close()
    }
  })

  it('refuses a PIN of a length the token rejects as PIN_INVALID or PIN_INCORRECT, never a crash', async () => {
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test' })
    try {
      const err = await token.login(countingSource('1')).catch((e: unknown) => e)
      expect(['PIN_INVALID', 'PIN_INCORRECT']).toContain((err as SceauError).code)
    } finally {
      token.close()
    }
  })

  it('logs in once for every session of the pool', async () => {
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Test', sessions: 3 })
    try {
      const source = countingSource(PIN_A)
      await token.login(source)
      const keys = await Promise.all([token.privateKeys(), token.privateKeys(), token.privateKeys()])
      expect(keys.map((k) => k.length)).toEqual([keys[0]?.length, keys[0]?.length, keys[0]?.length])
      expect(source.reads).toBe(1)
    } finally {
      token.close()
    }
  })
})
