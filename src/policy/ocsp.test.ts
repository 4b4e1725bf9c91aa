import 'reflect-metadata'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { createTestPki, writeTestPki, type TestPki } from '../testing/pki.js'
import { startOcspResponder, type TestOcspMode, type TestOcspResponder, type TestOcspStatus } from '../testing/ocsp-responder.js'
import { describeCertificate } from '../x509/describe.js'
import { derToPem } from '../x509/pem.js'
import { postDer } from './http-fetch.js'
import { checkOcsp, OcspCache } from './ocsp.js'
import { buildOcspRequest } from './ocsp-request.js'
import { parseOcspResponse } from './ocsp-response.js'

const crypto = webcrypto
let pki: TestPki
let dir: string
let good: Uint8Array
let revoked: Uint8Array
let unknown: Uint8Array
let issuer: Uint8Array
let statuses: Map<string, TestOcspStatus>
let revokedAt: Date
const responders: Array<{ close(): Promise<void> }> = []

const serial = (der: Uint8Array): string => describeCertificate(der).serialNumber

async function responder(
  mode: TestOcspMode = 'normal',
  delegated?: { certificate: Uint8Array; privateKey: Uint8Array },
  responderId: 'name' | 'key' = 'name',
): Promise<TestOcspResponder> {
  const started = await startOcspResponder({
    issuer: pki.intermediate,
    statuses,
    mode,
    responderId,
    ...(delegated === undefined ? {} : { responder: delegated }),
  })
  responders.push(started)
  return started
}

/** A delegated responder certificate issued by the test intermediate, with or without id-kp-OCSPSigning. */
async function delegatedResponder(withEku: boolean): Promise<{ certificate: Uint8Array; privateKey: Uint8Array }> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair
  const caKey = await crypto.subtle.importKey(
    'pkcs8',
    new Uint8Array(pki.intermediate.privateKey),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const ca = new x509.X509Certificate(new Uint8Array(pki.intermediate.certificate))
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: withEku ? '0a01' : '0a02',
      subject: `CN=sceau Test OCSP responder ${withEku ? 'EKU' : 'no EKU'}, O=sceau TEST, C=FR`,
      issuer: ca.subjectName,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...(withEku
          ? [
              new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.9']),
              new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([5, 0])),
            ]
          : []),
      ],
    },
    // Not node:crypto's webcrypto: @types/node's and @peculiar/x509's Crypto types disagree on Ed25519 overloads;
    // without the argument @peculiar/x509 uses globalThis.crypto, the same object at run time.
  )
  return { certificate: new Uint8Array(cert.rawData), privateKey: new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)) }
}

/** A server that accepts the request and never answers, or answers with `body`. */
async function rawServer(body?: Uint8Array): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume()
    if (body !== undefined) req.on('end', () => res.end(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  responders.push({
    close: () => {
      // The silent server holds its sockets open; close() alone would wait for them for ever.
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }
}

beforeAll(async () => {
  pki = await createTestPki()
  dir = mkdtempSync(join(tmpdir(), 'sceau-ocsp-'))
  await writeTestPki(pki, dir)
  good = pki.leaf('signature-rsa2048').certificate
  revoked = pki.leaf('revoked-rsa2048').certificate
  unknown = pki.leaf('signature-ec-p256').certificate
  issuer = pki.intermediate.certificate
  revokedAt = new Date(Math.floor(pki.now.getTime() / 1000) * 1000 - 1_800_000)
  statuses = new Map<string, TestOcspStatus>([
    [serial(good), 'good'],
    [serial(revoked), { revokedAt, reason: 1 }],
  ])
})

afterAll(async () => {
  await Promise.all(responders.map((started) => started.close()))
  rmSync(dir, { recursive: true, force: true })
})

describe('checkOcsp against the test responder', () => {
  it('passes a good certificate, with the nonce echoed and the DER kept', async () => {
    const { url } = await responder()
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'pass', nonce: 'echoed', responder: { kind: 'issuer', noCheck: false } })
    expect(parseOcspResponse(result.response ?? new Uint8Array()).status).toBe('successful')
    expect(result.nextUpdate?.getTime()).toBeGreaterThan(Date.now())
  })

  it('fails a revoked certificate with its time and reason', async () => {
    const { url } = await responder()
    const result = await checkOcsp(revoked, issuer, { at: new Date(), url })
    expect(result.status).toBe('fail')
    expect(result.revocationReason).toBe('keyCompromise')
    expect(result.revocationTime?.toISOString()).toBe(revokedAt.toISOString())
    expect(result.reason).toMatch(/revoked on .*keyCompromise/)
  })

  it('is indeterminate for a certificate the responder does not know', async () => {
    const { url } = await responder()
    const result = await checkOcsp(unknown, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/does not know/) })
  })

  it('is indeterminate when the signature does not verify (the response is unusable, not a revocation)', async () => {
    const { url } = await responder('bad-signature')
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/signature does not verify/) })
  })

  it('is indeterminate for a stale response', async () => {
    const { url } = await responder('stale')
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/^stale OCSP response/) })
  })

  it('is indeterminate when a fresh response is checked at a time before its thisUpdate', async () => {
    const { url } = await responder()
    const result = await checkOcsp(good, issuer, { at: new Date(Date.now() - 86_400_000), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/^stale OCSP response/) })
  })

  it('refuses a response with another nonce, and accepts a fresh one without a nonce', async () => {
    const wrong = await checkOcsp(good, issuer, { at: new Date(), url: (await responder('wrong-nonce')).url })
    expect(wrong).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/different nonce/) })
    const ignored = await checkOcsp(good, issuer, { at: new Date(), url: (await responder('no-nonce')).url })
    expect(ignored).toMatchObject({ status: 'pass', nonce: 'ignored' })
  })

  it('is indeterminate when the responder says tryLater', async () => {
    const { url } = await responder('try-later')
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/tryLater/) })
  })

  it('accepts a delegated responder with id-kp-OCSPSigning issued by the CA', async () => {
    const { url } = await responder('normal', await delegatedResponder(true))
    const result = await checkOcsp(revoked, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'fail', revocationReason: 'keyCompromise', responder: { kind: 'delegated', noCheck: true } })
  })

  it('finds the signer named by key hash, for the CA and for a delegated responder', async () => {
    const byCa = await checkOcsp(good, issuer, { at: new Date(), url: (await responder('normal', undefined, 'key')).url })
    expect(byCa).toMatchObject({ status: 'pass', responder: { kind: 'issuer' } })
    const byDelegate = await checkOcsp(good, issuer, {
      at: new Date(),
      url: (await responder('normal', await delegatedResponder(true), 'key')).url,
    })
    expect(byDelegate).toMatchObject({ status: 'pass', responder: { kind: 'delegated' } })
  })

  it('refuses a delegated responder without id-kp-OCSPSigning', async () => {
    const { url } = await responder('normal', await delegatedResponder(false))
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/lacks the OCSPSigning.*not authorised/) })
  })

  it('refuses a response signed for another CA', async () => {
    const { url } = await responder()
    const result = await checkOcsp(pki.intermediate.certificate, pki.root.certificate, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/signed by neither/) })
  })

  it('asks the AIA OCSP URL of the certificate by default', async () => {
    const { url } = await responder()
    const asked: string[] = []
    const result = await checkOcsp(good, issuer, {
      at: new Date(),
      fetch: (target, body) => {
        asked.push(target)
        return postDer(url, body, { contentType: 'application/ocsp-request' })
      },
    })
    expect(asked).toEqual([pki.urls.ocsp])
    expect(result.status).toBe('pass')
  })

  it('judges a response at hand without any network', async () => {
    const { url } = await responder()
    const first = await checkOcsp(good, issuer, { at: new Date(), url })
    const result = await checkOcsp(good, issuer, {
      at: new Date(),
      response: first.response,
      fetch: () => Promise.reject(new Error('no network expected')),
    })
    expect(result).toMatchObject({ status: 'pass', nonce: 'not-sent' })
  })

  it('answers a second check from the cache', async () => {
    const started = await responder()
    const cache = new OcspCache()
    const first = await checkOcsp(good, issuer, { at: new Date(), url: started.url, cache })
    const second = await checkOcsp(good, issuer, { at: new Date(), url: started.url, cache })
    expect([first.status, second.status, started.requests, cache.size]).toEqual(['pass', 'pass', 1, 1])
    // After nextUpdate the cached response is dropped and the responder asked again.
    await checkOcsp(good, issuer, { at: new Date(Date.now() + 2 * 3_600_000), url: started.url, cache })
    expect(started.requests).toBe(2)
  })
})

describe('checkOcsp over a failing network', () => {
  it('is indeterminate within the timeout when the server never answers', async () => {
    const { url } = await rawServer()
    const started = Date.now()
    const result = await checkOcsp(good, issuer, {
      at: new Date(),
      url,
      fetch: (target, body) => postDer(target, body, { contentType: 'application/ocsp-request', timeoutMs: 500 }),
    })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/within 500 ms/) })
  })

  it('is indeterminate when the answer is over 1 MiB', async () => {
    const { url } = await rawServer(new Uint8Array(1024 * 1024 + 1))
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/exceeds 1048576 bytes/) })
  })

  it('is indeterminate when nothing listens', async () => {
    const { url, server } = await rawServer()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const result = await checkOcsp(good, issuer, { at: new Date(), url })
    expect(result).toMatchObject({ status: 'indeterminate', reason: expect.stringMatching(/unreachable/) })
  })
})

describe('parseOcspResponse and buildOcspRequest', () => {
  it('refuses over 1 MiB and garbage with codes', () => {
    expect(() => parseOcspResponse(new Uint8Array(1024 * 1024 + 1))).toThrow(expect.objectContaining({ code: 'INPUT_TOO_LARGE' }))
    let caught: unknown
    try {
      parseOcspResponse(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))
    } catch (err) {
      caught = err
    }
    expect(isSceauError(caught, 'INPUT_MALFORMED')).toBe(true)
    expect(() => buildOcspRequest(good, issuer, { nonce: new Uint8Array(33) })).toThrow(
      expect.objectContaining({ code: 'INPUT_MALFORMED' }),
    )
  })

  it('decodes a successful response', async () => {
    const { url } = await responder()
    const der = await postDer(url, buildOcspRequest(revoked, issuer), { contentType: 'application/ocsp-request' })
    const parsed = parseOcspResponse(der)
    const single = parsed.basic?.responses[0]
    expect(parsed.status).toBe('successful')
    expect(Buffer.from(single?.certId.serialNumber ?? []).toString('hex')).toBe(serial(revoked))
    expect(single?.status).toEqual({ type: 'revoked', revocationTime: revokedAt, reason: 'keyCompromise' })
    expect(parsed.basic?.nonce).toBeUndefined()
    expect(parsed.basic?.certificates).toEqual([])
  })
})

describe('interoperability with openssl ocsp', () => {
  it('openssl parses our request, with its SHA-1 CertID, serial and nonce', () => {
    const nonce = new Uint8Array(16).fill(0xab)
    const file = join(dir, 'request.der')
    writeFileSync(file, buildOcspRequest(good, issuer, { nonce }))
    const text = execFileSync('openssl', ['ocsp', '-reqin', file, '-req_text'], { encoding: 'utf8' })
    expect(text).toMatch(/Hash Algorithm: sha1/)
    expect(text).toContain(`Serial Number: ${serial(good).toUpperCase()}`)
    expect(text).toMatch(/OCSP Nonce:\s*\n\s*0410ABABABAB/)
    writeFileSync(file, buildOcspRequest(good, issuer, { hash: 'SHA-256' }))
    expect(execFileSync('openssl', ['ocsp', '-reqin', file, '-req_text'], { encoding: 'utf8' })).toMatch(/Hash Algorithm: sha256/)
  })

  it('openssl asks our responder, parses and verifies the answer', async () => {
    const { url } = await responder()
    // Asynchronous: the responder runs on this process's event loop, which execFileSync would block.
    const ask = (leaf: string): Promise<{ stdout: string; stderr: string }> =>
      promisify(execFile)('openssl', [
        'ocsp',
        '-issuer',
        join(dir, 'intermediate.pem'),
        '-cert',
        join(dir, `${leaf}.cert.pem`),
        '-url',
        url,
        '-resp_text',
        '-CAfile',
        join(dir, 'root.pem'),
      ])
    const goodAnswer = await ask('signature-rsa2048')
    expect(goodAnswer.stdout).toMatch(/Cert Status: good/)
    expect(goodAnswer.stdout).toMatch(/signature-rsa2048.cert.pem: good/)
    expect(goodAnswer.stderr).toMatch(/Response verify OK/)
    const revokedAnswer = await ask('revoked-rsa2048')
    expect(revokedAnswer.stdout).toMatch(/Revocation Reason: keyCompromise/)
    expect(revokedAnswer.stdout).toMatch(/revoked-rsa2048.cert.pem: revoked/)
  })

  it('reads an answer openssl ocsp gives about 2,000 certificates at once, past asn1js’s default 10,000-element cap', () => {
    writeFileSync(join(dir, 'intermediate.key'), derToPem(pki.intermediate.privateKey, 'PRIVATE KEY'), { mode: 0o600 })
    const serials = Array.from({ length: 2000 }, (_, index) => (0x20000000 + index).toString(16))
    serials.push(serial(good), serial(revoked))
    const expiry = '491231000000Z'
    const index = serials.map((hex) =>
      hex === serial(revoked)
        ? `R\t${expiry}\t250101000000Z,keyCompromise\t${hex.toUpperCase()}\tunknown\t/CN=${hex}`
        : `V\t${expiry}\t\t${hex.toUpperCase()}\tunknown\t/CN=${hex}`,
    )
    writeFileSync(join(dir, 'index.txt'), `${index.join('\n')}\n`)
    const request = join(dir, 'many.req')
    const response = join(dir, 'many.resp')
    execFileSync(
      'openssl',
      [
        'ocsp',
        '-issuer',
        join(dir, 'intermediate.pem'),
        ...serials.flatMap((hex) => ['-serial', `0x${hex}`]),
        '-no_nonce',
        '-reqout',
        request,
      ],
      {
        stdio: 'ignore',
      },
    )
    execFileSync(
      'openssl',
      [
        'ocsp',
        '-index',
        join(dir, 'index.txt'),
        '-CA',
        join(dir, 'intermediate.pem'),
        '-rsigner',
        join(dir, 'intermediate.pem'),
        '-rkey',
        join(dir, 'intermediate.key'),
        '-reqin',
        request,
        '-respout',
        response,
        '-ndays',
        '7',
      ],
      { stdio: 'ignore' },
    )
    const der = new Uint8Array(readFileSync(response))
    expect(der.length).toBeGreaterThan(200_000)
    const parsed = parseOcspResponse(der)
    expect(parsed.basic?.responses).toHaveLength(2002)
    return Promise.all([
      expect(checkOcsp(good, issuer, { at: new Date(), response: der })).resolves.toMatchObject({ status: 'pass' }),
      expect(checkOcsp(revoked, issuer, { at: new Date(), response: der })).resolves.toMatchObject({
        status: 'fail',
        revocationReason: 'keyCompromise',
      }),
    ])
  })
})
