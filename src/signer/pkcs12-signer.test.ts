import { constants, verify, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { signWithEveryAlgorithm } from '../testing/verify-signature.js'
import { SceauError } from '../errors.js'
import { Pkcs12Signer } from './pkcs12-signer.js'

const FIXTURES = new URL('../../fixtures/pkcs12/', import.meta.url)
const path = (name: string): string => fileURLToPath(new URL(name, FIXTURES))
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path(name)))
const PASSWORD = 'sceau-test'

async function failure(promise: Promise<unknown>): Promise<SceauError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(SceauError)
    return err as SceauError
  }
  throw new Error('expected a SceauError, got a result')
}

describe('Pkcs12Signer', () => {
  const data = new TextEncoder().encode('<ds:SignedInfo>bordereau 2024-001</ds:SignedInfo>')

  for (const [file, expected] of [
    ['rsa-legacy.p12', { type: 'RSA', size: 2048 }],
    ['ec-aes.p12', { type: 'EC', curve: 'P-256', size: 256 }],
  ] as const) {
    it(`${file}: signs with every algorithm the key offers; each verifies against the certificate, a changed byte does not`, async () => {
      const signer = await Pkcs12Signer.open({ file: path(file), password: PASSWORD })
      expect(signer.key).toEqual(expected)
      expect(signer.algorithms.length).toBe(expected.type === 'RSA' ? 6 : 3)
      const checks = await signWithEveryAlgorithm(signer, data)
      expect(checks.map((c) => c.algorithm)).toEqual(signer.algorithms)
      expect(checks.filter((c) => !c.valid || c.validAfterTampering || !c.withinMaxLength)).toEqual([])
    })
  }

  it('RSA-PSS uses a salt as long as the hash and MGF1 with the same hash', async () => {
    const signer = await Pkcs12Signer.open({ bytes: fixture('rsa-default.p12'), password: PASSWORD })
    const key = new X509Certificate(signer.certificate).publicKey
    const signature = await signer.sign(data, 'RSASSA-PSS-SHA384')
    expect(verify('sha384', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature)).toBe(true)
    expect(verify('sha384', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)).toBe(false)
  })

  it('exposes the certificate, the ordered chain and the friendlyName of the file', async () => {
    const signer = await Pkcs12Signer.open({ file: path('rsa-chain.p12'), password: PASSWORD })
    expect(Buffer.from(signer.certificate)).toEqual(Buffer.from(fixture('expected/rsa-chain.cert.der')))
    expect(signer.chain.map((der) => new X509Certificate(der).subject.split('\n').pop())).toEqual([
      'CN=Sceau Test Intermediate CA',
      'CN=Sceau Test Root CA',
    ])
    expect(signer.friendlyName).toBe('Sceau RSA')
    expect(signer.integrity).toBe('hmac')
  })

  it('shows no key material and keeps no password in console.log, inspect or JSON', async () => {
    const password = PASSWORD
    const signer = await Pkcs12Signer.open({ bytes: fixture('rsa-plain.p12'), password })
    const pkcs8 = Buffer.from(fixture('keys/rsa.p8.der'))
    for (const text of [inspect(signer, { depth: 10, showHidden: true }), JSON.stringify(signer), String(signer)]) {
      expect(text).not.toContain(password)
      expect(text).not.toContain(pkcs8.toString('hex').slice(64, 128))
      expect(text).not.toContain(pkcs8.toString('base64').slice(64, 128))
      expect(text).not.toMatch(/PRIVATE KEY/)
    }
    expect(JSON.parse(JSON.stringify(signer))).toEqual({
      type: 'Pkcs12Signer',
      key: { type: 'RSA', size: 2048 },
      friendlyName: 'Sceau RSA',
    })
  })

  it("does not alter the caller's bytes", async () => {
    const bytes = fixture('rsa-plain.p12')
    const copy = Buffer.from(bytes)
    await Pkcs12Signer.open({ bytes, password: PASSWORD })
    expect(Buffer.from(bytes)).toEqual(copy)
  })

  it('refuses an algorithm the key cannot produce', async () => {
    const signer = await Pkcs12Signer.open({ file: path('ec-aes.p12'), password: PASSWORD })
    expect((await failure(signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256'))).code).toBe('ALGORITHM_UNSUPPORTED')
  })

  it('honours an aborted signal', async () => {
    const signer = await Pkcs12Signer.open({ file: path('ec-aes.p12'), password: PASSWORD })
    await expect(signer.sign(data, 'ECDSA-SHA256', { signal: AbortSignal.abort() })).rejects.toThrow()
  })

  it('a missing file is FILE_NOT_FOUND naming it; a wrong password is PKCS12_BAD_PASSWORD naming it', async () => {
    const missing = path('does-not-exist.p12')
    const notFound = await failure(Pkcs12Signer.open({ file: missing, password: PASSWORD }))
    expect(notFound.code).toBe('FILE_NOT_FOUND')
    expect(notFound.details.file).toBe(missing)
    expect(notFound.message).toContain(missing)

    const wrong = 'pas-le-bon-mot-de-passe'
    const badPassword = await failure(Pkcs12Signer.open({ file: path('rsa-default.p12'), password: wrong }))
    expect(badPassword.code).toBe('PKCS12_BAD_PASSWORD')
    expect(badPassword.details.file).toBe(path('rsa-default.p12'))
    expect(JSON.stringify(badPassword)).not.toContain(wrong)
    expect(inspect(badPassword, { depth: 10 })).not.toContain(wrong)
  })

  it('a file over 1 MiB, or an endless one, is INPUT_TOO_LARGE without being read whole', async () => {
    const big = join(mkdtempSync(join(tmpdir(), 'sceau-p12-')), 'big.p12')
    writeFileSync(big, new Uint8Array(1024 * 1024 + 1))
    for (const file of [big, '/dev/zero']) {
      const err = await failure(Pkcs12Signer.open({ file, password: PASSWORD }))
      expect(err.code).toBe('INPUT_TOO_LARGE')
      expect(err.details.file).toBe(file)
    }
  })

  it('a directory is FILE_NOT_FOUND; neither bytes nor file is USAGE', async () => {
    expect((await failure(Pkcs12Signer.open({ file: path('keys'), password: PASSWORD }))).code).toBe('FILE_NOT_FOUND')
    expect((await failure(Pkcs12Signer.open({ password: PASSWORD }))).code).toBe('USAGE')
  })
})
