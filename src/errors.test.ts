import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isSceauError, PinIncorrectError, SceauError } from './errors.js'

describe('SceauError', () => {
  it('carries a code, scalar details and a cause, and serialises without the cause', () => {
    const cause = new Error('native detail')
    const err = new SceauError('TOKEN_NOT_FOUND', 'no token "Mairie"', { cause, details: { token: 'Mairie', slot: undefined } })
    expect(err.code).toBe('TOKEN_NOT_FOUND')
    expect(err.details).toEqual({ token: 'Mairie' })
    expect(err.cause).toBe(cause)
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'SceauError',
      code: 'TOKEN_NOT_FOUND',
      message: 'no token "Mairie"',
      details: { token: 'Mairie' },
    })
    expect(isSceauError(err, 'TOKEN_NOT_FOUND')).toBe(true)
    expect(isSceauError(err, 'PIN_LOCKED')).toBe(false)
  })

  it('gives PinIncorrectError its tries left', () => {
    const err = new PinIncorrectError('wrong PIN', { triesLeft: 'final' })
    expect(err).toBeInstanceOf(SceauError)
    expect(err.code).toBe('PIN_INCORRECT')
    expect(err.details.triesLeft).toBe('final')
  })

  it('documents every code in docs/errors.md', () => {
    const source = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8')
    const union = source.slice(
      source.indexOf('export type SceauErrorCode'),
      source.indexOf('/**', source.indexOf('export type SceauErrorCode')),
    )
    const codes = [...union.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1])
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    expect(codes.length).toBeGreaterThan(20)
    expect(codes.filter((code) => !doc.includes(`| \`${code}\` |`))).toEqual([])
  })
})
