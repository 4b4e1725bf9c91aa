import { describe, expect, it } from 'vitest'
import { rc2CbcDecrypt } from './rc2.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('rc2CbcDecrypt', () => {
  // RFC 2268 §5: key, effective key bits, plaintext, ciphertext (one block, ECB). CBC with a zero IV on a single
  // block is ECB, so decrypting each ciphertext must give back its plaintext.
  const vectors: [key: string, bits: number, plaintext: string, ciphertext: string][] = [
    ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
    ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
    ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
    ['88', 64, '0000000000000000', '61a8a244adacccf0'],
    ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
    ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
    ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
    ['88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e', 129, '0000000000000000', '5b78d3a43dfff1f1'],
  ]
  for (const [key, bits, plaintext, ciphertext] of vectors) {
    it(`RFC 2268 §5: key ${key.slice(0, 16)}${key.length > 16 ? '…' : ''}, ${bits} effective bits`, () => {
      expect(toHex(rc2CbcDecrypt(hex(ciphertext), { key: hex(key), iv: new Uint8Array(8), effectiveBits: bits }))).toBe(plaintext)
    })
  }

  // Multi-block CBC against OpenSSL's legacy provider, padding included:
  // printf 'Sceau: RC2-CBC against OpenSSL, 3 blocks+' > pt.txt
  // openssl enc -rc2-cbc    -provider legacy -provider default -K 000102030405060708090a0b0c0d0e0f -iv 0706050403020100 -in pt.txt | xxd -p
  // openssl enc -rc2-40-cbc -provider legacy -provider default -K 0102030405 -iv 0706050403020100 -in pt.txt | xxd -p
  // openssl enc -rc2-64-cbc -provider legacy -provider default -K 0102030405060708 -iv 0706050403020100 -in pt.txt | xxd -p
  const plaintext = Buffer.from('Sceau: RC2-CBC against OpenSSL, 3 blocks+')
  const padded = Buffer.concat([plaintext, Buffer.alloc(7, 7)])
  const iv = hex('0706050403020100')
  const openssl: [name: string, key: string, bits: number, ciphertext: string][] = [
    [
      'rc2-cbc',
      '000102030405060708090a0b0c0d0e0f',
      128,
      '5153d05fc788c7535dff42e944e89ef9005007fba340174a9b13c6cf34328d257fea8d37250e5b4d4db5ea6a3361478b',
    ],
    ['rc2-40-cbc', '0102030405', 40, 'd09cd7a78b867fdedf159dac8e7ad7e96f6b957e7f2e20a8ed7404b0739ed2888711df295fac7f3595d9fd171aa1fd2b'],
    [
      'rc2-64-cbc',
      '0102030405060708',
      64,
      'b116e69257ede32c14bc4f36eb4067f6d2e84e2fa234f4cb680a41847deee165deb8e330ed95390da2d0856f2442046e',
    ],
  ]
  for (const [name, key, bits, ciphertext] of openssl) {
    it(`decrypts what openssl enc -${name} wrote`, () => {
      expect(Buffer.from(rc2CbcDecrypt(hex(ciphertext), { key: hex(key), iv, effectiveBits: bits }))).toEqual(padded)
    })
  }

  it('chains blocks: a changed ciphertext byte garbles its block and flips one byte of the next', () => {
    const [, key, bits, ciphertext] = openssl[0]!
    const tampered = hex(ciphertext)
    tampered[3] = tampered[3]! ^ 0x01
    const out = Buffer.from(rc2CbcDecrypt(tampered, { key: hex(key), iv, effectiveBits: bits }))
    expect(out.subarray(0, 8).equals(padded.subarray(0, 8))).toBe(false)
    expect(out[8 + 3]).toBe(padded[8 + 3]! ^ 0x01)
    expect(out.subarray(16)).toEqual(padded.subarray(16))
  })

  it('refuses out-of-range keys, IVs, effective bits and partial blocks', () => {
    const ok = { key: hex('0102030405'), iv: new Uint8Array(8), effectiveBits: 40 }
    expect(() => rc2CbcDecrypt(new Uint8Array(8), { ...ok, key: new Uint8Array(0) })).toThrow(RangeError)
    expect(() => rc2CbcDecrypt(new Uint8Array(8), { ...ok, key: new Uint8Array(129) })).toThrow(RangeError)
    expect(() => rc2CbcDecrypt(new Uint8Array(8), { ...ok, iv: new Uint8Array(16) })).toThrow(RangeError)
    expect(() => rc2CbcDecrypt(new Uint8Array(8), { ...ok, effectiveBits: 0 })).toThrow(RangeError)
    expect(() => rc2CbcDecrypt(new Uint8Array(8), { ...ok, effectiveBits: 1025 })).toThrow(RangeError)
    expect(() => rc2CbcDecrypt(new Uint8Array(7), ok)).toThrow(RangeError)
  })
})
