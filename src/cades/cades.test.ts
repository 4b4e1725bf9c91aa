import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCms } from '../cms/parse.js'
import { isSceauError } from '../errors.js'
import { hashFile } from '../signer/hash-file.js'
import { KeySigner } from '../signer/key-signer.js'
import { opensslCmsVerify, type OpensslCmsVerdict } from '../testing/openssl-cms.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testSigner, testTrust } from '../testing/signers.js'
import { startPkiTsa, type TestTsa } from '../testing/tsa.js'
import { describeCertificate } from '../x509/describe.js'
import { derToPem } from '../x509/pem.js'
import { cosignCades, counterSignCades } from './cosign.js'
import { readEnvelopedFile } from './enveloped.js'
import { extendCadesToLt } from './extend-lt.js'
import { signCadesEnvelopingFile, signCadesFile } from './sign-cades.js'
import { verifyCades, type VerifyCadesOptions } from './verify-cades.js'

let pki: TestPki
let rsa: KeySigner
let ec: KeySigner
let tsa: TestTsa
let dir: string
let trust: VerifyCadesOptions
let content: string

beforeAll(async () => {
  pki = await createTestPki()
  rsa = testSigner(pki)
  ec = testSigner(pki, 'signature-ec-p256')
  tsa = await startPkiTsa(pki)
  dir = mkdtempSync(join(tmpdir(), 'sceau-cades-unit-'))
  writeFileSync(join(dir, 'bundle.pem'), derToPem(pki.root.certificate) + derToPem(pki.intermediate.certificate))
  content = join(dir, 'offre.zip')
  writeFileSync(content, randomBytes(300_000))
  trust = testTrust(pki)
})

afterAll(async () => {
  await tsa.close()
  rmSync(dir, { recursive: true, force: true })
})

const write = (name: string, bytes: Uint8Array): string => {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

/** What OpenSSL's cms says of a signature: verified or not, and the signer certificates it found. */
function openssl(signature: string, detachedContent?: string): OpensslCmsVerdict {
  return opensslCmsVerify(signature, { caFile: join(dir, 'bundle.pem'), workDir: dir, content: detachedContent })
}

describe('CAdES co-signature and counter-signature', () => {
  it('co-signs a .p7s: two parallel signers, openssl verifies both, sceau reports both', async () => {
    const first = write('cosign.p7s', await signCadesFile(content, rsa, { commitmentType: 'origin' }))
    const hashed: string[] = []
    const cosigned = await cosignCades(
      readFileSync(first),
      (hash) => {
        hashed.push(hash)
        return hashFile(content, hash)
      },
      ec,
      { commitmentType: 'approval' },
    )
    // The first signer's digest is checked and the second signer signs with the same SHA-256: one read of the file.
    expect(hashed).toEqual(['SHA-256'])
    const path = write('cosigned.p7s', cosigned)
    expect(openssl(path, content)).toMatchObject({ ok: true, signers: 2 })
    const report = await verifyCades(path, { ...trust, content })
    expect(report.indication).toBe('TOTAL_PASSED')
    // In signing order: the first signer first.
    expect(report.signatures.map((signature) => signature.commitmentType)).toEqual(['origin', 'approval'])
    expect(new Set(report.signatures.map((signature) => signature.signer?.subject)).size).toBe(2)
    // The first signer's SignerInfo is kept byte for byte.
    const before = parseCms(readFileSync(first)).signer.der
    expect(parseCms(cosigned).signers.some((signer) => Buffer.compare(signer.der, before) === 0)).toBe(true)
  })

  it('refuses to co-sign the signature of another file (CONTENT_MISMATCH) and writes nothing', async () => {
    const other = write('other.bin', randomBytes(1000))
    const p7s = await signCadesFile(other, rsa)
    const error = await cosignCades(p7s, (hash) => hashFile(content, hash), ec).catch((err: unknown) => err)
    expect(isSceauError(error) && error.code).toBe('CONTENT_MISMATCH')
  })

  it('counter-signs the last signer: sceau checks the counter-signature; changing it fails only it', async () => {
    const p7s = await signCadesFile(content, rsa)
    const countersigned = await counterSignCades(p7s, ec)
    const path = write('countersigned.p7s', countersigned)
    expect(openssl(path, content).ok).toBe(true)
    const report = await verifyCades(path, { ...trust, content })
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.signatures).toHaveLength(1)
    expect(report.signatures[0]?.counterSignatures).toHaveLength(1)
    expect(report.signatures[0]?.counterSignatures[0]).toMatchObject({ indication: 'TOTAL_PASSED' })
    expect(report.signatures[0]?.counterSignatures[0]?.signer?.subject).toBe(describeCertificate(ec.certificate).subject)
    // A counter-signature made over another signature value does not verify here (RSA: same lengths, swappable).
    const signingTime = new Date()
    const mine = await counterSignCades(p7s, rsa, { signingTime })
    const elsewhere = write('elsewhere.bin', randomBytes(100))
    const other = parseCms(await counterSignCades(await signCadesFile(elsewhere, rsa), rsa, { signingTime }))
    const forged = write('forged.p7s', swapCounterSignature(mine, other))
    const forgedReport = await verifyCades(forged, { ...trust, content })
    expect(forgedReport.signatures[0]?.indication).toBe('TOTAL_PASSED')
    expect(forgedReport.signatures[0]?.counterSignatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    expect(forgedReport.indication).toBe('TOTAL_FAILED')
  })
})

describe('CAdES enveloping (.p7m)', () => {
  it('writes the content inside, streamed; openssl extracts the same bytes; sceau verifies it', async () => {
    const p7m = join(dir, 'offre.zip.p7m')
    await signCadesEnvelopingFile(content, p7m, rsa, { timestamp: { url: tsa.url } })
    const judged = openssl(p7m)
    expect(judged.ok).toBe(true)
    expect(Buffer.compare(judged.content ?? Buffer.alloc(0), readFileSync(content))).toBe(0)
    const report = await verifyCades(p7m, trust)
    expect(report).toMatchObject({ packaging: 'enveloping', indication: 'TOTAL_PASSED', contentLength: 300_000 })
    expect(report.signatures[0]).toMatchObject({ level: 'B-T' })
  })

  it('a changed byte of the enveloped content fails openssl and sceau (HASH_FAILURE)', async () => {
    const p7m = join(dir, 'tampered.p7m')
    await signCadesEnvelopingFile(content, p7m, ec)
    const bytes = readFileSync(p7m)
    const located = await readEnvelopedFile(p7m)
    const start = located !== undefined && 'path' in located.content ? (located.content.start ?? 0) : 0
    bytes[start + 1000] = (bytes[start + 1000] ?? 0) ^ 1
    writeFileSync(p7m, bytes)
    expect(openssl(p7m).ok).toBe(false)
    expect((await verifyCades(p7m, trust)).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
  })

  it('reads a BER .p7m made by openssl -stream (indefinite lengths)', async () => {
    const leaf = pki.leaf('signature-rsa2048')
    const key = write('key.der', leaf.privateKey)
    const cert = write('cert.pem', new TextEncoder().encode(derToPem(leaf.certificate)))
    const p7m = join(dir, 'openssl.p7m')
    const made = spawnSync('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-stream',
      '-outform',
      'DER',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-keyform',
      'DER',
      '-out',
      p7m,
      '-cades',
    ])
    expect(made.status, made.stderr.toString()).toBe(0)
    const report = await verifyCades(p7m, { ...trust, intermediates: [pki.intermediate.certificate] })
    expect(report).toMatchObject({ packaging: 'enveloping', indication: 'TOTAL_PASSED', contentLength: 300_000 })
  })
})

describe('CAdES B-LT', () => {
  it('adds the chains and CRLs of the signer and of the TSA; verifies offline with nothing else given', async () => {
    const p7s = await signCadesFile(content, rsa, { timestamp: { url: tsa.url } })
    const { der, missing } = await extendCadesToLt(p7s, {
      trustedCertificates: [pki.root.certificate],
      crls: [pki.crl, pki.rootCrl],
      fetch: false,
    })
    expect(missing).toEqual([])
    const cms = parseCms(der)
    expect(cms.crls.length).toBeGreaterThanOrEqual(1)
    const path = write('lt.p7s', der)
    expect(openssl(path, content).ok).toBe(true)
    const report = await verifyCades(path, { anchors: [pki.root.certificate], revocation: { fetchCrls: false }, at: trust.at, content })
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.signatures[0]).toMatchObject({ level: 'B-LT' })
  })

  it('refuses a signature without time-stamp', async () => {
    const error = await extendCadesToLt(await signCadesFile(content, rsa), {}).catch((err: unknown) => err)
    expect(isSceauError(error) && error.code).toBe('USAGE')
  })
})

describe('CAdES-EPES', () => {
  it('writes and reports the signature policy', async () => {
    const hash = new Uint8Array(32).fill(7)
    const p7s = await signCadesFile(content, rsa, {
      signaturePolicy: { oid: '1.2.250.1.131.1.5.18.21.1.7', hashAlgorithm: 'SHA-256', hash, uri: 'https://example.fr/ps.pdf' },
    })
    const path = write('epes.p7s', p7s)
    expect(openssl(path, content).ok).toBe(true)
    const report = await verifyCades(path, { ...trust, content })
    expect(report.signatures[0]?.policy).toEqual({
      oid: '1.2.250.1.131.1.5.18.21.1.7',
      hashAlgorithm: 'SHA-256',
      hash: Buffer.from(hash).toString('base64'),
      uri: 'https://example.fr/ps.pdf',
    })
  })
})

/** `countersigned` with its counter-signature replaced by `other`'s (made over another signature value). */
function swapCounterSignature(countersigned: Uint8Array, other: ReturnType<typeof parseCms>): Uint8Array {
  const mine = parseCms(countersigned).signer.counterSignatures[0]?.der
  const theirs = other.signer.counterSignatures[0]?.der
  if (mine === undefined || theirs === undefined || mine.length !== theirs.length) throw new Error('counter-signatures differ in length')
  const bytes = Buffer.from(countersigned)
  const at = bytes.indexOf(Buffer.from(mine))
  Buffer.from(theirs).copy(bytes, at)
  return bytes
}
