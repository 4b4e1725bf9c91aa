import { describe, expect, it } from 'vitest'
import { pairKeys } from './pairing.js'

const obj = (name: string, id: string, fingerprint?: string) => ({ name, id: Buffer.from(id, 'hex'), publicKeyFingerprint: fingerprint })

describe('pairing keys and certificates', () => {
  it('pairs by CKA_ID first', () => {
    const [pair] = pairKeys({
      privateKeys: [obj('key', '01', 'rsa:aa')],
      publicKeys: [],
      certificates: [obj('other', '02', 'rsa:aa'), obj('cert', '01', 'rsa:bb')],
    })
    expect(pair?.certificate?.name).toBe('cert')
    expect(pair?.pairedBy).toBe('id')
  })

  it('pairs by public key when ids differ', () => {
    const [pair] = pairKeys({ privateKeys: [obj('key', '01', 'rsa:aa')], publicKeys: [], certificates: [obj('cert', 'ff', 'rsa:aa')] })
    expect(pair?.certificate?.name).toBe('cert')
    expect(pair?.pairedBy).toBe('public-key')
  })

  it('uses the public key object for EC private keys that hide their point', () => {
    const [pair] = pairKeys({
      privateKeys: [obj('key', '07')],
      publicKeys: [obj('pub', '07', 'ec:04ab')],
      certificates: [obj('cert', '99', 'ec:04ab')],
    })
    expect(pair?.publicKey?.name).toBe('pub')
    expect(pair?.certificate?.name).toBe('cert')
  })

  it('never pairs on empty ids', () => {
    const [pair] = pairKeys({ privateKeys: [obj('key', '')], publicKeys: [], certificates: [obj('cert', '')] })
    expect(pair?.certificate).toBeUndefined()
    expect(pair?.pairedBy).toBeUndefined()
  })
})
