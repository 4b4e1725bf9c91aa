import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpensslCa, run, type OpensslCredential } from '../testing/openssl-ca.js'
import { rsaPublicKeyOf, verifyPkcs1v15, verifyPss, type RsaPublicKey } from './rsa-verify.js'

// RSASSA-PSS and RSASSA-PKCS1-v1_5 verification over a digest, against signatures made by `openssl dgst` and
// `openssl pkeyutl` with the parameters Node's own verify cannot take (an MGF1 hash other than the message hash).

let dir: string
let keys: Map<number, { credential: OpensslCredential; key: RsaPublicKey }>
const message = new Uint8Array(Buffer.from('Mandat 2026-0042: 1234,56 EUR\n'))

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-rsa-verify-'))
  writeFileSync(join(dir, 'message.bin'), message)
  const ca = OpensslCa.create(join(dir, 'ca'))
  keys = new Map(
    [2048, 2049, 3072].map((bits) => {
      // OpenSSL makes a two-prime modulus one bit short of an odd size; three primes reach it.
      const primes = bits % 2 === 1 ? ['-pkeyopt', 'rsa_keygen_primes:3'] : []
      const credential = ca.issue(`rsa${bits}`, { key: ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, ...primes] })
      const spki = new Uint8Array(new X509Certificate(credential.der).publicKey.export({ type: 'spki', format: 'der' }))
      return [bits, { credential, key: rsaPublicKeyOf(spki) as RsaPublicKey }]
    }),
  )
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const digest = (hash: string, data: Uint8Array): Uint8Array => new Uint8Array(createHash(hash).update(data).digest())

describe('verifyPss', () => {
  it.each([
    [2048, 'sha256', 'sha256', 32],
    [2048, 'sha256', 'sha1', 20],
    [2048, 'sha512', 'sha256', 0],
    [2049, 'sha384', 'sha512', 48],
    [3072, 'sha3-256', 'sha1', 222],
    [3072, 'sha1', 'sha1', 20],
  ] as const)('RSA-%i, %s, MGF1 with %s, %i bytes of salt', (bits, hash, mgf1, salt) => {
    const { credential, key } = keys.get(bits) as { credential: OpensslCredential; key: RsaPublicKey }
    const signature = new Uint8Array(
      run('openssl', [
        ...['dgst', `-${hash}`, '-sign', credential.key, '-sigopt', 'rsa_padding_mode:pss'],
        ...['-sigopt', `rsa_pss_saltlen:${salt}`, '-sigopt', `rsa_mgf1_md:${mgf1}`, join(dir, 'message.bin')],
      ]),
    )
    const names = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512', 'sha3-256': 'SHA3-256' } as const
    const params = { hash: names[hash], mgf1Hash: names[mgf1], saltLength: salt }
    expect(key.bits).toBe(bits)
    expect(verifyPss(key, params, digest(hash, message), signature)).toBe(true)
    // Another message, another salt length, another MGF1 hash, one bit of the signature: all refused.
    expect(verifyPss(key, params, digest(hash, new Uint8Array(4)), signature)).toBe(false)
    expect(verifyPss(key, { ...params, saltLength: salt + 1 }, digest(hash, message), signature)).toBe(false)
    expect(verifyPss(key, { ...params, mgf1Hash: mgf1 === 'sha1' ? 'SHA-256' : 'SHA-1' }, digest(hash, message), signature)).toBe(false)
    const flipped = Uint8Array.from(signature)
    flipped[10] = (flipped[10] ?? 0) ^ 0x01
    expect(verifyPss(key, params, digest(hash, message), flipped)).toBe(false)
  })
})

describe('verifyPkcs1v15', () => {
  it('verifies openssl dgst signatures, and DigestInfo without NULL parameters (RFC 8017 appendix A.2.4)', () => {
    const { credential, key } = keys.get(2048) as { credential: OpensslCredential; key: RsaPublicKey }
    const value = digest('sha256', message)
    const signature = new Uint8Array(run('openssl', ['dgst', '-sha256', '-sign', credential.key, join(dir, 'message.bin')]))
    expect(verifyPkcs1v15(key, 'SHA-256', value, signature)).toBe(true)
    expect(verifyPkcs1v15(key, 'SHA-384', digest('sha384', message), signature)).toBe(false)

    // DigestInfo { { id-sha256 (no parameters) }, digest }, padded and signed by openssl pkeyutl.
    const noNull = Buffer.concat([Buffer.from('302f300b0609608648016503040201' + '0420', 'hex'), value])
    writeFileSync(join(dir, 'digest-info.der'), noNull)
    const raw = new Uint8Array(
      run('openssl', [
        'pkeyutl',
        '-sign',
        '-inkey',
        credential.key,
        '-pkeyopt',
        'rsa_padding_mode:pkcs1',
        '-in',
        join(dir, 'digest-info.der'),
      ]),
    )
    expect(verifyPkcs1v15(key, 'SHA-256', value, raw)).toBe(true)
    // One bit of the signature changed: refused.
    const flipped = Uint8Array.from(raw)
    flipped[0] = (flipped[0] ?? 0) ^ 0x01
    expect(verifyPkcs1v15(key, 'SHA-256', value, flipped)).toBe(false)
  })
})
