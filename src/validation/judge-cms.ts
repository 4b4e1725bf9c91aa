// The checks of one CMS signature whatever carries it (a PDF's /Contents, a .p7s): digest, signature, ESS
// signing-certificate-v2, content type, signature time-stamp, and the signer certificate through the policy layer.

import { CMS_OIDS } from '../cms/oids.js'
import { parseCms, type CmsSignerInfo, type ParsedCms } from '../cms/parse.js'
import { verifySignerInfo } from '../cms/verify.js'
import { SceauError } from '../errors.js'
import { checkCertificate, type CertificateReport, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import type { Check } from '../verdicts.js'
import { certificateCheck } from './certificate-check.js'
import { oncePerHash } from '../signer/hash-file.js'
import type { DigestAlgorithm } from '../types.js'
import { describeCertificate } from '../x509/describe.js'
import { checkTimestamp } from './check-timestamp.js'

/** Options of {@link judgeCmsSignature}. */
export interface JudgeCmsOptions extends Omit<CheckCertificateOptions, 'profile' | 'at'> {
  readonly at?: Date
  readonly profile?: ProfileName
  /** Names the CMS in messages ("/Contents", the .p7s file). */
  readonly what: string
  /** PAdES ETSI.CAdES.detached and CAdES baseline require ESS signing-certificate-v2; adbe.pkcs7.detached does not. */
  readonly essRequired: boolean
  /** The signing time the signature claims (ISO), for the report on an expired signer. */
  readonly claimedTime?: string
  /** The digest of the signed content; computed once the CMS says which hash it used. */
  readonly digestOf: (hash: 'SHA-1' | DigestAlgorithm) => Uint8Array | Promise<Uint8Array>
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

/** Judges the first SignerInfo of a CMS SignedData over a detached content (PAdES has exactly one). */
export async function judgeCmsSignature(der: Uint8Array, options: JudgeCmsOptions): Promise<JudgedCms> {
  const { signers } = await judgeCmsSigners(der, options)
  return signers[0] as JudgedSigner
}

/**
 * Judges every SignerInfo of a CMS SignedData (co-signatures) and every counter-signature on them. The content is
 * hashed once per digest algorithm the signers use. Revocation data and certificates the CMS carries (CAdES B-LT)
 * are used beside the caller's.
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
  const digestOf = oncePerHash(options.digestOf)
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
  const signers: JudgedSigner[] = []
  for (const signer of cms.signers) signers.push(await judgeSigner(cms, signer, effective, digestOf, undefined, 0))
  return { cms, signers }
}

async function judgeSigner(
  cms: ParsedCms,
  signerInfo: CmsSignerInfo,
  options: JudgeCmsOptions,
  digestOf: (hash: 'SHA-1' | DigestAlgorithm) => Promise<Uint8Array>,
  counterSigned: CmsSignerInfo | undefined,
  depth: number,
): Promise<JudgedSigner> {
  const checks: Check[] = []
  const counterSignatures: JudgedSigner[] = []
  for (const counter of signerInfo.counterSignatures) {
    counterSignatures.push(await judgeSigner(cms, counter, options, digestOf, signerInfo, depth + 1))
  }
  const cmsDigest = String(signerInfo.digestAlgorithm)
  if (!['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].includes(cmsDigest)) {
    checks.push({
      id: 'cms.digest',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `digest ${cmsDigest} not supported`,
    })
    return { checks, signerInfo, counterSignatures }
  }
  // A counter-signature's digest is over the counter-signed signature value, which verifySignerInfo hashes itself.
  const contentDigest = counterSigned === undefined ? await digestOf(cmsDigest as 'SHA-1' | DigestAlgorithm) : new Uint8Array()
  const verification = verifySignerInfo(cms, signerInfo, { contentDigest }, counterSigned)
  for (const check of verification.checks) {
    // adbe.pkcs7.detached predates ESS signing-certificate: its absence there is worth a word, not a verdict.
    const essOptional = check.id === 'signing-certificate-v2' && !options.essRequired && check.status !== 'pass'
    checks.push(essOptional ? { id: `cms.${check.id}`, status: 'warning', reason: check.reason } : { ...check, id: `cms.${check.id}` })
  }
  const signingTime = signerInfo.attributes.signingTime
  const claimedTime = depth === 0 && options.claimedTime !== undefined ? options.claimedTime : signingTime?.toISOString()

  // B-T: a valid signature time-stamp proves the signature existed at its genTime; the signer certificate is
  // then judged at that time (ETSI EN 319 102-1 §5.6.2.1, POE from the time-stamp).
  let provenAt: Date | undefined
  const timestamp = signerInfo.unsignedAttributes.find((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken)
  const token = timestamp?.values[0]
  if (token !== undefined) provenAt = await checkTimestamp(token, signerInfo.signatureValue, options, checks, 'signature')

  const certificate = verification.signerCertificate
  if (certificate === undefined) {
    checks.push({
      id: 'certificate',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the CMS holds no signer certificate',
    })
    return { checks, provenAt, signingTime: claimedTime, signerInfo, counterSignatures }
  }
  const info = describeCertificate(certificate)
  const certificateReport = await checkCertificate(certificate, {
    ...options,
    at: provenAt ?? options.at ?? new Date(),
    profile: options.profile ?? 'rgs2-signature',
    intermediates: (options.intermediates ?? []).filter((other) => other !== certificate),
  })
  checks.push(certificateCheck(certificateReport, { proven: provenAt !== undefined, claimedTime }))
  return {
    checks,
    signer: { subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() },
    certificateReport,
    provenAt,
    signingTime: claimedTime,
    signerInfo,
    counterSignatures,
  }
}
