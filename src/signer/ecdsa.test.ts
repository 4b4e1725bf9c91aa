import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ecdsaDerToP1363, ecdsaP1363ToDer } from './ecdsa.js'

describe('ECDSA encodings', () => {
  for (const [curve, orderLength] of [
    ['prime256v1', 32],
    ['secp384r1', 48],
    ['secp521r1', 66],
  ] as const) {
    it(`converts ${curve} signatures both ways so that OpenSSL verifies each form`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
      const data = Buffer.from('bordereau 42')
      for (let i = 0; i < 20; i++) {
        const p1363 = new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }))
        const der = ecdsaP1363ToDer(p1363)
        expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true)
        expect(ecdsaDerToP1363(der, orderLength)).toEqual(p1363)
        const nodeDer = new Uint8Array(sign('sha256', data, privateKey))
        expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, ecdsaDerToP1363(nodeDer, orderLength))).toBe(true)
      }
    })
  }

  it('pads short integers and strips DER sign bytes', () => {
    const p1363 = new Uint8Array(64)
    p1363[31] = 1 // r = 1
    p1363[32] = 0x80 // s has its top bit set: DER needs a leading zero
    const der = ecdsaP1363ToDer(p1363)
    expect(Buffer.from(der).toString('hex')).toBe('3026020101022100' + '80' + '00'.repeat(31))
    expect(ecdsaDerToP1363(der, 32)).toEqual(p1363)
  })

  it('rejects malformed input with INPUT_MALFORMED', () => {
    expect(() => ecdsaP1363ToDer(new Uint8Array(63))).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED' }))
    expect(() => ecdsaDerToP1363(Uint8Array.from([0x31, 0x00]), 32)).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED' }))
    expect(() => ecdsaDerToP1363(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01]), 32)).toThrow(/not a DER ECDSA signature/)
    const tooLong = ecdsaP1363ToDer(new Uint8Array(96).fill(0x7f))
    expect(() => ecdsaDerToP1363(tooLong, 32)).toThrow(/longer than 32 bytes/)
  })
})
