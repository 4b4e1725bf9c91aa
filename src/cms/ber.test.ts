import { describe, expect, it } from 'vitest'
import { berChildren, berOctets, MAX_BER_DEPTH, readBer, toDer } from './ber.js'

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s/g, ''), 'hex'))

describe('the BER walker', () => {
  it('follows indefinite lengths and joins the segments of a constructed OCTET STRING', () => {
    // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "cd" }, NULL }
    const input = bytes('3080 2480 0402 6162 0402 6364 0000 0500 0000')
    const outer = readBer(input, 0, input.length, 'test')
    expect(outer).toMatchObject({ indefinite: true, end: input.length })
    const [string, nothing] = berChildren(input, outer, 'test')
    expect(Buffer.from(berOctets(input, string as never, 'test')).toString()).toBe('abcd')
    expect(nothing).toMatchObject({ tagNumber: 5, constructed: false })
    expect(Buffer.from(toDer(input, outer)).toString('hex')).toBe('3008' + '040461626364' + '0500')
  })

  it('sorts a SET and shortens long-form lengths in the DER encoding', () => {
    // SET { INTEGER 2 with a two-octet length, INTEGER 1 }
    const input = bytes('3107 0281 0102 020101')
    expect(Buffer.from(toDer(input, readBer(input, 0, input.length, 'test'))).toString('hex')).toBe('3106020101020102')
  })

  it('refuses truncated input, lengths past the container and hostile nesting', () => {
    expect(() => readBer(bytes('3005 0201'), 0, 4, 'test')).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED' }))
    expect(() => readBer(bytes('3080 0500'), 0, 4, 'test')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('end-of-contents') }),
    )
    const deep = new Uint8Array([
      ...Array.from({ length: MAX_BER_DEPTH + 2 }, () => [0x30, 0x80]).flat(),
      ...new Array((MAX_BER_DEPTH + 2) * 2).fill(0),
    ])
    expect(() => readBer(deep, 0, deep.length, 'test')).toThrow(expect.objectContaining({ message: expect.stringContaining('deeper') }))
  })
})
