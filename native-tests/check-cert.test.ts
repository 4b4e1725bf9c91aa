import 'reflect-metadata'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureIo } from './capture-io.js'
import { main } from '../src/cli/main.js'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { createTestTokens } from './tokens-fixture.js'
import { pkiFile } from './test-pki-files.js'

let hsm: SoftHsm

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo()
  const code = await main(['check-cert', ...args], io)
  return { code, stdout: io.stdout, stderr: io.stderr }
}

const trust = () => ['--trust', pkiFile('root.pem'), '--intermediates', pkiFile('intermediate.pem'), '--crl', pkiFile('root-crl.der')]

beforeAll(() => {
  hsm = createTestTokens()
})
afterAll(() => hsm.cleanup())

describe('sceau check-cert', () => {
  it('exits 0 for a valid agent certificate with its CRL, and prints the checks', async () => {
    const { code, stdout } = await run(pkiFile('signature-rsa2048.cert.pem'), ...trust(), '--crl', pkiFile('crl.der'), '--no-crl-fetch')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^TOTAL_PASSED — profile rgs2-signature/)
    expect(stdout).toContain('[ok  ] revocation.crl')
  })

  it('exits 1 and says "revoked" for a revoked certificate', async () => {
    const { code, stdout } = await run(pkiFile('revoked-rsa2048.cert.pem'), ...trust(), '--crl', pkiFile('crl.der'), '--json')
    expect(code).toBe(1)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'REVOKED' })
  })

  it('exits 1 and says "expired" for an expired certificate', async () => {
    const { code, stdout } = await run(pkiFile('expired-rsa2048.cert.der'), ...trust(), '--crl', pkiFile('crl.der'))
    expect(code).toBe(1)
    expect(stdout).toMatch(/expired/)
  })

  it('exits 3 when revocation cannot be decided', async () => {
    const { code, stdout } = await run(pkiFile('signature-ec-p256.cert.pem'), ...trust(), '--no-crl-fetch', '--json')
    expect(code).toBe(3)
    expect(JSON.parse(stdout).subIndication).toBe('TRY_LATER')
  })

  it('exits 2 for usage errors', async () => {
    expect((await run(pkiFile('signature-rsa2048.cert.pem'), '--profile', 'gold')).code).toBe(2)
    expect((await run(pkiFile('signature-rsa2048.cert.pem'), '--at', 'yesterday')).code).toBe(2)
    expect((await run('/nonexistent.pem')).stderr).toMatch(/^sceau: FILE_NOT_FOUND/)
  })

  it('reads the certificate from a token by its pkcs11: URI and takes the CA certificate the token holds', async () => {
    const uri = 'pkcs11:token=Mairie%20de%20Test;object=Signature%20RSA;type=cert'
    const { code, stdout, stderr } = await run(
      uri,
      '--module',
      hsm.module,
      '--trust',
      pkiFile('root.pem'),
      '--crl',
      pkiFile('crl.der'),
      '--crl',
      pkiFile('root-crl.der'),
      '--json',
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout).chain).toHaveLength(3)
  })
})

describe('sceau check-cert with the real French trusted list', () => {
  const fixture = (name: string): string => join(import.meta.dirname, '..', 'fixtures', name)

  it('qualifies the ANTS agent certificate, verifies the list signature from the LOTL and accepts it for Hélios', async () => {
    const { code, stdout } = await run(
      fixture('policy/Mathieu-JORRY-3310003898jm__3727ba76.pem'),
      '--tsl',
      fixture('tl/FR-TL-seq112-2023-02-23.xml'),
      '--lotl',
      fixture('tl/EU-LOTL-seq332-2023-09-27.xml'),
      '--at',
      '2023-03-01T12:00:00Z',
      '--no-revocation-check',
      '--json',
    )
    const report = JSON.parse(stdout)
    expect(report.qualification).toMatchObject({ value: 'QC_FOR_ESIG_QSCD', source: 'trusted-list' })
    expect(report.checks.find((check: { id: string }) => check.id === 'tl.signature')).toMatchObject({
      status: 'pass',
      reason: expect.stringContaining('JORRY'),
    })
    expect(code).toBe(0)
  })

  it('refuses an electronic seal as a personal signature', async () => {
    const { code, stdout } = await run(
      fixture('certs/CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem'),
      '--tsl',
      fixture('tl/FR-TL-seq112-2023-02-23.xml'),
      '--at',
      '2023-03-01T12:00:00Z',
      '--no-revocation-check',
      '--json',
    )
    const report = JSON.parse(stdout)
    expect(report.qualification.value).toBe('QC_FOR_ESEAL')
    // Not meeting the profile is a constraint of the validation policy, not a forgery: INDETERMINATE (EN 319 102-1).
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' })
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'profile.seal', status: 'indeterminate' }))
    expect(code).toBe(3)
  })
})
