import { describe, expect, it } from 'vitest'
import { bmpPassword, pkcs12Kdf, type Pkcs12KdfHash } from './pkcs12-kdf.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('bmpPassword', () => {
  it('is big-endian UTF-16 plus two zero bytes (RFC 7292 B.1)', () => {
    expect(toHex(bmpPassword('smeg'))).toBe('0073006d006500670000')
    expect(toHex(bmpPassword('é'))).toBe('00e90000')
    expect(toHex(bmpPassword('€'))).toBe('20ac0000')
  })

  it('makes an empty password the two zero bytes, not nothing', () => {
    expect(toHex(bmpPassword(''))).toBe('0000')
  })

  it('writes characters outside the BMP as surrogate pairs, as OpenSSL does', () => {
    expect(toHex(bmpPassword('😀'))).toBe('d83dde000000')
  })
})

describe('pkcs12Kdf', () => {
  // Expected values printed by OpenSSL's own implementation:
  //   openssl kdf -keylen L -kdfopt digest:D -kdfopt hexpass:P -kdfopt hexsalt:S -kdfopt iter:N -kdfopt id:I PKCS12KDF
  // The provider takes the password already as a BMPString, terminator included.
  const clef = toHex(bmpPassword('clé-€')) // 0063006c00e9002d20ac0000
  const longPassword = toHex(bmpPassword(Array.from({ length: 70 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('')))
  const longSalt = toHex(Uint8Array.from({ length: 130 }, (_, i) => i))
  const vectors: [hash: Pkcs12KdfHash, password: string, salt: string, iterations: number, id: 1 | 2 | 3, expected: string][] = [
    // The inputs of the classic "smeg"/"queeg" PKCS#12 KDF vectors.
    ['sha1', '0073006d006500670000', '0a58cf64530d823f', 1, 1, '8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3'],
    ['sha1', '0073006d006500670000', '0a58cf64530d823f', 1, 2, '79993dfe048d3b76'],
    ['sha1', '0073006d006500670000', '642b99ab44fb4b1f', 1, 3, 'a93eeaaabac1a7887b816a5e432f714ee7775c9b'],
    ['sha1', '007100750065006500670000', '05dec959acff72f7', 1000, 1, 'ed2034e36328830ff09df1e1a07dd357185dac0d4f9eb3d4'],
    ['sha1', '007100750065006500670000', '05dec959acff72f7', 1000, 2, '11dedad7758d4860'],
    ['sha1', '007100750065006500670000', '1682c0fc5b3f7ec5', 1000, 3, '022db40d747da404972b3144296ba4b80a96b1f3'],
    // Non-ASCII password, SHA-256 (v = 64), the MAC key of a default OpenSSL 3 file.
    ['sha256', clef, '0102030405060708', 2048, 3, 'a8f1db70fb057659418bde300158b09f3c644b679fe14f93cf082c02bba1bbc8'],
    // SHA-512 (v = 128) with an output longer than one hash: the I-block update between rounds.
    [
      'sha512',
      clef,
      '0102030405060708',
      100,
      1,
      '6786d390f61fcdd4f88015aa55a6d170cc010c2361ebf106811185254ee100d2fade4b3e8559af305e2aea7545ee88d652b9463f9d34f1b4852887e50e4c411e69e1de316c9dd7a1d599f70993454acbc1778d6c62a660eb49c3c05a36c70a73cbc0c69c',
    ],
    // Password and salt longer than one block, SHA-384.
    [
      'sha384',
      longPassword,
      longSalt,
      3,
      3,
      '9049db565a4c725a357f599ffd3716286e6e723bb97ae775acd7e44eee666fe28d255456ba761d2ccaec6fa31975bb08',
    ],
    // The empty password (two zero bytes), 70 bytes out of SHA-1: four rounds over a salt longer than a block.
    [
      'sha1',
      '0000',
      longSalt,
      5,
      1,
      'ecacea2b220477e3b63a71da1a7d11c9b12688fced691c715224463ed89d2c39061d862ea767d3df80cdaacc2e660fcc926828665bc40df5bc03657565ebf2d548d3e937bbfa',
    ],
    ['sha224', clef, '0102030405060708', 10, 2, '300015d3ff10f5e1f5e219a5f806d45938a941ef43d741e98bb55eb6'],
  ]
  for (const [hash, password, salt, iterations, id, expected] of vectors) {
    it(`matches OpenSSL: ${hash}, ${password.length / 2}-byte password, ${salt.length / 2}-byte salt, ${iterations} iterations, id ${id}`, () => {
      expect(toHex(pkcs12Kdf({ hash, password: hex(password), salt: hex(salt), id, iterations, length: expected.length / 2 }))).toBe(
        expected,
      )
    })
  }

  it("treats an empty password (OpenSSL's NULL) differently from the two zero bytes", () => {
    const options = { hash: 'sha1', salt: hex('0102030405060708'), id: 3, iterations: 1, length: 20 } as const
    expect(toHex(pkcs12Kdf({ ...options, password: new Uint8Array(0) }))).not.toBe(toHex(pkcs12Kdf({ ...options, password: hex('0000') })))
  })

  it('refuses a zero iteration count or length', () => {
    const options = { hash: 'sha1', password: hex('0000'), salt: hex('01'), id: 1, iterations: 1, length: 8 } as const
    expect(() => pkcs12Kdf({ ...options, iterations: 0 })).toThrow(RangeError)
    expect(() => pkcs12Kdf({ ...options, length: 0 })).toThrow(RangeError)
  })
})
