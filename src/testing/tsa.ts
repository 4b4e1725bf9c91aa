/**
 * A time-stamping authority (RFC 3161) for tests: it answers POSTed time-stamp queries on 127.0.0.1 by running
 * `openssl ts -reply`, so that sceau's tokens are made by an implementation other than its own, and it can
 * misbehave on purpose (a token for another imprint, a rejection, no answer) so that the client's refusals can
 * be tested against real HTTP.
 *
 * @packageDocumentation
 */

import { execFile } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { SceauError } from '../errors.js'
import { derToPem } from '../x509/pem.js'
import type { TestPki } from './pki.js'

/** How the authority behaves. */
export type TestTsaMode = 'ok' | 'wrong-imprint' | 'status-rejection' | 'slow'

/** The policy the test authority stamps under by default, under the ISO/ITU-T "example" arc as the test PKI's. */
export const TEST_TSA_POLICY = '2.999.250.1.1.3.1'

/** Options of {@link startTestTsa}. */
export interface TestTsaOptions {
  /** The TSA certificate (with id-kp-timeStamping, critical, as `openssl ts` insists), PEM. */
  readonly certificatePem: string
  /** Its private key, PEM. */
  readonly keyPem?: string
  /** Its private key, PKCS#8 DER, when `keyPem` is not given. */
  readonly keyDer?: Uint8Array
  /** Certificates added to each token after the TSA's own (the issuing CA), PEM. */
  readonly chainPem?: string
  /** The TSA policy OID written in each TSTInfo. Default {@link TEST_TSA_POLICY}. */
  readonly policy?: string
  /**
   * How the token names its certificate: 'sha256' writes ESS signing-certificate-v2 (default), 'sha1' the
   * SHA-1 signing-certificate of RFC 3161 §2.4.1 that older TSAs still write.
   */
  readonly essCertIdAlg?: 'sha1' | 'sha256'
  /**
   * Default 'ok'. 'wrong-imprint' stamps another hash than the one asked (same nonce); 'status-rejection'
   * answers status rejection (2) with no token; 'slow' never answers until {@link TestTsa.close}.
   */
  readonly mode?: TestTsaMode
}

/** A running test authority. */
export interface TestTsa {
  /** `http://127.0.0.1:<port>/tsa`. */
  readonly url: string
  /** How many queries it has received. */
  readonly requests: number
  close(): Promise<void>
}

/**
 * Starts the authority on 127.0.0.1, on a port the system picks. Needs `openssl` on the PATH.
 *
 * @example
 * ```ts
 * const tsa = pki.leaf('tsa-rsa2048')
 * const chainPem = derToPem(pki.intermediate.certificate)
 * const server = await startTestTsa({ certificatePem: derToPem(tsa.certificate), keyDer: tsa.privateKey, chainPem })
 * const { token } = await requestTimestamp(server.url, { data: signatureValue })
 * await server.close()
 * ```
 */
export async function startTestTsa(options: TestTsaOptions): Promise<TestTsa> {
  const keyPem = options.keyPem ?? pemKey(options.keyDer)
  const mode = options.mode ?? 'ok'
  const dir = await mkdtemp(join(tmpdir(), 'sceau-tsa-'))
  const file = (name: string): string => join(dir, name)
  await writeFile(file('signer.pem'), options.certificatePem)
  await writeFile(file('key.pem'), keyPem, { mode: 0o600 })
  if (options.chainPem !== undefined) await writeFile(file('chain.pem'), options.chainPem)
  await writeFile(file('serial'), '01\n')
  await writeFile(file('openssl.cnf'), config(dir, options.policy ?? TEST_TSA_POLICY, options.essCertIdAlg ?? 'sha256'))

  let requests = 0
  let sequence = 0
  // openssl increments the serial file on each reply: one openssl at a time, or two tokens could share a serial.
  let queue: Promise<unknown> = Promise.resolve()
  const reply = (query: Uint8Array): Promise<Uint8Array> => {
    const run = queue.then(async () => {
      const name = `q${sequence++}`
      await writeFile(file(`${name}.tsq`), mode === 'wrong-imprint' ? otherImprint(query) : query)
      await openssl([
        'ts',
        '-reply',
        '-config',
        file('openssl.cnf'),
        '-queryfile',
        file(`${name}.tsq`),
        '-signer',
        file('signer.pem'),
        '-inkey',
        file('key.pem'),
        ...(options.chainPem === undefined ? [] : ['-chain', file('chain.pem')]),
        '-out',
        file(`${name}.tsr`),
      ])
      return new Uint8Array(await readFile(file(`${name}.tsr`)))
    })
    queue = run.catch(() => undefined)
    return run
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    requests++
    if (request.method !== 'POST' || request.headers['content-type'] !== 'application/timestamp-query') {
      response.writeHead(400).end()
      return
    }
    if (mode === 'slow') return
    const body = mode === 'status-rejection' ? rejection() : await reply(new Uint8Array(Buffer.concat(chunks)))
    response.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': body.length }).end(Buffer.from(body))
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    get requests() {
      return requests
    },
    async close() {
      // 'slow' holds its requests open: cut them, or close() would wait for the client to give up.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await queue
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function pemKey(der: Uint8Array | undefined): string {
  if (der === undefined) throw new SceauError('USAGE', 'startTestTsa needs keyPem or keyDer')
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString()
}

function config(dir: string, policy: string, essCertIdAlg: string): string {
  return [
    '[ tsa ]',
    'default_tsa = tsa_config',
    '[ tsa_config ]',
    `serial = ${join(dir, 'serial')}`,
    'crypto_device = builtin',
    'signer_digest = sha256',
    `default_policy = ${policy}`,
    'digests = sha256, sha384, sha512',
    'accuracy = secs:1',
    'ordering = no',
    'tsa_name = yes',
    'ess_cert_id_chain = no',
    // Anything but SHA-1 makes openssl write signing-certificate-v2, which PAdES verifiers look for.
    `ess_cert_id_alg = ${essCertIdAlg}`,
    '',
  ].join('\n')
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error === null) resolve()
      else reject(new Error(`openssl ${args[0] ?? ''} ${args[1] ?? ''} failed: ${stderr}`))
    })
  })
}

/** The query with the last byte of its hashedMessage flipped: the token then stamps a hash nobody asked for. */
function otherImprint(query: Uint8Array): Uint8Array {
  const request = pkijs.TimeStampReq.fromBER(new Uint8Array(query))
  const hashed = new Uint8Array(request.messageImprint.hashedMessage.valueBlock.valueHexView)
  hashed[hashed.length - 1] = (hashed.at(-1) ?? 0) ^ 0xff
  request.messageImprint.hashedMessage = new asn1js.OctetString({ valueHex: hashed })
  return new Uint8Array(request.toSchema().toBER())
}

/** TimeStampResp { status { rejection, "…", badRequest } }, with no token (RFC 3161 §2.4.2). */
function rejection(): Uint8Array {
  return new Uint8Array(
    new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [
            new asn1js.Integer({ value: 2 }),
            new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: 'rejected by the test TSA' })] }),
            // PKIFailureInfo badRequest (bit 2): BIT STRING with 5 unused bits, 0b00100000.
            new asn1js.BitString({ valueHex: new Uint8Array([0x20]), unusedBits: 5 }),
          ],
        }),
      ],
    }).toBER(),
  )
}

/**
 * The test PKI's own authority (leaf `tsa-rsa2048`, the intermediate added to each token unless `chain` is false)
 * started on 127.0.0.1.
 *
 * @example
 * ```ts
 * const tsa = await startPkiTsa(pki)
 * try { await signPdf(pdf, signer, { timestamp: { url: tsa.url } }) } finally { await tsa.close() }
 * ```
 */
export function startPkiTsa(
  pki: TestPki,
  options: Omit<TestTsaOptions, 'certificatePem' | 'keyPem' | 'keyDer' | 'chainPem'> & { readonly chain?: boolean } = {},
): Promise<TestTsa> {
  const { chain, ...rest } = options
  const leaf = pki.leaf('tsa-rsa2048')
  return startTestTsa({
    certificatePem: derToPem(leaf.certificate),
    keyDer: leaf.privateKey,
    ...(chain === false ? {} : { chainPem: derToPem(pki.intermediate.certificate) }),
    ...rest,
  })
}
