/**
 * Revocation checking with OCSP (RFC 6960): ask the responder, or read a response already at hand, and judge it.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { createHash, createPublicKey, verify as verifySignature, X509Certificate } from 'node:crypto'
import { equalBytes } from '../bytes.js'
import { SceauError } from '../errors.js'
import { describeCertificate } from '../x509/describe.js'
import { postDer } from './http-fetch.js'
import { certificateParts, certIdKey, computeCertId, createOcspRequest, type CertId } from './ocsp-request.js'
import { OCSP_RESPONSE_MAX_BYTES, parseOcspResponse, type BasicOcspResponse, type RevocationReason } from './ocsp-response.js'

/** The extendedKeyUsage extension. */
const EXTENDED_KEY_USAGE = '2.5.29.37'
/** EKU id-kp-OCSPSigning. */
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9'
/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5'
/** Responders and verifiers disagree on the time by a few minutes; RFC 5019 §4 suggests allowing for it. */
const CLOCK_SKEW_MS = 5 * 60_000

const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
}

/** Fetches an OCSP response: POSTs the DER request to the URL and returns the DER answer. */
export type OcspFetch = (url: string, body: Uint8Array) => Promise<Uint8Array>

/** Options of {@link checkOcsp}. */
export interface CheckOcspOptions {
  /** The instant the status is wanted for (signing time, or now). */
  readonly at: Date
  /** Responder URL. Default: the first OCSP URL of the certificate's authorityInfoAccess. */
  readonly url?: string
  /** Default: POST `application/ocsp-request` over node:http(s), 10 s timeout, 1 MiB answer limit. */
  readonly fetch?: OcspFetch
  /** Send a nonce. Default true. */
  readonly nonce?: boolean
  /** Seconds a response without nextUpdate stays fresh after its thisUpdate. Default 3600. */
  readonly maxAge?: number
  /** A response already at hand (from a signature's revocation values): then nothing is fetched. */
  readonly response?: Uint8Array
  /** Responses kept from earlier checks. */
  readonly cache?: OcspCache
}

/** The verdict of {@link checkOcsp}. */
export interface OcspCheckResult {
  /** pass: good; fail: revoked; indeterminate: no usable answer (network, signature, freshness, unknown). */
  readonly status: 'pass' | 'fail' | 'indeterminate'
  /** Why, in plain words. */
  readonly reason: string
  readonly producedAt?: Date
  readonly thisUpdate?: Date
  readonly nextUpdate?: Date
  readonly revocationTime?: Date
  readonly revocationReason?: RevocationReason
  /** Who signed: the issuing CA itself or a delegated responder (with id-pkix-ocsp-nocheck or not). */
  readonly responder?: { readonly kind: 'issuer' | 'delegated'; readonly noCheck: boolean }
  /** 'echoed' when the responder returned our nonce; 'ignored' when it returned none; 'not-sent' otherwise. */
  readonly nonce?: 'echoed' | 'ignored' | 'not-sent'
  /** The DER response, to embed in a signature's revocation values. */
  readonly response?: Uint8Array
}

/**
 * Keeps validated OCSP responses by CertID until their nextUpdate, so that a batch of signatures by the same
 * agent asks the responder once.
 *
 * @example
 * ```ts
 * const cache = new OcspCache()
 * for (const file of files) await checkOcsp(leaf, issuer, { at: new Date(), cache })
 * ```
 */
export class OcspCache {
  readonly #entries = new Map<string, { response: Uint8Array; until: number }>()

  /** A response for `key` still usable at `at`, if any. */
  get(key: string, at: Date): Uint8Array | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (at.getTime() > entry.until) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.response
  }

  /** Keeps `response` for `key` until `until`. */
  set(key: string, response: Uint8Array, until: Date): void {
    this.#entries.set(key, { response, until: until.getTime() })
  }

  /** Number of responses kept. */
  get size(): number {
    return this.#entries.size
  }
}

/**
 * Checks the revocation status of `certificate` with OCSP.
 *
 * Network failures, time-outs and unusable responses are verdicts (`indeterminate`, with a reason), not errors.
 *
 * Nonce: a responder that answers without our nonce is accepted when the response is otherwise fresh, because
 * many real responders (RFC 5019 pre-produced responses, CDNs) ignore nonces and the freshness window bounds any
 * replay; a nonce that differs from ours means the answer is not to our question, so it is not used
 * (`indeterminate`): a wrong nonce says nothing about whether the certificate is revoked.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when a certificate cannot be read; `INPUT_MALFORMED` when `at` is
 * not a valid date.
 *
 * @example
 * ```ts
 * const result = await checkOcsp(signer.certificate, issuerDer, { at: new Date() })
 * if (result.status === 'fail') console.error(`revoked on ${result.revocationTime?.toISOString()}: ${result.reason}`)
 * ```
 */
export async function checkOcsp(certificate: Uint8Array, issuer: Uint8Array, options: CheckOcspOptions): Promise<OcspCheckResult> {
  if (!(options.at instanceof Date) || Number.isNaN(options.at.getTime()))
    throw new SceauError('INPUT_MALFORMED', 'checkOcsp needs a valid `at` date')
  const certId = computeCertId(certificate, issuer, 'SHA-1')
  const key = certIdKey(certId)
  const maxAgeMs = (options.maxAge ?? 3600) * 1000

  let der = options.response ?? options.cache?.get(key, options.at)
  let sentNonce: Uint8Array | undefined
  if (der === undefined) {
    const url = options.url ?? describeCertificate(certificate).ocspUrls[0]
    if (url === undefined) return { status: 'indeterminate', reason: 'the certificate names no OCSP responder and no URL was given' }
    const request = createOcspRequest(certificate, issuer, { nonce: options.nonce ?? true })
    sentNonce = request.nonce
    const fetch =
      options.fetch ?? ((target: string, body: Uint8Array) => postDer(target, body, { contentType: 'application/ocsp-request' }))
    try {
      der = await fetch(url, request.der)
    } catch (err) {
      return { status: 'indeterminate', reason: `OCSP responder ${url} unreachable: ${err instanceof Error ? err.message : String(err)}` }
    }
  }

  const result = await judge(der, certificate, issuer, certId, sentNonce, options.at, maxAgeMs)
  if (options.cache !== undefined && result.status !== 'indeterminate' && result.thisUpdate !== undefined) {
    const until = result.nextUpdate ?? new Date(result.thisUpdate.getTime() + maxAgeMs)
    options.cache.set(key, der, until)
  }
  return result
}

async function judge(
  der: Uint8Array,
  certificate: Uint8Array,
  issuer: Uint8Array,
  certId: CertId,
  sentNonce: Uint8Array | undefined,
  at: Date,
  maxAgeMs: number,
): Promise<OcspCheckResult> {
  if (der.length > OCSP_RESPONSE_MAX_BYTES)
    return { status: 'indeterminate', reason: `OCSP response of ${der.length} bytes is over the 1 MiB limit` }
  let basic: BasicOcspResponse
  try {
    const parsed = parseOcspResponse(der)
    if (parsed.basic === undefined) return { status: 'indeterminate', reason: `the OCSP responder answered "${parsed.status}"` }
    basic = parsed.basic
  } catch (err) {
    return { status: 'indeterminate', reason: `unusable OCSP response: ${err instanceof Error ? err.message : String(err)}` }
  }
  const base = { producedAt: basic.producedAt, response: der }

  const responder = await findResponder(basic, issuer)
  if (typeof responder === 'string') return { status: 'indeterminate', reason: responder, ...base }
  // DSS treats a response whose signature fails as unusable: it says nothing either way about the certificate.
  if (!signatureVerifies(basic, responder.spki)) {
    return { status: 'indeterminate', reason: 'the OCSP response signature does not verify', ...base }
  }
  const authorised = responderAuthorised(responder, issuer, basic.producedAt)
  if (authorised !== undefined) return { status: 'indeterminate', reason: authorised, ...base }
  const withResponder = { ...base, responder: { kind: responder.kind, noCheck: responder.noCheck } }

  let nonce: 'echoed' | 'ignored' | 'not-sent' = 'not-sent'
  if (sentNonce !== undefined) {
    if (basic.nonce === undefined) nonce = 'ignored'
    else if (equalBytes(basic.nonce, sentNonce)) nonce = 'echoed'
    else
      return {
        status: 'indeterminate',
        reason: 'the OCSP response carries a different nonce than the request: not an answer to it',
        ...withResponder,
      }
  }

  const single = basic.responses.find((candidate) => {
    const id = candidate.certId
    if (id.hash === undefined) return false
    const ours = id.hash === certId.hash ? certId : computeCertId(certificate, issuer, id.hash)
    return (
      equalBytes(id.issuerNameHash, ours.issuerNameHash) &&
      equalBytes(id.issuerKeyHash, ours.issuerKeyHash) &&
      equalBytes(id.serialNumber, ours.serialNumber)
    )
  })
  if (single === undefined)
    return { status: 'indeterminate', reason: 'the OCSP response has no status for this certificate (CertID)', ...withResponder, nonce }

  const dates = { thisUpdate: single.thisUpdate, ...(single.nextUpdate === undefined ? {} : { nextUpdate: single.nextUpdate }) }
  const found = { ...withResponder, ...dates, nonce }
  if (single.thisUpdate.getTime() > at.getTime() + CLOCK_SKEW_MS) {
    return { status: 'indeterminate', reason: 'stale OCSP response: its thisUpdate is after the time of the check', ...found }
  }
  const expires = single.nextUpdate?.getTime() ?? single.thisUpdate.getTime() + maxAgeMs
  if (at.getTime() > expires) {
    return { status: 'indeterminate', reason: `stale OCSP response: valid until ${new Date(expires).toISOString()}`, ...found }
  }

  switch (single.status.type) {
    case 'good':
      return { status: 'pass', reason: 'the OCSP responder says good', ...found }
    case 'revoked': {
      const { revocationTime, reason } = single.status
      return {
        status: 'fail',
        reason: `revoked on ${revocationTime.toISOString()}${reason === undefined ? '' : ` (${reason})`}`,
        ...found,
        revocationTime,
        ...(reason === undefined ? {} : { revocationReason: reason }),
      }
    }
    case 'unknown':
      return { status: 'indeterminate', reason: 'the OCSP responder does not know this certificate', ...found }
  }
}

interface Responder {
  readonly kind: 'issuer' | 'delegated'
  readonly certificate: Uint8Array
  readonly spki: Uint8Array
  readonly noCheck: boolean
}

/** The certificate named by the responderID: the issuer, or one of the certificates in the response. */
async function findResponder(basic: BasicOcspResponse, issuer: Uint8Array): Promise<Responder | string> {
  const matches = (der: Uint8Array): boolean => {
    const parts = certificateParts(der)
    if ('byName' in basic.responderId) return equalBytes(parts.subjectName, basic.responderId.byName)
    return equalBytes(new Uint8Array(createHash('sha1').update(parts.publicKey).digest()), basic.responderId.byKey)
  }
  // The CA key is tried first: a response signed by the CA needs no further certificate.
  if (matches(issuer)) {
    return { kind: 'issuer', certificate: issuer, spki: certificateParts(issuer).spki, noCheck: false }
  }
  for (const candidate of basic.certificates) {
    let noCheck: boolean
    try {
      if (!matches(candidate)) continue
      noCheck = describeCertificate(candidate).extensions.includes(OCSP_NOCHECK)
    } catch {
      // A certificate of the response that cannot be read cannot be the responder's.
      continue
    }
    return { kind: 'delegated', certificate: candidate, spki: certificateParts(candidate).spki, noCheck }
  }
  return 'the OCSP response is signed by neither the issuing CA nor a certificate it includes'
}

function signatureVerifies(basic: BasicOcspResponse, spki: Uint8Array): boolean {
  const hash = SIGNATURE_HASHES[basic.signatureAlgorithm]
  if (hash === undefined) return false
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
    return verifySignature(hash, basic.tbsResponseData, key, basic.signature)
  } catch {
    return false
  }
}

/** RFC 6960 §4.2.2.2: a delegated responder is certified by the CA for OCSP signing. Returns why not, or undefined. */
function responderAuthorised(responder: Responder, issuer: Uint8Array, producedAt: Date): string | undefined {
  if (responder.kind === 'issuer') return undefined
  const info = describeCertificate(responder.certificate)
  if (info.undecodable.includes(EXTENDED_KEY_USAGE))
    return 'the extended key usage of the OCSP responder certificate cannot be decoded: not known to be authorised'
  if (!info.extendedKeyUsage.includes(OCSP_SIGNING))
    return 'the OCSP responder certificate lacks the OCSPSigning extended key usage: not authorised'
  if (producedAt < info.notBefore || producedAt > info.notAfter)
    return 'the OCSP responder certificate was not valid when the response was produced'
  const issued = equalBytes(certificateParts(responder.certificate).issuerName, certificateParts(issuer).subjectName)
  let verified: boolean
  try {
    verified = new X509Certificate(responder.certificate).verify(new X509Certificate(issuer).publicKey)
  } catch {
    verified = false
  }
  if (!issued || !verified) return 'the OCSP responder certificate is not issued by the certificate issuer: not authorised'
  return undefined
}
