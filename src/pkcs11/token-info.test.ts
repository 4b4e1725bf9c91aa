import { describe, expect, it } from 'vitest'
import { decodeSlotFlags, decodeTokenFlags, pinTriesLeft, sessionLimit } from './token-info.js'

describe('token flags', () => {
  it('decodes what SoftHSM reports for an initialised token (0x42d)', () => {
    const flags = decodeTokenFlags(0x42d)
    expect(flags).toMatchObject({ loginRequired: true, userPinInitialized: true, tokenInitialized: true, rng: true, pinLocked: false })
  })

  it('reads the PIN counters as tries left', () => {
    expect(pinTriesLeft(decodeTokenFlags(0x40c))).toBe('unknown')
    expect(pinTriesLeft(decodeTokenFlags(0x40c | 0x10000))).toBe('low')
    expect(pinTriesLeft(decodeTokenFlags(0x40c | 0x10000 | 0x20000))).toBe('final')
    expect(pinTriesLeft(decodeTokenFlags(0x40c | 0x40000))).toBe('none')
  })

  it('decodes slot flags', () => {
    expect(decodeSlotFlags(0x7)).toEqual({ tokenPresent: true, removableDevice: true, hardwareSlot: true })
    expect(decodeSlotFlags(0x2)).toEqual({ tokenPresent: false, removableDevice: true, hardwareSlot: false })
  })

  it('caps the pool at the token session limit, and ignores "unavailable" markers', () => {
    expect(sessionLimit(1, 4)).toBe(1)
    expect(sessionLimit(0, 4)).toBe(4) // CK_EFFECTIVELY_INFINITE
    expect(sessionLimit(2 ** 64 - 1, 4)).toBe(4) // CK_UNAVAILABLE_INFORMATION on 64-bit
    expect(sessionLimit(0xffffffff, 4)).toBe(4)
    expect(sessionLimit(64, 8)).toBe(8)
  })
})
