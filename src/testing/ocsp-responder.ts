/**
 * A small OCSP responder (RFC 6960) for tests: it answers POSTed requests on 127.0.0.1 from a table of
 * statuses, signed by the issuing CA or a delegated responder, and can misbehave on purpose (bad signature,
 * stale or nonce-less answers, tryLater) so that the checker's refusals can be tested against real HTTP.
 *
 * @packageDocumentation
 */

import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { SceauError } from '../errors.js'
import { certificateParts, certIdHashFromOid, OCSP_NONCE_OID } from '../policy/ocsp-request.js'

/** A status the responder gives for a serial number. */
export type TestOcspStatus = 'good' | 'unknown' | { readonly revokedAt: Date; readonly reason?: number }

/** How the responder behaves. */
export type TestOcspMode = 'normal' | 'bad-signature' | 'stale' | 'no-nonce' | 'wrong-nonce' | 'try-later'

/** Options of {@link startOcspResponder}. */
export interface TestOcspResponderOptions {
  /** The CA whose certificates the responder answers for (certificate DER, PKCS#8 key). */
  readonly issuer: { readonly certificate: Uint8Array; readonly privateKey: Uint8Array }
  /** A delegated responder that signs instead of the CA; its certificate is included in the responses. */
  readonly responder?: { readonly certificate: Uint8Array; readonly privateKey: Uint8Array }
  /** Status by serial number (lower-case hex, as `describeCertificate(...).serialNumber`); others are unknown. */
  readonly statuses: ReadonlyMap<string, TestOcspStatus>
  /** Default 'normal'. */
  readonly mode?: TestOcspMode
  /** How the responderID names the signer: by subject Name (default) or by SHA-1 of its public key, as many CDNs do. */
  readonly responderId?: 'name' | 'key'
}

/** A running test responder. */
export interface TestOcspResponder {
  /** `http://127.0.0.1:<port>/ocsp`. */
  readonly url: string
  /** How many requests it has answered. */
  readonly requests: number
  close(): Promise<void>
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * Starts the responder on 127.0.0.1, on a port the system picks.
 *
 * @example
 * ```ts
 * const responder = await startOcspResponder({ issuer: pki.intermediate, statuses: new Map([[serial, 'good']]) })
 * const result = await checkOcsp(leaf, pki.intermediate.certificate, { at: new Date(), url: responder.url })
 * await responder.close()
 * ```
 */
export async function startOcspResponder(options: TestOcspResponderOptions): Promise<TestOcspResponder> {
  let requests = 0
  const signer = options.responder ?? options.issuer
  const issuerParts = certificateParts(options.issuer.certificate)
  const signerId =
    options.responderId === 'key'
      ? new asn1js.OctetString({ valueHex: createHash('sha1').update(certificateParts(signer.certificate).publicKey).digest() })
      : pkijs.Certificate.fromBER(new Uint8Array(signer.certificate)).subject
  const key = createPrivateKey({ key: Buffer.from(signer.privateKey), format: 'der', type: 'pkcs8' })

  const answer = (body: Uint8Array): Uint8Array => {
    const mode = options.mode ?? 'normal'
    if (mode === 'try-later')
      return new Uint8Array(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: 3 }) }).toSchema().toBER())
    const request = pkijs.OCSPRequest.fromBER(new Uint8Array(body))
    // Whole seconds: DER GeneralizedTime carries no fraction (RFC 5280 §4.1.2.5.2), and asn1js writes one otherwise.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000)
    const thisUpdate = mode === 'stale' ? new Date(now.getTime() - 2 * DAY) : new Date(now.getTime() - 60_000)
    const nextUpdate = mode === 'stale' ? new Date(now.getTime() - DAY) : new Date(now.getTime() + HOUR)
    const responses = request.tbsRequest.requestList.map((entry) => {
      const id = entry.reqCert
      return new pkijs.SingleResponse({ certID: id, certStatus: certStatus(statusOf(id)), thisUpdate, nextUpdate })
    })
    const nonce = request.tbsRequest.requestExtensions?.find((extension) => extension.extnID === OCSP_NONCE_OID)
    const echoed =
      nonce === undefined || mode === 'no-nonce'
        ? undefined
        : mode === 'wrong-nonce'
          ? new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER()
          : nonce.extnValue.valueBlock.valueHexView.slice().buffer
    const data = new pkijs.ResponseData({
      responderID: signerId,
      producedAt: now,
      responses,
      ...(echoed === undefined ? {} : { responseExtensions: [new pkijs.Extension({ extnID: OCSP_NONCE_OID, extnValue: echoed })] }),
    })
    const tbs = new Uint8Array(data.toSchema(true).toBER())
    data.tbsView = tbs
    const rsa = key.asymmetricKeyType === 'rsa'
    const signature = new Uint8Array(sign('sha256', tbs, key))
    // Flipping a bit of the signature keeps the response well-formed, so only the signature check can catch it.
    if (mode === 'bad-signature') signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: data,
      signatureAlgorithm: new pkijs.AlgorithmIdentifier(
        rsa ? { algorithmId: '1.2.840.113549.1.1.11', algorithmParams: new asn1js.Null() } : { algorithmId: '1.2.840.10045.4.3.2' },
      ),
      signature: new asn1js.BitString({ valueHex: signature }),
      ...(options.responder === undefined ? {} : { certs: [pkijs.Certificate.fromBER(new Uint8Array(options.responder.certificate))] }),
    })
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: '1.3.6.1.5.5.7.48.1.1',
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    })
    return new Uint8Array(response.toSchema().toBER())
  }

  const statusOf = (id: pkijs.CertID): TestOcspStatus => {
    const hash = certIdHashFromOid(id.hashAlgorithm.algorithmId)
    if (hash === undefined) return 'unknown'
    const digest = (data: Uint8Array): string => createHash(hash.replace('-', '').toLowerCase()).update(data).digest('hex')
    const hex = (view: Uint8Array): string => Buffer.from(view).toString('hex')
    // A request for another CA's certificate is answered "unknown", as RFC 6960 §2.2 says.
    if (hex(id.issuerNameHash.valueBlock.valueHexView) !== digest(issuerParts.subjectName)) return 'unknown'
    if (hex(id.issuerKeyHash.valueBlock.valueHexView) !== digest(issuerParts.publicKey)) return 'unknown'
    const serial = hex(id.serialNumber.valueBlock.valueHexView).replace(/^00(?=[89a-f])/, '')
    return options.statuses.get(serial) ?? 'unknown'
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      requests++
      let der: Uint8Array
      try {
        der = answer(new Uint8Array(Buffer.concat(chunks)))
      } catch {
        // malformedRequest, as a real responder answers a request it cannot decode.
        der = new Uint8Array(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: 1 }) }).toSchema().toBER())
      }
      res.writeHead(200, { 'Content-Type': 'application/ocsp-response', 'Content-Length': der.length })
      res.end(der)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo | null
  if (address === null) throw new SceauError('USAGE', 'the test OCSP responder did not get a port')
  return {
    url: `http://127.0.0.1:${address.port}/ocsp`,
    get requests() {
      return requests
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function certStatus(status: TestOcspStatus): asn1js.BaseBlock {
  if (status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } })
  if (status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } })
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: new Date(Math.floor(status.revokedAt.getTime() / 1000) * 1000) }),
      ...(status.reason === undefined
        ? []
        : [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: status.reason })] })]),
    ],
  })
}
