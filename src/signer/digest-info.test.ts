import { constants, createHash, generateKeyPairSync, privateEncrypt, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { digest, digestInfo } from './digest-info.js'

describe('DigestInfo', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  for (const [hash, node] of [
    ['SHA-256', 'sha256'],
    ['SHA-384', 'sha384'],
    ['SHA-512', 'sha512'],
  ] as const) {
    it(`${hash}: raw RSA over DigestInfo equals RSASSA-PKCS1-v1_5 (what CKM_RSA_PKCS on a token gives)`, () => {
      const data = Buffer.from('<PES_Aller/>')
      const value = digest(hash, data)
      expect(Buffer.from(value)).toEqual(createHash(node).update(data).digest())
      const raw = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, value))
      expect(raw).toEqual(sign(node, data, privateKey))
    })
  }

  it('refuses a digest of the wrong length', () => {
    expect(() => digestInfo('SHA-256', new Uint8Array(20))).toThrow(/SHA-256 digest is 32 bytes/)
  })
})
