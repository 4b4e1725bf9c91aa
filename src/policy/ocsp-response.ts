/**
 * Decoding OCSP responses (RFC 6960 §4.2) into plain values. No verdict here: {@link checkOcsp} judges them.
 *
 * @packageDocumentation
 */

import { revocationReasonName, type RevocationReason } from './revocation-reason.js'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { SceauError } from '../errors.js'
import { readChildren, readTlv } from '../x509/der.js'
import { certIdHashFromOid, OCSP_NONCE_OID, type CertIdHash } from './ocsp-request.js'

/** The largest response sceau decodes: real ones are a few kilobytes, even with a responder chain. */
export const OCSP_RESPONSE_MAX_BYTES = 1024 * 1024

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export type OcspResponseStatus = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized'

const RESPONSE_STATUSES: Readonly<Record<number, OcspResponseStatus>> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
}

export type { RevocationReason } from './revocation-reason.js'

/** The CertID of a single response, as the responder wrote it. */
export interface ResponseCertId {
  /** The hash algorithm OID. */
  readonly hashAlgorithm: string
  /** The same, by name, when sceau can compute it. */
  readonly hash?: CertIdHash
  readonly issuerNameHash: Uint8Array
  readonly issuerKeyHash: Uint8Array
  readonly serialNumber: Uint8Array
}

/** CertStatus of a single response. */
export type OcspCertStatus =
  | { readonly type: 'good' }
  | { readonly type: 'revoked'; readonly revocationTime: Date; readonly reason?: RevocationReason }
  | { readonly type: 'unknown' }

/** One SingleResponse. */
export interface OcspSingleResponse {
  readonly certId: ResponseCertId
  readonly status: OcspCertStatus
  readonly thisUpdate: Date
  readonly nextUpdate?: Date
}

/** Who signed a BasicOCSPResponse: a subject Name (DER) or the SHA-1 of a public key. */
export type OcspResponderId = { readonly byName: Uint8Array } | { readonly byKey: Uint8Array }

/** A decoded BasicOCSPResponse. */
export interface BasicOcspResponse {
  /** The exact tbsResponseData bytes the signature covers. */
  readonly tbsResponseData: Uint8Array
  /** Signature algorithm OID. */
  readonly signatureAlgorithm: string
  readonly signature: Uint8Array
  readonly responderId: OcspResponderId
  readonly producedAt: Date
  readonly responses: readonly OcspSingleResponse[]
  /** The nonce extension's value, when present (the inner OCTET STRING's content when it is one). */
  readonly nonce?: Uint8Array
  /** Certificates the responder included (DER, as received), usually its own and its chain. */
  readonly certificates: readonly Uint8Array[]
}

/** A decoded OCSPResponse. */
export interface ParsedOcspResponse {
  readonly status: OcspResponseStatus
  /** Present when status is `successful`. */
  readonly basic?: BasicOcspResponse
}

/**
 * Decodes a DER OCSPResponse.
 *
 * @throws SceauError `INPUT_TOO_LARGE` over {@link OCSP_RESPONSE_MAX_BYTES}; `INPUT_MALFORMED` when the bytes
 * are not an OCSP response, or a successful one without a BasicOCSPResponse.
 *
 * @example
 * ```ts
 * const parsed = parseOcspResponse(der)
 * if (parsed.status === 'successful') console.log(parsed.basic?.responses[0]?.status.type)
 * ```
 */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  if (der.length > OCSP_RESPONSE_MAX_BYTES) {
    throw new SceauError('INPUT_TOO_LARGE', `OCSP response of ${der.length} bytes, over the ${OCSP_RESPONSE_MAX_BYTES}-byte limit`, {
      details: { size: der.length },
    })
  }
  const outer = readTlv(der, 0)
  if (outer === undefined || outer.tag !== 0x30 || outer.end !== der.length) throw malformed('the bytes are not a DER OCSP response')
  let response: pkijs.OCSPResponse
  try {
    response = new pkijs.OCSPResponse({ schema: decodeBer(der, 'OCSPResponse') })
  } catch (err) {
    throw malformed(`the bytes are not an OCSP response (${message(err)})`, err)
  }
  const code = response.responseStatus.valueBlock.valueDec
  const status = RESPONSE_STATUSES[code]
  if (status === undefined) throw malformed(`unknown OCSP response status ${code}`)
  if (status !== 'successful') return { status }
  const bytes = response.responseBytes
  if (bytes === undefined) throw malformed('a successful OCSP response without responseBytes')
  if (bytes.responseType !== '1.3.6.1.5.5.7.48.1.1') throw malformed(`unsupported OCSP response type ${bytes.responseType}`)
  return { status, basic: parseBasic(new Uint8Array(bytes.response.valueBlock.valueHexView)) }
}

function parseBasic(der: Uint8Array): BasicOcspResponse {
  const outer = readTlv(der, 0)
  const parts = outer === undefined || outer.end !== der.length ? undefined : readChildren(der, outer)
  const [tbs, , , certsField] = parts ?? []
  if (tbs === undefined || tbs.tag !== 0x30) throw malformed('the BasicOCSPResponse is not DER')
  let basic: pkijs.BasicOCSPResponse
  try {
    basic = new pkijs.BasicOCSPResponse({ schema: decodeBer(der, 'BasicOCSPResponse') })
  } catch (err) {
    throw malformed(`the BasicOCSPResponse does not decode (${message(err)})`, err)
  }
  const tbsBytes = der.slice(tbs.start, tbs.end)
  const data = basic.tbsResponseData
  const extensions = data.responseExtensions ?? []
  const nonceExtension = extensions.find((extension) => extension.extnID === OCSP_NONCE_OID)
  const result: BasicOcspResponse = {
    tbsResponseData: tbsBytes,
    signatureAlgorithm: basic.signatureAlgorithm.algorithmId,
    signature: new Uint8Array(basic.signature.valueBlock.valueHexView),
    responderId: responderId(tbsBytes),
    producedAt: data.producedAt,
    responses: data.responses.map(singleResponse),
    certificates: certificates(der, certsField),
    ...(nonceExtension === undefined ? {} : { nonce: nonceValue(new Uint8Array(nonceExtension.extnValue.valueBlock.valueHexView)) }),
  }
  return result
}

/**
 * The ASN.1 tree of `der`, bounded by its size rather than by asn1js's default of 10,000 elements, which a
 * response about 800 certificates (a CA answering for a batch) already exceeds. Every element takes at least two
 * octets, so half the size bounds the count; OCTET STRING and BIT STRING contents are not parsed as nested ASN.1
 * (pkijs reads the BasicOCSPResponse from the OCTET STRING's bytes, which {@link parseBasic} decodes on its own).
 * {@link OCSP_RESPONSE_MAX_BYTES} thus bounds the work and the memory.
 */
function decodeBer(der: Uint8Array, what: string): asn1js.AsnType {
  const decoded = asn1js.fromBER(new Uint8Array(der), { maxNodes: Math.ceil(der.length / 2) + 1, parseEmbedded: false })
  if (decoded.offset === -1) throw new Error(`${what}: ${decoded.result.error}`)
  if (decoded.offset !== der.length) throw new Error(`${what}: bytes after the end`)
  return decoded.result
}

/** Read from the signed bytes rather than pkijs's re-encoded Name, so that it compares byte for byte with a subject. */
function responderId(tbs: Uint8Array): OcspResponderId {
  const outer = readTlv(tbs, 0)
  const fields = outer === undefined ? undefined : readChildren(tbs, outer)
  const field = fields?.[fields[0]?.tag === 0xa0 ? 1 : 0]
  const inner = field === undefined ? undefined : readTlv(tbs, field.contentStart, field.end)
  if (field?.tag === 0xa1 && inner?.tag === 0x30) return { byName: tbs.slice(inner.start, inner.end) }
  if (field?.tag === 0xa2 && inner?.tag === 0x04) return { byKey: tbs.slice(inner.contentStart, inner.end) }
  throw malformed('the OCSP responderID is neither byName nor byKey')
}

function certificates(der: Uint8Array, field: ReturnType<typeof readTlv>): Uint8Array[] {
  if (field === undefined) return []
  const sequence = field.tag === 0xa0 ? readTlv(der, field.contentStart, field.end) : undefined
  const items = sequence?.tag === 0x30 ? readChildren(der, sequence) : undefined
  if (items === undefined) throw malformed('the certs of the BasicOCSPResponse are not a SEQUENCE OF Certificate')
  return items.map((item) => der.slice(item.start, item.end))
}

/** RFC 8954 wraps the nonce in an OCTET STRING; a few responders echo it bare, which we accept as is. */
function nonceValue(extnValue: Uint8Array): Uint8Array {
  const inner = readTlv(extnValue, 0)
  if (inner?.tag === 0x04 && inner.end === extnValue.length) return extnValue.slice(inner.contentStart, inner.end)
  return extnValue
}

function singleResponse(single: pkijs.SingleResponse): OcspSingleResponse {
  const id = single.certID
  const hash = certIdHashFromOid(id.hashAlgorithm.algorithmId)
  const certId: ResponseCertId = {
    hashAlgorithm: id.hashAlgorithm.algorithmId,
    ...(hash === undefined ? {} : { hash }),
    issuerNameHash: new Uint8Array(id.issuerNameHash.valueBlock.valueHexView),
    issuerKeyHash: new Uint8Array(id.issuerKeyHash.valueBlock.valueHexView),
    serialNumber: new Uint8Array(id.serialNumber.valueBlock.valueHexView),
  }
  return {
    certId,
    status: certStatus(single.certStatus as asn1js.BaseBlock),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate === undefined ? {} : { nextUpdate: single.nextUpdate }),
  }
}

function certStatus(block: asn1js.BaseBlock): OcspCertStatus {
  const tag = block.idBlock.tagNumber
  if (block.idBlock.tagClass !== 3) throw malformed('the certStatus is not context-tagged')
  if (tag === 0) return { type: 'good' }
  if (tag === 2) return { type: 'unknown' }
  if (tag !== 1 || !(block instanceof asn1js.Constructed)) throw malformed(`unknown certStatus [${tag}]`)
  const [time, reasonField] = block.valueBlock.value
  if (!(time instanceof asn1js.GeneralizedTime)) throw malformed('a revoked certStatus without a revocationTime')
  const revocationTime = time.toDate()
  if (!(reasonField instanceof asn1js.Constructed)) return { type: 'revoked', revocationTime }
  const [enumerated] = reasonField.valueBlock.value
  if (!(enumerated instanceof asn1js.Enumerated)) throw malformed('the revocationReason is not an ENUMERATED')
  const reason = revocationReasonName(enumerated.valueBlock.valueDec)
  return reason === undefined ? { type: 'revoked', revocationTime } : { type: 'revoked', revocationTime, reason }
}

function malformed(text: string, cause?: unknown): SceauError {
  return new SceauError('INPUT_MALFORMED', text, cause === undefined ? {} : { cause })
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
