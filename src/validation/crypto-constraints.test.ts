import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpensslCa, run, type OpensslCredential } from '../testing/openssl-ca.js'
import { verifyCades } from '../cades/verify-cades.js'
import { acceptability, checkCryptoConstraints } from './crypto-constraints.js'

const at = (iso: string): { time: Date; source: string } => ({ time: new Date(iso), source: 'the validation time' })

describe('the table of acceptable algorithms', () => {
  it('dates digests, and key sizes per scheme', () => {
    expect(acceptability({ digest: 'SHA-1' })).toEqual({ acceptable: true, until: new Date('2012-08-01T00:00:00Z') })
    expect(acceptability({ digest: 'SHA-256' })).toEqual({ acceptable: true })
    expect(acceptability({ digest: 'SHA3-224' })).toEqual({ acceptable: true, until: new Date('2029-01-01T00:00:00Z') })
    expect(acceptability({ digest: '1.2.3.4' })).toMatchObject({ acceptable: false })
    expect(acceptability({ scheme: 'RSA', keyBits: 1024 })).toEqual({ acceptable: true, until: new Date('2019-10-01T00:00:00Z') })
    expect(acceptability({ scheme: 'RSA', keyBits: 512 })).toMatchObject({ acceptable: false })
    expect(acceptability({ scheme: 'RSASSA-PSS', keyBits: 3072 })).toEqual({ acceptable: true })
    expect(acceptability({ scheme: 'ECDSA', keyBits: 224 })).toEqual({ acceptable: true, until: new Date('2021-10-01T00:00:00Z') })
    expect(acceptability({ scheme: 'ECDSA', keyBits: 521 })).toEqual({ acceptable: true })
    expect(acceptability({ scheme: 'Ed448' })).toEqual({ acceptable: true })
  })

  it('judges at the proof of existence: acceptable before the end date, NO_POE after it, never for what never was', () => {
    const sha1 = [{ by: 'the signature', algorithm: { digest: 'SHA-1' } }]
    expect(checkCryptoConstraints(sha1, at('2011-06-01T00:00:00Z'))).toMatchObject({ status: 'pass' })
    expect(checkCryptoConstraints(sha1, at('2013-01-01T00:00:00Z'))).toMatchObject({
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
      reason: expect.stringContaining('SHA-1 is acceptable until 2012-08-01') as unknown,
    })
    const weak = [...sha1, { by: 'the signature', algorithm: { scheme: 'RSA', keyBits: 512 } }]
    expect(checkCryptoConstraints(weak, at('2000-01-01T00:00:00Z'))).toMatchObject({ subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' })
  })
})

describe('cryptographic constraints on CMS signatures made by OpenSSL', () => {
  let dir: string
  let ca: OpensslCa
  let signer: OpensslCredential
  let p7s: string
  const content = 'Arrêté 2011-204\n'

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sceau-crypto-constraints-'))
    // A CA of 2010 that signs with SHA-1, as CAs did then, and a SHA-1 signature by its subscriber.
    ca = OpensslCa.create(join(dir, 'ca'), { digest: 'sha1', startDate: '20100101000000Z', endDate: '20400101000000Z' })
    signer = ca.issue('signer-2010', { digest: 'sha1', startDate: '20100601000000Z', endDate: '20400101000000Z' })
    writeFileSync(join(dir, 'arrete.txt'), content)
    p7s = join(dir, 'arrete.txt.p7s')
    run('openssl', [
      ...['cms', '-sign', '-binary', '-cades', '-md', 'sha1', '-in', join(dir, 'arrete.txt'), '-signer', signer.cert],
      ...['-inkey', signer.key, '-outform', 'DER', '-out', p7s],
    ])
  }, 60_000)

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const verify = (when: string) =>
    verifyCades(p7s, { anchors: [ca.credential.der], at: new Date(when), profile: 'none', revocation: { fetchCrls: false } })

  it('accepts SHA-1 at a time before its end date, and says NO_POE now, never that the signature is forged', async () => {
    expect(readFileSync(p7s).length).toBeGreaterThan(0)
    const then = await verify('2011-06-01T00:00:00Z')
    const thenChecks = then.signatures[0]?.checks ?? []
    expect(thenChecks.find((check) => check.id === 'cms.signature')).toMatchObject({ status: 'pass' })
    expect(thenChecks.find((check) => check.id === 'cms.crypto-constraints')).toMatchObject({ status: 'pass' })

    const now = await verify(new Date().toISOString())
    const constraints = now.signatures[0]?.checks.find((check) => check.id === 'cms.crypto-constraints')
    expect(constraints).toMatchObject({ status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE' })
    // The digest of the signature and the SHA-1 the CA signed the signer's certificate with are both named.
    expect(constraints?.reason).toContain('the signature: SHA-1')
    expect(constraints?.reason).toContain('the certificate of')
    expect(now.indication).not.toBe('TOTAL_FAILED')
  })
})
