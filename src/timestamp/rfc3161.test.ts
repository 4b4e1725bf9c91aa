import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUnsignedAttribute, CMS_OIDS, parseCms, signCms } from '../cms/index.js'
import { isSceauError, SceauError } from '../errors.js'
import { postDer } from '../policy/http-fetch.js'
import { digest } from '../signer/digest-info.js'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { startPkiTsa, TEST_TSA_POLICY, type TestTsa, type TestTsaMode } from '../testing/tsa.js'
import { describeCertificate } from '../x509/describe.js'
import { derToPem } from '../x509/pem.js'
import { readTimestampToken, requestTimestamp, verifyTimestampToken } from '../timestamp/rfc3161.js'

let pki: TestPki
let dir: string
const servers: TestTsa[] = []

beforeAll(async () => {
  pki = await createTestPki()
  dir = mkdtempSync(join(tmpdir(), 'sceau-timestamp-'))
  writeFileSync(join(dir, 'bundle.pem'), pki.toPemBundle())
  writeFileSync(join(dir, 'tsa.pem'), derToPem(pki.leaf('tsa-rsa2048').certificate))
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

async function tsa(mode: TestTsaMode = 'ok', essCertIdAlg: 'sha1' | 'sha256' = 'sha256'): Promise<TestTsa> {
  const server = await startPkiTsa(pki, { mode, essCertIdAlg })
  servers.push(server)
  return server
}

/** `openssl ts -verify` of a bare token over the data; exit status and everything printed. */
function opensslTsVerify(name: string, token: Uint8Array, data: Uint8Array): { status: number | null; output: string } {
  writeFileSync(join(dir, `${name}.tst`), token)
  writeFileSync(join(dir, `${name}.bin`), data)
  const args = ['ts', '-verify', '-token_in', '-in', join(dir, `${name}.tst`), '-data', join(dir, `${name}.bin`)]
  const run = spawnSync('openssl', [...args, '-CAfile', join(dir, 'bundle.pem')], { encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

async function failure(promise: Promise<unknown>): Promise<SceauError> {
  try {
    await promise
  } catch (err) {
    if (isSceauError(err)) return err
    throw err
  }
  throw new Error('expected a SceauError')
}

describe('the tsa-rsa2048 leaf', () => {
  it('is a TSA certificate: digitalSignature, id-kp-timeStamping alone and critical, no QC statements', () => {
    const info = describeCertificate(pki.leaf('tsa-rsa2048').certificate)
    expect(info.keyUsage).toEqual(['digitalSignature'])
    expect(info.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.8'])
    expect(info.criticalExtensions).toContain('2.5.29.37')
    expect(info.qcStatements).toBeNull()
  })
})

describe('requestTimestamp', () => {
  it('gets a token openssl ts -verify accepts, stamped about now, that verifyTimestampToken passes', async () => {
    const server = await tsa()
    const data = randomBytes(256)
    const before = Date.now()
    const stamp = await requestTimestamp(server.url, { data })
    expect(server.requests).toBe(1)
    // The TSA writes whole seconds with an accuracy of one.
    expect(stamp.genTime.getTime()).toBeGreaterThanOrEqual(before - 2000)
    expect(stamp.genTime.getTime()).toBeLessThanOrEqual(Date.now() + 2000)
    expect(stamp.policy).toBe(TEST_TSA_POLICY)
    expect(stamp.serialNumber).toMatch(/^[0-9a-f]+$/)
    expect(stamp.tsaCertificate).toEqual(pki.leaf('tsa-rsa2048').certificate)

    const verified = opensslTsVerify('granted', stamp.token, data)
    expect(verified.output).toContain('Verification: OK')
    expect(verified.status).toBe(0)
    expect(verifyTimestampToken(stamp.token, data).map((check) => [check.id, check.status])).toEqual([
      ['message-imprint', 'pass'],
      ['content-type', 'pass'],
      ['message-digest', 'pass'],
      ['signature', 'pass'],
      ['signing-certificate', 'pass'],
      ['tsa-certificate', 'pass'],
    ])

    const other = Uint8Array.from(data)
    other[0] = (other[0] ?? 0) ^ 0x01
    expect(opensslTsVerify('other-data', stamp.token, other).status).not.toBe(0)
    expect(verifyTimestampToken(stamp.token, other).find((check) => check.id === 'message-imprint')?.status).toBe('fail')

    // The token has no unsigned attributes, so its last byte belongs to the SignerInfo's signature value.
    const tampered = Uint8Array.from(stamp.token)
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 0x01
    expect(opensslTsVerify('tampered', tampered, data).status).not.toBe(0)
    expect(verifyTimestampToken(tampered, data).find((check) => check.id === 'signature')?.status).toBe('fail')
  })

  it('refuses a replayed answer: the nonce is not the one asked', async () => {
    const server = await tsa()
    const data = randomBytes(32)
    let first: Uint8Array | undefined
    await requestTimestamp(server.url, {
      data,
      post: async (url, body, options) => (first = await postDer(url, body, options)),
    })
    const replayed = first
    if (replayed === undefined) throw new Error('the first answer was not captured')
    const err = await failure(requestTimestamp(server.url, { data, post: () => Promise.resolve(replayed) }))
    expect(err.code).toBe('TIMESTAMP_FAILED')
    expect(err.message).toContain('nonce')
  })

  it.each(['SHA-384', 'SHA-512'] as const)('stamps a %s imprint', async (hash) => {
    const data = randomBytes(64)
    const stamp = await requestTimestamp((await tsa()).url, { data, hash })
    expect(readTimestampToken(stamp.token).messageImprint).toEqual({ hash, digest: digest(hash, data) })
  })

  it('accepts a token that names its certificate by SHA-1 only (ESS signing-certificate v1)', async () => {
    const data = randomBytes(32)
    const stamp = await requestTimestamp((await tsa('ok', 'sha1')).url, { data })
    const token = parseCms(stamp.token)
    expect(token.signer.signedAttributes.map((attribute) => attribute.oid)).toContain(CMS_OIDS.signingCertificate)
    expect(token.signer.attributes.signingCertificates.map((reference) => reference.version)).toEqual([1])
    expect(verifyTimestampToken(stamp.token, data).find((check) => check.id === 'signing-certificate')).toMatchObject({
      status: 'pass',
      reason: expect.stringContaining('SHA-1') as unknown,
    })
  })

  it('refuses a token for another imprint', async () => {
    const err = await failure(requestTimestamp((await tsa('wrong-imprint')).url, { data: randomBytes(32) }))
    expect(err.code).toBe('TIMESTAMP_FAILED')
    expect(err.message).toContain('message-imprint')
    expect(err.message).toContain('imprint differs')
  })

  it('reports a rejection with its status and text', async () => {
    const server = await tsa('status-rejection')
    const err = await failure(requestTimestamp(server.url, { data: randomBytes(32) }))
    expect(err.code).toBe('TIMESTAMP_FAILED')
    expect(err.message).toContain('status 2 (rejection): rejected by the test TSA')
    expect(err.message).toContain(server.url)
    expect(err.details.url).toBe(server.url)
  })

  it('gives up on a silent authority after timeoutMs, naming it', async () => {
    const server = await tsa('slow')
    const started = Date.now()
    const err = await failure(requestTimestamp(server.url, { data: randomBytes(32), timeoutMs: 500 }))
    expect(Date.now() - started).toBeLessThan(1500)
    expect(err.code).toBe('TIMESTAMP_FAILED')
    expect(err.message).toContain(server.url)
    expect(err.message).toContain('500 ms')
  })

  it('refuses an answer that is not a TimeStampResp, through a custom post', async () => {
    const err = await failure(
      requestTimestamp('http://tsa.invalid/', { data: randomBytes(32), post: () => Promise.resolve(randomBytes(40)) }),
    )
    expect(err.code).toBe('TIMESTAMP_FAILED')
    expect(err.message).toContain('http://tsa.invalid/')
  })
})

describe('a B-T CMS', () => {
  it('keeps verifying with openssl cms once the token is added, and the token reads back', async () => {
    const leaf = pki.leaf('signature-rsa2048')
    const signer = KeySigner.fromPkcs8({ key: leaf.privateKey, certificate: leaf.certificate, chain: [pki.intermediate.certificate] })
    const content = randomBytes(2048)
    const cms = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', content) })
    const stamp = await requestTimestamp((await tsa()).url, { data: cms.signatureValue })
    const withToken = addUnsignedAttribute(cms.der, CMS_OIDS.signatureTimeStampToken, stamp.token)

    writeFileSync(join(dir, 'bt.der'), withToken)
    writeFileSync(join(dir, 'bt.bin'), content)
    const args = ['cms', '-verify', '-cades', '-binary', '-inform', 'DER', '-in', join(dir, 'bt.der'), '-content', join(dir, 'bt.bin')]
    const run = spawnSync('openssl', [...args, '-CAfile', join(dir, 'bundle.pem'), '-purpose', 'any', '-out', '/dev/null'], {
      encoding: 'utf8',
    })
    expect(run.stderr).toContain('Verification successful')
    expect(run.status).toBe(0)

    const attribute = parseCms(withToken).signer.unsignedAttributes.find((a) => a.oid === CMS_OIDS.signatureTimeStampToken)
    const token = attribute?.values[0]
    expect(token).toEqual(stamp.token)
    if (token === undefined) return
    expect(readTimestampToken(token)).toMatchObject({ genTime: stamp.genTime, serialNumber: stamp.serialNumber, policy: TEST_TSA_POLICY })
    expect(verifyTimestampToken(token, parseCms(withToken).signer.signatureValue).every((check) => check.status === 'pass')).toBe(true)
  })

  it('reads a bare CMS signature as no time-stamp token', async () => {
    const leaf = pki.leaf('signature-rsa2048')
    const signer = KeySigner.fromPkcs8({ key: leaf.privateKey, certificate: leaf.certificate })
    const cms = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest: digest('SHA-256', randomBytes(8)) })
    expect(() => readTimestampToken(cms.der)).toThrow(/not id-ct-TSTInfo/)
  })
})
