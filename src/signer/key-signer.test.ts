import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { signWithEveryAlgorithm } from '../testing/verify-signature.js'
import { KeySigner } from './key-signer.js'

// Certificates made by OpenSSL, not by our code, so the test does not check sceau against itself.
function selfSigned(keyType: 'rsa:2048' | 'ec-p256' | 'ec-p384'): { key: Uint8Array; certificate: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'sceau-keysigner-'))
  const newkey =
    keyType === 'rsa:2048'
      ? ['-newkey', 'rsa:2048']
      : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${keyType === 'ec-p256' ? 'P-256' : 'P-384'}`]
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...newkey,
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-subj',
      '/CN=Agent TEST/O=Commune TEST/C=FR',
      '-days',
      '30',
    ],
    { stdio: 'pipe' },
  )
  execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', join(dir, 'k.pem'), '-outform', 'der', '-out', join(dir, 'k.der')])
  return {
    key: new Uint8Array(readFileSync(join(dir, 'k.der'))),
    certificate: new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw),
  }
}

describe('KeySigner', () => {
  const data = new TextEncoder().encode('<ds:SignedInfo/>')

  for (const keyType of ['rsa:2048', 'ec-p256', 'ec-p384'] as const) {
    it(`${keyType}: every algorithm it offers verifies against its certificate, and a changed byte does not`, async () => {
      const signer = KeySigner.create(selfSigned(keyType))
      expect(signer.algorithms.length).toBeGreaterThan(0)
      const checks = await signWithEveryAlgorithm(signer, data)
      expect(checks.map((c) => c.algorithm)).toEqual(signer.algorithms)
      expect(checks.filter((c) => !c.valid || c.validAfterTampering || !c.withinMaxLength)).toEqual([])
    })
  }

  it('describes the key and orders EC algorithms by curve strength', () => {
    expect(KeySigner.create(selfSigned('ec-p384'))).toMatchObject({
      key: { type: 'EC', curve: 'P-384', size: 384 },
      algorithms: ['ECDSA-SHA384', 'ECDSA-SHA256', 'ECDSA-SHA512'],
    })
    expect(KeySigner.create(selfSigned('rsa:2048')).key).toEqual({ type: 'RSA', size: 2048 })
  })

  it('refuses an algorithm of the other key type', async () => {
    const signer = KeySigner.create(selfSigned('rsa:2048'))
    await expect(signer.sign(data, 'ECDSA-SHA256')).rejects.toMatchObject({ code: 'ALGORITHM_UNSUPPORTED' })
  })

  it('refuses a certificate that is not the key’s', () => {
    const a = selfSigned('rsa:2048')
    const b = selfSigned('rsa:2048')
    expect(() => KeySigner.create({ key: a.key, certificate: b.certificate })).toThrow(
      expect.objectContaining({ code: 'CERTIFICATE_MALFORMED' }),
    )
  })

  it('never shows the key when printed', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const dir = mkdtempSync(join(tmpdir(), 'sceau-keysigner-'))
    writeFileSync(join(dir, 'k.pem'), pem)
    execFileSync('openssl', ['req', '-x509', '-key', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=x', '-days', '1'], {
      stdio: 'pipe',
    })
    const signer = KeySigner.create({
      key: privateKey,
      certificate: new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw),
    })
    expect(JSON.stringify(signer)).toBe('{"type":"KeySigner","key":{"type":"EC","curve":"P-256","size":256}}')
    expect(JSON.stringify(Object.entries(signer))).not.toContain('BEGIN')
  })

  it('honours an aborted signal', async () => {
    const signer = KeySigner.create(selfSigned('ec-p256'))
    await expect(signer.sign(data, 'ECDSA-SHA256', { signal: AbortSignal.abort() })).rejects.toThrow()
  })
})
