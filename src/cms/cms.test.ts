import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SceauError } from '../errors.js'
import { digest } from '../signer/digest-info.js'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import type { SignatureAlgorithm } from '../types.js'
import { derToPem } from '../x509/pem.js'
import { addUnsignedAttribute, CMS_OIDS, MAX_CMS_LENGTH, parseCms, signCms, verifyCms, type CmsVerification } from './index.js'

let pki: TestPki
let dir: string

beforeAll(async () => {
  pki = await createTestPki()
  dir = mkdtempSync(join(tmpdir(), 'sceau-cms-'))
  writeFileSync(join(dir, 'bundle.pem'), pki.toPemBundle())
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

function signerFor(leaf: string): KeySigner {
  const credential = pki.leaf(leaf)
  return KeySigner.fromPkcs8({ key: credential.privateKey, certificate: credential.certificate, chain: [pki.intermediate.certificate] })
}

/** Exit status of `openssl cms -verify` on a detached signature, and its stderr for a failing test's message. */
function opensslVerify(name: string, cms: Uint8Array, content: Uint8Array): { status: number | null; stderr: string } {
  const sig = join(dir, `${name}.der`)
  const data = join(dir, `${name}.bin`)
  writeFileSync(sig, cms)
  writeFileSync(data, content)
  // -cades makes OpenSSL check the signing-certificate-v2 attribute against the signer certificate as well.
  const args = ['cms', '-verify', '-cades', '-binary', '-inform', 'DER', '-in', sig, '-content', data]
  const result = spawnSync('openssl', [...args, '-CAfile', join(dir, 'bundle.pem'), '-purpose', 'any', '-out', '/dev/null'])
  return { status: result.status, stderr: result.stderr.toString() }
}

function statuses(verification: CmsVerification): Record<string, string> {
  return Object.fromEntries(verification.checks.map((check) => [check.id, check.status]))
}

const ALL_PASS = { 'message-digest': 'pass', signature: 'pass', 'signing-certificate': 'pass', 'content-type': 'pass' }

describe('signCms', () => {
  const cases: [string, SignatureAlgorithm][] = [
    ['signature-rsa2048', 'RSASSA-PKCS1-v1_5-SHA256'],
    ['signature-rsa2048', 'RSASSA-PSS-SHA256'],
    ['signature-ec-p256', 'ECDSA-SHA256'],
    ['signature-rsa2048', 'RSASSA-PKCS1-v1_5-SHA512'],
    ['signature-ec-p256', 'ECDSA-SHA384'],
  ]

  it.each(cases)('%s with %s verifies with openssl cms and fails after tampering', async (leaf, algorithm) => {
    const signer = signerFor(leaf)
    const content = randomBytes(4096)
    const hash = algorithm.endsWith('512') ? 'SHA-512' : algorithm.endsWith('384') ? 'SHA-384' : 'SHA-256'
    const { der, signatureValue } = await signCms({ signer, algorithm, contentDigest: digest(hash, content) })

    const good = opensslVerify(algorithm, der, content)
    expect(good.stderr).toContain('Verification successful')
    expect(good.status).toBe(0)
    expect(statuses(verifyCms(der, { content }))).toEqual(ALL_PASS)
    expect(verifyCms(der, { content }).signerCertificate).toEqual(signer.certificate)
    expect(parseCms(der).signer.signatureValue).toEqual(signatureValue)

    const tampered = Uint8Array.from(content)
    tampered[100] = (tampered[100] ?? 0) ^ 0x01
    expect(opensslVerify(`${algorithm}-tampered`, der, tampered).status).not.toBe(0)
    expect(statuses(verifyCms(der, { content: tampered }))).toEqual({ ...ALL_PASS, 'message-digest': 'fail' })
  })

  it('writes the CMS structure PAdES asks for', async () => {
    const signer = signerFor('signature-rsa2048')
    const content = randomBytes(64)
    const { der } = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', content) })
    const cms = parseCms(der)
    expect(cms.contentType).toBe(CMS_OIDS.data)
    expect(cms.content).toBeUndefined()
    expect(cms.certificates).toHaveLength(2)
    expect(cms.certificates).toContainEqual(signer.certificate)
    expect(cms.signer.digestAlgorithm).toBe('SHA-256')
    // rsaEncryption, as Adobe and pdfsig expect for PKCS#1 v1.5.
    expect(cms.signer.signatureAlgorithm).toEqual({ scheme: 'RSASSA-PKCS1-v1_5', oid: '1.2.840.113549.1.1.1' })
    expect(cms.signer.attributes.messageDigest).toEqual(digest('SHA-256', content))
    expect(cms.signer.attributes.signingTime).toBeUndefined()
    expect(cms.signer.signedAttributes.map((attribute) => attribute.oid).sort()).toEqual(
      [CMS_OIDS.contentType, CMS_OIDS.messageDigest, CMS_OIDS.signingCertificateV2].sort(),
    )
    expect(cms.signer.attributes.signingCertificates.map((reference) => [reference.version, reference.hash])).toEqual([[2, 'SHA-256']])
    expect(cms.signer.unsignedAttributes).toEqual([])
  })

  it('reads PSS parameters back as written', async () => {
    const signer = signerFor('signature-rsa2048')
    const { der } = await signCms({ signer, algorithm: 'RSASSA-PSS-SHA384', contentDigest: digest('SHA-384', randomBytes(10)) })
    expect(parseCms(der).signer.signatureAlgorithm).toEqual({
      scheme: 'RSASSA-PSS',
      hash: 'SHA-384',
      mgf1Hash: 'SHA-384',
      saltLength: 48,
      oid: '1.2.840.113549.1.1.10',
    })
  })

  it('refuses a digest algorithm that differs from the signature hash', async () => {
    const signer = signerFor('signature-rsa2048')
    await expect(
      signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', hash: 'SHA-384', contentDigest: digest('SHA-384', randomBytes(10)) }),
    ).rejects.toMatchObject({ code: 'USAGE' })
  })
})

describe('verifyCms', () => {
  it('fails signing-certificate-v2 when certHash names another certificate', async () => {
    const signer = signerFor('signature-rsa2048')
    const content = randomBytes(100)
    const { der } = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', content) })
    const certHash = Buffer.from(digest('SHA-256', signer.certificate))
    const at = Buffer.from(der).indexOf(certHash)
    expect(at).toBeGreaterThan(0)
    const altered = Uint8Array.from(der)
    altered[at] = (altered[at] ?? 0) ^ 0x01
    // The attribute is signed, so the signature breaks too; the point is that the binding is reported on its own.
    expect(statuses(verifyCms(altered, { content }))).toEqual({ ...ALL_PASS, signature: 'fail', 'signing-certificate': 'indeterminate' })
  })
})

describe('addUnsignedAttribute', () => {
  it('appends a time-stamp token attribute and keeps the signature valid', async () => {
    const signer = signerFor('signature-ec-p256')
    const content = randomBytes(1000)
    const { der, signatureValue } = await signCms({ signer, algorithm: 'ECDSA-SHA256', contentDigest: digest('SHA-256', content) })
    // Any DER element will do for the structure; a real token comes from a TSA in the PAdES tests.
    const token = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07])
    const stamped = addUnsignedAttribute(der, CMS_OIDS.signatureTimeStampToken, token)
    const cms = parseCms(stamped)
    expect(cms.signer.unsignedAttributes).toEqual([{ oid: CMS_OIDS.signatureTimeStampToken, values: [token] }])
    expect(cms.signer.signatureValue).toEqual(signatureValue)
    expect(cms.signer.signedAttributesDer).toEqual(parseCms(der).signer.signedAttributesDer)
    expect(opensslVerify('stamped', stamped, content).status).toBe(0)

    const twice = parseCms(addUnsignedAttribute(stamped, '1.2.3.4', new Uint8Array([0x05, 0x00])))
    expect(twice.signer.unsignedAttributes.map((attribute) => attribute.oid).sort()).toEqual(['1.2.3.4', CMS_OIDS.signatureTimeStampToken])
  })

  it('ignores the zero padding a PDF puts after the CMS', async () => {
    const signer = signerFor('signature-rsa2048')
    const content = randomBytes(10)
    const { der } = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', content) })
    const padded = new Uint8Array(der.length + 500)
    padded.set(der)
    expect(statuses(verifyCms(padded, { content }))).toEqual(ALL_PASS)
    expect(addUnsignedAttribute(padded, '1.2.3.4', new Uint8Array([0x05, 0x00])).length).toBeLessThan(padded.length)
  })
})

describe('parseCms', () => {
  it('refuses what is not CMS', () => {
    expect(() => parseCms(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toThrow(SceauError)
    expect(() => parseCms(randomBytes(200))).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED' }))
    expect(() => parseCms(new Uint8Array(MAX_CMS_LENGTH + 1))).toThrow(expect.objectContaining({ code: 'INPUT_TOO_LARGE' }))
  })
})

describe('verifyCms on signatures made by OpenSSL', () => {
  function opensslSign(name: string, extra: string[]): { der: Uint8Array; content: Uint8Array } {
    const leaf = pki.leaf('signature-rsa2048')
    const content = randomBytes(2048)
    const files = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`), data: join(dir, `${name}.bin`) }
    writeFileSync(files.cert, derToPem(leaf.certificate))
    writeFileSync(files.key, derToPem(leaf.privateKey, 'PRIVATE KEY'))
    writeFileSync(files.data, content)
    const out = join(dir, `${name}.der`)
    const args = ['cms', '-sign', '-binary', '-outform', 'DER', '-md', 'sha256', '-nosmimecap', ...extra]
    const result = spawnSync('openssl', [...args, '-signer', files.cert, '-inkey', files.key, '-in', files.data, '-out', out])
    expect(result.stderr.toString()).toBe('')
    expect(result.status).toBe(0)
    return { der: new Uint8Array(readFileSync(out)), content }
  }

  it('verifies a plain OpenSSL signature and reports the missing signing-certificate-v2', () => {
    const { der, content } = opensslSign('openssl-plain', [])
    const verification = verifyCms(der, { contentDigest: digest('SHA-256', content) })
    expect(statuses(verification)).toEqual({ ...ALL_PASS, 'signing-certificate': 'indeterminate' })
    expect(verification.cms.signer.attributes.signingTime).toBeInstanceOf(Date)
  })

  it('verifies an OpenSSL -cades signature with its signing-certificate-v2', () => {
    const { der, content } = opensslSign('openssl-cades', ['-cades'])
    const verification = verifyCms(der, { content })
    expect(statuses(verification)).toEqual(ALL_PASS)
    expect(verification.signerCertificate).toEqual(pki.leaf('signature-rsa2048').certificate)
    const tampered = Uint8Array.from(content)
    tampered[0] = (tampered[0] ?? 0) ^ 0x80
    expect(statuses(verifyCms(der, { content: tampered }))['message-digest']).toBe('fail')
  })
})
