/**
 * RFC 3161 time-stamps, as PAdES B-T puts one on the CMS signature value: ask a time-stamping authority for a
 * token over some bytes, read a token, and check one against the bytes it claims to stamp.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { equalBytes } from '../bytes.js'
import { digestOid } from '../cms/algorithms.js'
import { berChildren, berOctets, isTag, readBer, UNIVERSAL, type BerElement } from '../cms/ber.js'
import { cmsDigest, cmsDigestFromOid, isCmsDigestAlgorithm, type CmsDigestAlgorithm } from '../cms/digests.js'
import type { Check } from '../verdicts.js'
import { parseCms, verifySignerInfo, type CmsCheck, type CmsVerification, type ParsedCms } from '../cms/index.js'
import { SceauError } from '../errors.js'
import { postDer, type PostDerOptions } from '../policy/http-fetch.js'
import { digest } from '../signer/digest-info.js'
import type { DigestAlgorithm } from '../types.js'
import { describeCertificate } from '../x509/describe.js'

/** id-ct-TSTInfo (RFC 3161 §2.4.2): the eContentType of a time-stamp token. */
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4'
/** id-kp-timeStamping (RFC 3161 §2.3). */
const TIME_STAMPING_EKU = '1.3.6.1.5.5.7.3.8'
const EXTENDED_KEY_USAGE = '2.5.29.37'

/** Options of {@link requestTimestamp}. */
export interface RequestTimestampOptions {
  /** The bytes to time-stamp: for PAdES B-T, the SignerInfo's signature value. */
  readonly data: Uint8Array
  /** The hash of the message imprint. Default SHA-256. */
  readonly hash?: DigestAlgorithm
  /** Milliseconds for the whole HTTP exchange. Default 10 000. */
  readonly timeoutMs?: number
  /** How the query is sent; default {@link postDer}. A proxy or an authenticating client can stand in. */
  readonly post?: (url: string, body: Uint8Array, options: PostDerOptions) => Promise<Uint8Array>
}

/** What a time-stamp token says. */
export interface TimestampInfo {
  /** The time the authority vouches for. */
  readonly genTime: Date
  /** What was stamped: a hash and its value. `hash` is the OID when sceau does not compute that hash. */
  readonly messageImprint: { readonly hash: CmsDigestAlgorithm | (string & {}); readonly digest: Uint8Array }
  /** The certificate that signed the token, when the token carries it. */
  readonly tsaCertificate?: Uint8Array
  /** The token's serial number, lower-case hex. */
  readonly serialNumber: string
  /** The authority's policy OID. */
  readonly policy: string
}

/** A granted time-stamp. */
export interface Timestamp extends Omit<TimestampInfo, 'messageImprint'> {
  /** The TimeStampToken: a DER ContentInfo(SignedData) over a TSTInfo, the value of the signature-time-stamp attribute. */
  readonly token: Uint8Array
}

/** The checks {@link verifyTimestampToken} makes. */
export type TimestampCheckId =
  'message-imprint' | 'content-type' | 'message-digest' | 'signature' | 'signed-attributes-der' | 'signing-certificate' | 'tsa-certificate'

/** One check's verdict, in the EN 319 102-1 vocabulary. */
export type TimestampCheck = Check & { readonly id: TimestampCheckId }

/**
 * Asks a time-stamping authority for a token over `data` (RFC 3161 over HTTP) and checks the answer before
 * returning it: status granted, the imprint and nonce of the query, the token's signature and its signer's
 * id-kp-timeStamping usage. The TSA's certificate path is not validated: that is the policy layer's work.
 *
 * @throws SceauError `TIMESTAMP_FAILED`, naming the URL, when the authority cannot be reached in time, refuses,
 * or answers with a token that fails a check.
 *
 * @example
 * ```ts
 * const cms = await signCms({ signer, algorithm: 'RSASSA-PKCS1-v1_5-SHA256', contentDigest })
 * const { token, genTime } = await requestTimestamp('http://timestamp.example.fr', { data: cms.signatureValue })
 * const cmsBT = addUnsignedAttribute(cms.der, CMS_OIDS.signatureTimeStampToken, token)
 * ```
 */
export async function requestTimestamp(url: string, options: RequestTimestampOptions): Promise<Timestamp> {
  const hash = options.hash ?? 'SHA-256'
  const imprint = digest(hash, options.data)
  const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`)
  const query = timeStampReq(hash, imprint, nonce)
  const post = options.post ?? postDer
  const fail = (why: string, cause?: unknown): never => {
    throw new SceauError('TIMESTAMP_FAILED', `time-stamping authority ${url}: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { url },
    })
  }
  let answer: Uint8Array
  try {
    answer = await post(url, query, { contentType: 'application/timestamp-query', timeoutMs: options.timeoutMs ?? 10_000 })
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), err)
  }
  const token = tokenOf(answer, fail)
  const inspected = inspect(token, fail)
  const { nonce: answered } = inspected.tstInfo
  if (answered === undefined || answered.toBigInt() !== nonce) fail('the token does not carry the nonce of the query')
  const failed = checksOf(inspected, options.data).filter((check) => check.status !== 'pass')
  if (failed.length > 0) fail(failed.map((check) => `${check.id}: ${check.reason}`).join('; '))
  const { info } = inspected
  return {
    token,
    genTime: info.genTime,
    ...(info.tsaCertificate === undefined ? {} : { tsaCertificate: info.tsaCertificate }),
    serialNumber: info.serialNumber,
    policy: info.policy,
  }
}

/**
 * The TimeStampToken an attribute value holds. RFC 3161 appendix A makes the value the token itself (a
 * ContentInfo); some signers wrapped its DER in an OCTET STRING, which DSS reads too (its CAdESDEREncodedTst tests):
 * `wrapped` says so, for a verifier to report.
 *
 * @example
 * ```ts
 * const { token, wrapped } = timestampTokenOf(attribute.values[0])
 * ```
 */
export function timestampTokenOf(value: Uint8Array): { readonly token: Uint8Array; readonly wrapped: boolean } {
  try {
    const outer = readBer(value, 0, value.length, 'time-stamp token')
    if (isTag(outer, 0, UNIVERSAL.octetString) && outer.end === value.length) {
      const inner = berOctets(value, outer, 'time-stamp token')
      if (isTag(readBer(inner, 0, inner.length, 'time-stamp token'), 0, UNIVERSAL.sequence)) return { token: inner, wrapped: true }
    }
  } catch {
    // Not BER at all: the token reader says why.
  }
  return { token: value, wrapped: false }
}

/**
 * Reads a time-stamp token (a DER ContentInfo whose SignedData encapsulates a TSTInfo) without checking it.
 *
 * @throws SceauError `INPUT_MALFORMED` when the bytes are not a time-stamp token.
 *
 * @example
 * ```ts
 * const attribute = parseCms(cmsDer).signer.unsignedAttributes.find((a) => a.oid === CMS_OIDS.signatureTimeStampToken)
 * const { genTime } = readTimestampToken(attribute.values[0])
 * ```
 */
export function readTimestampToken(token: Uint8Array): TimestampInfo {
  return inspect(token, malformed).info
}

function malformed(why: string, cause?: unknown): never {
  throw new SceauError('INPUT_MALFORMED', `time-stamp token: ${why}`, { ...(cause === undefined ? {} : { cause }) })
}

/**
 * Checks a time-stamp token against the bytes it claims to stamp: the message imprint, the CMS signature over
 * the TSTInfo, the ESS binding to the signer's certificate and that certificate's id-kp-timeStamping usage.
 * Verdicts are returned, not thrown; it throws only when the bytes are not a token at all.
 *
 * @example
 * ```ts
 * const checks = verifyTimestampToken(token, signerInfo.signatureValue)
 * const ok = checks.every((check) => check.status === 'pass')
 * ```
 */
export function verifyTimestampToken(token: Uint8Array, data: Uint8Array): TimestampCheck[] {
  return checksOf(inspect(token, malformed), data)
}

function checksOf({ info, verification }: Inspected, data: Uint8Array): TimestampCheck[] {
  const { cms } = verification
  // The CMS checks of the token's SignerInfo; its content type is checked here, as id-ct-TSTInfo.
  const cmsChecks = (ids: readonly CmsCheck['id'][]): TimestampCheck[] =>
    verification.checks.filter((check): check is CmsCheck & TimestampCheck => ids.includes(check.id))
  return [
    checkImprint(info, data),
    cms.signer.attributes.contentType === TST_INFO_OID
      ? { id: 'content-type', status: 'pass', reason: 'the content type is id-ct-TSTInfo' }
      : { id: 'content-type', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the content-type attribute is not id-ct-TSTInfo' },
    // RFC 3161 §2.4.1 names the signer with ESS signing-certificate (SHA-1) or, per RFC 5816, signing-certificate-v2:
    // the CMS layer accepts either.
    ...cmsChecks(['message-digest', 'signature', 'signed-attributes-der', 'signing-certificate']),
    checkTsaCertificate(verification.signerCertificate),
  ]
}

interface Inspected {
  readonly info: TimestampInfo
  readonly tstInfo: pkijs.TSTInfo
  /** The CMS checks over the encapsulated TSTInfo, as its bytes were signed. */
  readonly verification: CmsVerification
}

function inspect(value: Uint8Array, fail: (why: string, cause?: unknown) => never): Inspected {
  const { token } = timestampTokenOf(value)
  let cms: ParsedCms
  try {
    cms = parseCms(token)
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), err)
  }
  if (cms.contentType !== TST_INFO_OID) return fail(`the content type is ${cms.contentType}, not id-ct-TSTInfo`)
  if (cms.content === undefined) return fail('no encapsulated TSTInfo')
  let tstInfo: pkijs.TSTInfo
  try {
    tstInfo = pkijs.TSTInfo.fromBER(new Uint8Array(cms.content))
  } catch (err) {
    return fail('the TSTInfo does not decode', err)
  }
  const verification = { ...verifySignerInfo(cms, cms.signer, { content: cms.content }), cms }
  const { algorithmId: hashOid, algorithmParams } = tstInfo.messageImprint.hashAlgorithm
  const hashParameters = algorithmParams instanceof asn1js.BaseBlock ? new Uint8Array(algorithmParams.toBER()) : undefined
  const tsaCertificate = verification.signerCertificate
  return {
    info: {
      genTime: tstInfo.genTime,
      messageImprint: {
        hash: cmsDigestFromOid(hashOid, hashParameters) ?? hashOid,
        digest: new Uint8Array(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView),
      },
      ...(tsaCertificate === undefined ? {} : { tsaCertificate }),
      serialNumber: Buffer.from(tstInfo.serialNumber.valueBlock.valueHexView).toString('hex'),
      policy: tstInfo.policy,
    },
    tstInfo,
    verification,
  }
}

function checkImprint(info: TimestampInfo, data: Uint8Array): TimestampCheck {
  const id = 'message-imprint'
  const { digest: stamped } = info.messageImprint
  const hash = info.messageImprint.hash
  if (!isCmsDigestAlgorithm(hash))
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `imprint hash ${info.messageImprint.hash} is not supported`,
    }
  return equalBytes(cmsDigest(hash, data), stamped)
    ? { id, status: 'pass', reason: `the ${hash} message imprint matches the data` }
    : { id, status: 'fail', subIndication: 'HASH_FAILURE', reason: `the ${hash} message imprint differs from the hash of the data` }
}

function checkTsaCertificate(certificate: Uint8Array | undefined): TimestampCheck {
  const id = 'tsa-certificate'
  if (certificate === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the token does not carry the TSA certificate',
    }
  let info
  try {
    info = describeCertificate(certificate)
  } catch {
    return { id, status: 'indeterminate', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', reason: 'the TSA certificate cannot be read' }
  }
  // RFC 3161 §2.3 asks this of a TSA certificate: a token from another certificate is not a time-stamp to rely on.
  const usages = info.extendedKeyUsage
  if (usages.length !== 1 || usages[0] !== TIME_STAMPING_EKU) {
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
      reason: 'the TSA certificate does not have id-kp-timeStamping as its only extended key usage',
    }
  }
  if (!info.criticalExtensions.includes(EXTENDED_KEY_USAGE)) {
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CHAIN_CONSTRAINTS_FAILURE',
      reason: 'the extended key usage of the TSA certificate is not critical',
    }
  }
  return { id, status: 'pass', reason: 'the TSA certificate has the critical id-kp-timeStamping usage' }
}

/** TimeStampReq (RFC 3161 §2.4.1): v1, the imprint, no policy, the nonce, certReq TRUE so that the token names its signer. */
function timeStampReq(hash: DigestAlgorithm, imprint: Uint8Array, nonce: bigint): Uint8Array {
  return new Uint8Array(
    new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: digestOid(hash) })] }),
            new asn1js.OctetString({ valueHex: imprint }),
          ],
        }),
        asn1js.Integer.fromBigInt(nonce),
        new asn1js.Boolean({ value: true }),
      ],
    }).toBER(),
  )
}

/**
 * The token of a TimeStampResp (RFC 3161 §2.4.2), as its bytes were sent; a refusal fails with its status and text.
 * Walked with the CMS reader, so that a token carrying much validation data is not decoded node by node.
 */
function tokenOf(answer: Uint8Array, fail: (why: string) => never): Uint8Array {
  let response: BerElement
  let parts: BerElement[]
  try {
    response = readBer(answer, 0, answer.length, 'TimeStampResp')
    parts = berChildren(answer, response, 'TimeStampResp')
  } catch {
    return fail('the answer is not a TimeStampResp')
  }
  if (response.end !== answer.length || !isTag(response, 0, UNIVERSAL.sequence)) return fail('the answer is not a TimeStampResp')
  const [statusInfo, token] = parts
  if (!isTag(statusInfo, 0, UNIVERSAL.sequence)) return fail('the answer has no PKIStatusInfo')
  const [status, statusString] = berChildren(answer, statusInfo, 'PKIStatusInfo')
  if (!isTag(status, 0, UNIVERSAL.integer) || status.contentEnd - status.contentStart !== 1)
    return fail('the PKIStatus is not a small INTEGER')
  const code = answer[status.contentStart] ?? -1
  if (code !== 0 && code !== 1) {
    // PKIFreeText is a SEQUENCE OF UTF8String (tag 12).
    const text = isTag(statusString, 0, UNIVERSAL.sequence)
      ? berChildren(answer, statusString, 'PKIFreeText')
          .filter((line) => isTag(line, 0, 12))
          .map((line) => new TextDecoder().decode(berOctets(answer, line, 'PKIFreeText')))
          .join(' ')
      : ''
    return fail(`status ${code} (${STATUS_NAMES[code] ?? 'unknown'})${text === '' ? '' : `: ${text}`}`)
  }
  if (token === undefined) return fail(`status ${code} but no token`)
  return answer.slice(token.start, token.end)
}

const STATUS_NAMES: Record<number, string> = {
  2: 'rejection',
  3: 'waiting',
  4: 'revocationWarning',
  5: 'revocationNotification',
}
