// The checks of one CMS signature whatever carries it (a PDF's /Contents, a .p7s): digest, signature, ESS
// signing-certificate, content type, signature time-stamps, the signer certificate through the policy layer, and
// the cryptographic constraints on all the algorithms involved at the time the signature is proven to exist.

import { isCmsDigestAlgorithm, type CmsDigestAlgorithm } from '../cms/digests.js'
import { CMS_OIDS } from '../cms/oids.js'
import { parseCms, type CmsSignerInfo, type ParsedCms } from '../cms/parse.js'
import { signatureHash } from '../cms/signature-value.js'
import { verifySignerInfo, type VerifyCmsOptions } from '../cms/verify.js'
import { SceauError } from '../errors.js'
import { checkCertificate, type CertificateReport, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import type { Check } from '../verdicts.js'
import { certificateCheck, signerOf } from './certificate-check.js'
import { checkTimestamp } from './check-timestamp.js'
import {
  certificatePathUses,
  checkCryptoConstraints,
  constrainedScheme,
  pathCertificates,
  publicKeyStrength,
  type AlgorithmUse,
} from './crypto-constraints.js'
import { MAX_SIGNED_CONTENT_IN_MEMORY, readSignedContent, type ReadContent, type SignedContent } from './signed-content.js'

export type { SignedContent } from './signed-content.js'

/** Options of {@link judgeCmsSignature}. */
export interface JudgeCmsOptions extends Omit<CheckCertificateOptions, 'profile' | 'at'> {
  readonly at?: Date
  readonly profile?: ProfileName
  /** Names the CMS in messages ("/Contents", the .p7s file). */
  readonly what: string
  /** PAdES ETSI.CAdES.detached and CAdES baseline require ESS signing-certificate(-v2); adbe.pkcs7.detached does not. */
  readonly essRequired: boolean
  /** The signing time the signature claims (ISO), for the report on an expired signer. */
  readonly claimedTime?: string
  /**
   * The signed content, read once for every digest the signers use. `undefined` when it could not be found (a
   * detached signature with no file beside it): signatures then cannot be checked against it (INDETERMINATE,
   * SIGNED_DATA_NOT_FOUND), though everything else still is, unless the CMS encapsulates its content.
   */
  readonly content: SignedContent | undefined
}

/** What {@link judgeCmsSignature} found. */
export interface JudgedCms {
  readonly checks: Check[]
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  readonly certificateReport?: CertificateReport
  /** The time a valid signature time-stamp proves. */
  readonly provenAt?: Date
  /** The signing-time attribute (ISO), when present. */
  readonly signingTime?: string
}

/** One SignerInfo judged, with the counter-signatures on it. */
export interface JudgedSigner extends JudgedCms {
  /** The SignerInfo as parsed (policy, commitment type…); absent when the CMS could not be read. */
  readonly signerInfo?: CmsSignerInfo
  readonly counterSignatures: readonly JudgedSigner[]
}

/**
 * Judges the first SignerInfo of a CMS SignedData over a detached content (PAdES has exactly one).
 *
 * @example
 * ```ts
 * const judged = await judgeCmsSignature(contents, { what: '/Contents', essRequired: true, content: () => [range1, range2] })
 * ```
 */
export async function judgeCmsSignature(der: Uint8Array, options: JudgeCmsOptions): Promise<JudgedCms> {
  const { signers } = await judgeCmsSigners(der, options)
  return signers[0] as JudgedSigner
}

/**
 * Judges every SignerInfo of a CMS SignedData (co-signatures) and every counter-signature on them. The content is
 * read once for all the digest algorithms the signers use. Revocation data and certificates the CMS carries
 * (CAdES B-LT) are used beside the caller's.
 *
 * @example
 * ```ts
 * const { signers } = await judgeCmsSigners(p7s, { what: 'a.p7s', essRequired: true, content: () => createReadStream('a') })
 * ```
 */
export async function judgeCmsSigners(der: Uint8Array, options: JudgeCmsOptions): Promise<{ cms?: ParsedCms; signers: JudgedSigner[] }> {
  let cms: ParsedCms
  try {
    cms = parseCms(der)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    const checks: Check[] = [
      { id: 'cms.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: `${options.what}: ${err.message}` },
    ]
    return { signers: [{ checks, counterSignatures: [] }] }
  }
  // The CMS's certificates build the paths of its signers, counter-signers and time-stamping authorities alike.
  const effective: JudgeCmsOptions = {
    ...options,
    intermediates: [...(options.intermediates ?? []), ...cms.certificates],
    ...(cms.crls.length + cms.ocspResponses.length === 0
      ? {}
      : {
          revocation: {
            ...options.revocation,
            crls: [...(options.revocation?.crls ?? []), ...cms.crls],
            ocspResponses: [...(options.revocation?.ocspResponses ?? []), ...cms.ocspResponses],
          },
        }),
  }
  const covered = await readContent(cms, options.content)
  const signers: JudgedSigner[] = []
  for (const signer of cms.signers) signers.push(await judgeSigner(cms, signer, effective, covered, undefined, 0))
  return { cms, signers }
}

/** The content as the signers need it, or undefined when it was not found. */
type Covered = (ReadContent & { readonly keptBytes: boolean }) | undefined

async function readContent(cms: ParsedCms, content: SignedContent | undefined): Promise<Covered> {
  // The caller's content first: a PDF signature is over its byte ranges whatever eContent it may carry.
  const encapsulated = cms.content
  const source = content ?? (encapsulated === undefined ? undefined : () => [encapsulated])
  if (source === undefined) return undefined
  const hashes = cms.signers.map((signer) => signer.digestAlgorithm).filter(isCmsDigestAlgorithm)
  const keepBytes = cms.signers.some(signsContentItself)
  const read = await readSignedContent(source, hashes, keepBytes)
  return { ...read, keptBytes: keepBytes }
}

/**
 * A SignerInfo without signed attributes signs the content itself (RFC 5652 §5.4): RSA over its digest, which one
 * pass gives; ECDSA, DSA and EdDSA, or RSA with a hash other than the digest algorithm, over the bytes.
 */
function signsContentItself(signer: CmsSignerInfo): boolean {
  if (signer.signedAttributesDer !== undefined) return false
  const { scheme } = signer.signatureAlgorithm
  if (scheme === 'RSASSA-PKCS1-v1_5' || scheme === 'RSASSA-PSS') {
    const digest = isCmsDigestAlgorithm(signer.digestAlgorithm) ? signer.digestAlgorithm : undefined
    return signatureHash(signer.signatureAlgorithm, digest) !== signer.digestAlgorithm
  }
  return scheme !== 'unknown'
}

function verifyOptions(signer: CmsSignerInfo, covered: Covered): VerifyCmsOptions {
  if (covered === undefined) return { contentNotFound: true }
  if (covered.bytes !== undefined) return { content: covered.bytes }
  const digest = isCmsDigestAlgorithm(signer.digestAlgorithm) ? covered.digests.get(signer.digestAlgorithm) : undefined
  return { contentDigest: digest ?? new Uint8Array() }
}

async function judgeSigner(
  cms: ParsedCms,
  signerInfo: CmsSignerInfo,
  options: JudgeCmsOptions,
  covered: Covered,
  counterSigned: CmsSignerInfo | undefined,
  depth: number,
): Promise<JudgedSigner> {
  const checks: Check[] = []
  const counterSignatures: JudgedSigner[] = []
  for (const counter of signerInfo.counterSignatures) {
    counterSignatures.push(await judgeSigner(cms, counter, options, covered, signerInfo, depth + 1))
  }
  // A counter-signature covers the counter-signed signature value, which verifySignerInfo hashes itself.
  const verification = verifySignerInfo(cms, signerInfo, verifyOptions(signerInfo, covered), counterSigned)
  for (const check of verification.checks) {
    // adbe.pkcs7.detached predates ESS signing-certificate: its absence there is worth a word, not a verdict.
    const essOptional = check.id === 'signing-certificate' && !options.essRequired && check.status !== 'pass'
    let judged: Check = essOptional
      ? { id: `cms.${check.id}`, status: 'warning', reason: check.reason }
      : { ...check, id: `cms.${check.id}` }
    if (
      judged.status === 'indeterminate' &&
      judged.subIndication === 'SIGNED_DATA_NOT_FOUND' &&
      covered?.keptBytes === true &&
      covered.bytes === undefined
    ) {
      judged = {
        ...judged,
        reason: `${judged.reason} (the content, ${covered.length} bytes, is over the ${MAX_SIGNED_CONTENT_IN_MEMORY}-byte limit)`,
      }
    }
    checks.push(judged)
  }
  const signingTime = signerInfo.attributes.signingTime
  const claimedTime = depth === 0 && options.claimedTime !== undefined ? options.claimedTime : signingTime?.toISOString()

  // B-T: a valid signature time-stamp proves the signature existed at its genTime; the signer certificate is
  // then judged at that time (ETSI EN 319 102-1 §5.6.2.1, POE from the time-stamp). With several, the earliest.
  let provenAt: Date | undefined
  const tokens = signerInfo.unsignedAttributes
    .filter((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken)
    .flatMap((attribute) => attribute.values)
  for (const token of tokens) {
    const proven = await checkTimestamp(token, signerInfo.signatureValue, options, checks, 'signature')
    if (proven !== undefined && (provenAt === undefined || proven < provenAt)) provenAt = proven
  }
  const poe =
    provenAt === undefined
      ? { time: options.at ?? new Date(), source: 'the validation time' }
      : { time: provenAt, source: 'a signature time-stamp' }

  const certificate = verification.signerCertificate
  if (certificate === undefined) {
    checks.push({
      id: 'certificate',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the CMS holds no signer certificate',
    })
    checks.push(checkCryptoConstraints(signatureUses(signerInfo, undefined), poe, 'cms.crypto-constraints'))
    return { checks, provenAt, signingTime: claimedTime, signerInfo, counterSignatures }
  }
  const intermediates = (options.intermediates ?? []).filter((other) => other !== certificate)
  const certificateReport = await checkCertificate(certificate, {
    ...options,
    at: poe.time,
    profile: options.profile ?? 'rgs2-signature',
    intermediates,
    onMalformed: 'report',
  })
  checks.push(certificateCheck(certificateReport, { proven: provenAt !== undefined, claimedTime }))
  const path = pathCertificates(certificateReport.chain, [certificate, ...intermediates, ...(options.anchors ?? [])])
  const uses = [...signatureUses(signerInfo, certificate), ...certificatePathUses(path)]
  checks.push(checkCryptoConstraints(uses, poe, 'cms.crypto-constraints'))
  return {
    checks,
    signer: signerOf(certificateReport),
    certificateReport,
    provenAt,
    signingTime: claimedTime,
    signerInfo,
    counterSignatures,
  }
}

/**
 * The algorithms a SignerInfo's signature rests on: its digest algorithm, the hashes its signature algorithm names
 * (PSS: the message and MGF1 hashes), and the scheme with the signer key's size.
 */
function signatureUses(signer: CmsSignerInfo, certificate: Uint8Array | undefined): AlgorithmUse[] {
  const by = 'the signature'
  const uses: AlgorithmUse[] = []
  const digest: CmsDigestAlgorithm | undefined = isCmsDigestAlgorithm(signer.digestAlgorithm) ? signer.digestAlgorithm : undefined
  if (digest !== undefined) uses.push({ by, algorithm: { digest } })
  const algorithm = signer.signatureAlgorithm
  const hash = signatureHash(algorithm, digest)
  if (hash !== undefined && hash !== digest) uses.push({ by, algorithm: { digest: hash } })
  if (algorithm.scheme === 'RSASSA-PSS' && algorithm.mgf1Hash !== hash) uses.push({ by, algorithm: { digest: algorithm.mgf1Hash } })
  const scheme = constrainedScheme(algorithm)
  // Without the certificate there is no key to weigh (NO_SIGNING_CERTIFICATE_FOUND says so already).
  if (scheme === undefined || certificate === undefined) return uses
  const strength = publicKeyStrength(certificate)
  uses.push({ by, algorithm: strength?.bits === undefined ? { scheme } : { scheme, keyBits: strength.bits } })
  return uses
}
