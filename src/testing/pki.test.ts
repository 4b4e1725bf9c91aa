import { spawnSync } from 'node:child_process'
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { describeCertificate } from '../x509/describe.js'
import { pemToDer } from '../x509/pem.js'
import { spkiEquals, spkiOf } from '../x509/spki.js'
import { createTestPki, TEST_LEAF_NAMES, TEST_POLICY_OIDS, writeTestPki, type TestPki } from './pki.js'

const VALID = ['signature-rsa2048', 'signature-rsa3072', 'signature-ec-p256', 'authentication-rsa2048'] as const

let pki: TestPki
let dir: string

beforeAll(async () => {
  pki = await createTestPki()
  dir = mkdtempSync(join(tmpdir(), 'sceau-pki-test-'))
  await writeTestPki(pki, dir)
})
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** Runs openssl in the PKI directory; returns its exit status and everything it printed (stdout, then stderr). */
function openssl(args: string[]): { status: number; output: string } {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` }
}

const verifyArgs = (leaf: string, ...extra: string[]): string[] => [
  'verify',
  '-x509_strict',
  ...extra,
  '-CAfile',
  'root.pem',
  '-untrusted',
  'intermediate.pem',
  `${leaf}.cert.pem`,
]

describe('createTestPki: the chain', () => {
  it('verifies each signature with Node (OpenSSL): root by itself, intermediate by root, leaves by intermediate', () => {
    const root = new X509Certificate(pki.root.certificate)
    const intermediate = new X509Certificate(pki.intermediate.certificate)
    expect(root.verify(root.publicKey)).toBe(true)
    expect(intermediate.verify(root.publicKey)).toBe(true)
    expect(intermediate.checkIssued(root)).toBe(true)
    for (const leaf of pki.leaves) {
      const cert = new X509Certificate(leaf.certificate)
      expect(cert.verify(intermediate.publicKey), leaf.name).toBe(true)
      expect(cert.verify(root.publicKey), leaf.name).toBe(false)
      expect(cert.checkIssued(intermediate), leaf.name).toBe(true)
    }
  })

  it('passes `openssl verify -x509_strict` for the valid leaves, with and without the CRL', () => {
    for (const leaf of VALID) {
      expect(openssl(verifyArgs(leaf)), leaf).toEqual({ status: 0, output: `${leaf}.cert.pem: OK\n` })
      expect(openssl(verifyArgs(leaf, '-crl_check', '-CRLfile', 'crl.pem')), leaf).toEqual({ status: 0, output: `${leaf}.cert.pem: OK\n` })
    }
  })

  it('is rejected by openssl for the revoked leaf once the CRL is checked', () => {
    expect(openssl(verifyArgs('revoked-rsa2048')).status).toBe(0)
    const checked = openssl(verifyArgs('revoked-rsa2048', '-crl_check', '-CRLfile', 'crl.pem'))
    expect(checked.status).not.toBe(0)
    expect(checked.output).toContain('certificate revoked')
  })

  it('is rejected by openssl for the expired leaf', () => {
    const result = openssl(verifyArgs('expired-rsa2048'))
    expect(result.status).not.toBe(0)
    expect(result.output).toContain('certificate has expired')
    expect(describeCertificate(pki.leaf('expired-rsa2048').certificate).notAfter.getTime()).toBeLessThan(pki.now.getTime())
  })

  it('gives each certificate the private key that matches it', () => {
    for (const credential of [pki.root, pki.intermediate, ...pki.leaves]) {
      const publicKey = createPublicKey(createPrivateKey({ key: Buffer.from(credential.privateKey), format: 'der', type: 'pkcs8' }))
      expect(spkiEquals(spkiOf(credential.certificate), publicKey.export({ type: 'spki', format: 'der' }))).toBe(true)
      expect(describeCertificate(credential.certificate).publicKey).toEqual(credential.key)
    }
    expect(pki.leaf('signature-ec-p256').key).toEqual({ type: 'EC', curve: 'P-256', size: 256 })
    expect(pki.leaf('signature-rsa3072').key).toEqual({ type: 'RSA', size: 3072 })
    expect(pki.root.key).toEqual({ type: 'RSA', size: 3072 })
  })
})

describe('createTestPki: the profiles', () => {
  it('makes signature-rsa2048 an RGS** / eIDAS qualified signature certificate', () => {
    const info = describeCertificate(pki.leaf('signature-rsa2048').certificate)
    expect(info.keyUsage).toEqual(['nonRepudiation'])
    expect(info.keyUsageCritical).toBe(true)
    expect(info.policies).toEqual([TEST_POLICY_OIDS.rgsSignature, '0.4.0.194112.1.2'])
    expect(info.qcStatements).toEqual({
      compliance: true,
      sscd: true,
      types: ['esign'],
      legislation: [],
      pds: [{ url: 'https://127.0.0.1/sceau-test/pds-en.pdf', language: 'en' }],
      semanticsIds: [],
      statementIds: ['0.4.0.1862.1.1', '0.4.0.1862.1.4', '0.4.0.1862.1.5', '0.4.0.1862.1.6'],
    })
    expect(info.isCA).toBe(false)
    expect(info.subject).toBe(
      'C=FR, O=COMMUNE DE TESTVILLE (TEST), OU=0002 000000001, 2.5.4.97=NTRFR-000000001, CN=Camille DUPONT-TEST (signature-rsa2048), G=Camille, SN=DUPONT-TEST, 2.5.4.5=TEST-AGENT-0001',
    )
    expect(info.subjectSerialNumber).toBe('TEST-AGENT-0001')
    expect(info.organizationIdentifier).toBe('NTRFR-000000001')
    expect(info.issuer).toBe('C=FR, O=sceau TEST, OU=0002 000000001, CN=sceau Test Agents CA')
    expect(info.crlDistributionPoints).toEqual(['http://127.0.0.1/sceau-test/intermediate.crl'])
    expect(info.ocspUrls).toEqual(['http://127.0.0.1/sceau-test/ocsp'])
    expect(info.caIssuers).toEqual(['http://127.0.0.1/sceau-test/intermediate.cer'])
    expect(info.authorityKeyIdentifier).toBe(describeCertificate(pki.intermediate.certificate).subjectKeyIdentifier)
    expect(info.subjectKeyIdentifier).toMatch(/^[0-9a-f]{40}$/)
    // 16 random bytes, positive, so 32 hex digits with the top bit clear.
    expect(info.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/)
  })

  it('gives the RSA-3072 and EC leaves the same signature profile', () => {
    for (const name of ['signature-rsa3072', 'signature-ec-p256', 'expired-rsa2048', 'revoked-rsa2048']) {
      const info = describeCertificate(pki.leaf(name).certificate)
      expect(info.keyUsage, name).toEqual(['nonRepudiation'])
      expect(info.qcStatements?.types, name).toEqual(['esign'])
      expect(info.policies, name).toContain(TEST_POLICY_OIDS.qcpNaturalQscd)
    }
  })

  it('makes authentication-rsa2048 an authentication certificate: no nonRepudiation, no QC statements', () => {
    const info = describeCertificate(pki.leaf('authentication-rsa2048').certificate)
    expect(info.keyUsage).toEqual(['digitalSignature'])
    expect(info.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2'])
    expect(info.qcStatements).toBeNull()
    expect(info.policies).toEqual([TEST_POLICY_OIDS.rgsAuthentication])
  })

  it('makes the CAs CAs: root self-signed, intermediate with pathLen 0', () => {
    const root = describeCertificate(pki.root.certificate)
    const intermediate = describeCertificate(pki.intermediate.certificate)
    expect(root).toMatchObject({ isCA: true, keyUsage: ['keyCertSign', 'cRLSign'], subject: 'C=FR, O=sceau TEST, CN=sceau Test Root CA' })
    expect(root.issuer).toBe(root.subject)
    expect(intermediate).toMatchObject({
      isCA: true,
      pathLength: 0,
      keyUsage: ['keyCertSign', 'cRLSign'],
      authorityKeyIdentifier: root.subjectKeyIdentifier,
    })
    expect(intermediate.criticalExtensions).toEqual(['2.5.29.19', '2.5.29.15'])
  })

  it('publishes a CRL OpenSSL accepts, signed by the intermediate, listing the revoked leaf for keyCompromise', () => {
    expect(openssl(['crl', '-in', 'crl.der', '-inform', 'DER', '-CAfile', 'intermediate.pem', '-noout'])).toEqual({
      status: 0,
      output: 'verify OK\n',
    })
    expect(openssl(['crl', '-in', 'crl.der', '-inform', 'DER', '-CAfile', 'root.pem', '-noout']).status).not.toBe(0)
    const text = openssl(['crl', '-in', 'crl.pem', '-noout', '-text']).output
    const revokedSerial = describeCertificate(pki.leaf('revoked-rsa2048').certificate).serialNumber.toUpperCase()
    expect(text).toContain(`Serial Number: ${revokedSerial}`)
    expect(text).toContain('Key Compromise')
    expect(text.match(/Serial Number:/g)).toHaveLength(1)
    const date = (label: string): number => Date.parse(text.match(new RegExp(`${label}: (.+)`))?.[1] ?? '')
    // CRL times have one-second precision.
    expect(Math.abs(date('Last Update') - pki.now.getTime())).toBeLessThan(1000)
    expect(Math.abs(date('Next Update') - (pki.now.getTime() + 7 * 24 * 3_600_000))).toBeLessThan(1000)
  })
})

describe('createTestPki: access and files', () => {
  it('finds leaves by name and names the known ones when asked for another', () => {
    expect(pki.leaves.map((leaf) => leaf.name)).toEqual([...TEST_LEAF_NAMES])
    expect(pki.leaf('signature-ec-p256').name).toBe('signature-ec-p256')
    let thrown: unknown
    try {
      pki.leaf('signature-rsa1024')
    } catch (err) {
      thrown = err
    }
    expect(isSceauError(thrown, 'USAGE')).toBe(true)
    expect((thrown as Error).message).toContain('signature-rsa2048')
  })

  it('bundles root then intermediate as PEM', () => {
    expect(pemToDer(pki.toPemBundle())).toEqual([pki.root.certificate, pki.intermediate.certificate])
  })

  it('writes the files native tests import, keys readable by their owner only', () => {
    for (const leaf of TEST_LEAF_NAMES) {
      for (const suffix of ['cert.der', 'cert.pem', 'key.der']) expect(statSync(join(dir, `${leaf}.${suffix}`)).isFile()).toBe(true)
      expect(statSync(join(dir, `${leaf}.key.der`)).mode & 0o777).toBe(0o600)
    }
    for (const file of ['root.pem', 'intermediate.pem', 'root.cert.der', 'intermediate.cert.der', 'crl.der', 'crl.pem']) {
      expect(statSync(join(dir, file)).isFile(), file).toBe(true)
    }
  })

  it('honours now and the revocation URLs given as options', async () => {
    const now = new Date('2024-03-01T12:00:00Z')
    const other = await createTestPki({ now, crlUrl: 'http://127.0.0.1:8080/ca.crl', ocspUrl: 'http://127.0.0.1:8081/' })
    const info = describeCertificate(other.leaf('signature-rsa2048').certificate)
    expect(info.crlDistributionPoints).toEqual(['http://127.0.0.1:8080/ca.crl'])
    expect(info.ocspUrls).toEqual(['http://127.0.0.1:8081/'])
    expect(info.notBefore.getTime()).toBe(now.getTime() - 3_600_000)
    expect(describeCertificate(other.leaf('expired-rsa2048').certificate).notAfter.getTime()).toBeLessThan(now.getTime())
    expect(other.now).toBe(now)
  })
})
