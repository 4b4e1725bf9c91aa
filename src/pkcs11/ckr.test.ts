import { describe, expect, it } from 'vitest'
import { PinIncorrectError } from '../errors.js'
import { ckrName, codeForCkr, toSceauError } from './ckr.js'

// What pkcs11js throws: a Pkcs11Error whose numeric `code` is the CKR value.
function pkcs11Error(name: string, code: number): Error {
  const err = new Error(`${name}:${code}`) as Error & { code: number }
  err.name = 'Pkcs11Error'
  err.code = code
  return err
}

describe('CKR mapping', () => {
  it('gives the distinct codes callers switch on', () => {
    expect(codeForCkr(0xa0)).toBe('PIN_INCORRECT')
    expect(codeForCkr(0xa4)).toBe('PIN_LOCKED')
    expect(codeForCkr(0xe0)).toBe('TOKEN_NOT_PRESENT')
    expect(codeForCkr(0x32)).toBe('TOKEN_NOT_PRESENT')
    expect(codeForCkr(0xe1)).toBe('TOKEN_NOT_RECOGNIZED')
    expect(codeForCkr(0x70)).toBe('MECHANISM_INVALID')
    expect(codeForCkr(0x60)).toBe('KEY_NOT_FOUND')
    expect(codeForCkr(0xb1)).toBe('SESSION_EXHAUSTED')
    expect(codeForCkr(0x5)).toBe('PKCS11_ERROR')
  })

  it('names vendor-defined values in hex', () => {
    expect(ckrName(0x80000001)).toBe('CKR_0x80000001')
    expect(ckrName(0xa0)).toBe('CKR_PIN_INCORRECT')
  })

  it('maps by number, never by message', () => {
    const err = toSceauError(pkcs11Error('CKR_SOMETHING_ELSE', 0xa4), 'login to token "Mairie"', { token: 'Mairie' })
    expect(err.code).toBe('PIN_LOCKED')
    expect(err.details).toEqual({ token: 'Mairie', ckr: 'CKR_PIN_LOCKED' })
    expect(err.message).toMatch(/^login to token "Mairie": the PIN is locked/)
  })

  it('makes a PinIncorrectError for CKR_PIN_INCORRECT', () => {
    const err = toSceauError(pkcs11Error('CKR_PIN_INCORRECT', 0xa0), 'login')
    expect(err).toBeInstanceOf(PinIncorrectError)
    expect(err.code).toBe('PIN_INCORRECT')
  })

  it('keeps other errors as PKCS11_ERROR with their first line', () => {
    const err = toSceauError(new Error('dlopen failed\nstack'), 'loading')
    expect(err.code).toBe('PKCS11_ERROR')
    expect(err.message).toBe('loading: dlopen failed')
  })
})
