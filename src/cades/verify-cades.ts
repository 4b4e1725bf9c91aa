/**
 * Verifies CAdES signatures: a detached `.p7s` against the file it signs, or an enveloping `.p7m` — every signer
 * (co-signatures) and every counter-signature, with the policy layer's verdict on each certificate.
 *
 * @packageDocumentation
 */

import { readFile, stat } from 'node:fs/promises'
import { commitmentTypeName } from '../commitment.js'
import type { CmsSignaturePolicy } from '../cms/parse.js'
import { CMS_OIDS } from '../cms/oids.js'
import { judgeCmsSigners, type JudgeCmsOptions, type JudgedSigner, type SignedContent } from '../validation/judge-cms.js'
import type { CertificateReport } from '../policy/check-certificate.js'
import { decide, verdictCheck, type Check, type Verdict } from '../verdicts.js'
import { envelopedContentSource, fileChunks, readEnvelopedFile } from './enveloped.js'

/** The verdict on one SignerInfo (a signer or a counter-signer). */
export type CadesSignatureReport = Verdict & CadesSignatureFacts

/** What {@link CadesSignatureReport} says besides its verdict. */
export interface CadesSignatureFacts {
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  /** The signing-time attribute: claimed, not proven without a time-stamp. */
  readonly signingTime?: string
  /** ISO time proven by a valid signature time-stamp (CAdES B-T). */
  readonly timestamp?: string
  /** B-B, B-T, or B-LT when the CMS also carries revocation data. */
  readonly level: 'B-B' | 'B-T' | 'B-LT'
  /** CAdES-EPES: the policy named, its hash algorithm and base64 hash; or `implied`. */
  readonly policy?: { readonly oid: string; readonly hashAlgorithm: string; readonly hash: string; readonly uri?: string } | 'implied'
  /** The first commitment type's name (`approval`, `origin`…) or OID when it is none of ETSI's. */
  readonly commitmentType?: string
  /** Every commitment type indicated, named the same way, when there are several. */
  readonly commitmentTypes?: readonly string[]
  readonly checks: readonly Check[]
  readonly certificate?: CertificateReport
  /** Counter-signatures on this signature (RFC 5652 §11.4), each judged the same way. */
  readonly counterSignatures: readonly CadesSignatureReport[]
}

/** The verdict on a CAdES file: the worst of its signatures' (counter-signatures included). */
export type CadesVerificationReport = Verdict & CadesFileFacts

/** What {@link CadesVerificationReport} says besides its verdict. */
export interface CadesFileFacts {
  /** The .p7s or .p7m. */
  readonly file?: string
  /** The signed file; for a .p7m, "(enveloped)"; "(content not found)" for a detached one with no content. */
  readonly content: string
  readonly kind: 'cades'
  readonly packaging: 'detached' | 'enveloping'
  /** Bytes of signed content. */
  readonly contentLength?: number
  readonly signatures: readonly CadesSignatureReport[]
  readonly checks: readonly Check[]
}

/** Options of {@link verifyCadesFile} and {@link verifyCades}. */
export type VerifyCadesOptions = Omit<JudgeCmsOptions, 'what' | 'essRequired' | 'content' | 'claimedTime'> & { readonly file?: string }

/**
 * Verifies `p7s` (DER) as a detached signature of the file at `contentPath`, hashing the file while reading it.
 *
 * @example
 * ```ts
 * const report = await verifyCadesFile(await readFile('offre.zip.p7s'), 'offre.zip', { anchors: [caDer] })
 * ```
 */
export async function verifyCadesFile(
  p7s: Uint8Array,
  contentPath: string,
  options: VerifyCadesOptions = {},
): Promise<CadesVerificationReport> {
  const judged = await judge(p7s, options.file ?? 'the .p7s', () => fileChunks(contentPath), options)
  return report(options.file, contentPath, 'detached', judged)
}

/**
 * Verifies a CAdES file: enveloping (`.p7m`, the content inside, streamed from the file) or detached (the content
 * is `content`, else the file named like the signature without its `.p7s`, `.p7m`, `.pkcs7`, `.p7`, `.sig` or
 * `.cms` extension). A detached signature whose content is in neither place is judged all the same, and its
 * signatures are INDETERMINATE (SIGNED_DATA_NOT_FOUND): the signature values can be checked, what they sign
 * cannot.
 *
 * @example
 * ```ts
 * const report = await verifyCades('deliberation.pdf.p7m', { anchors: [caDer] })
 * console.log(report.indication, report.signatures.length)
 * ```
 */
export async function verifyCades(
  path: string,
  options: VerifyCadesOptions & { readonly content?: string } = {},
): Promise<CadesVerificationReport> {
  const enveloped = await readEnvelopedFile(path)
  const file = options.file ?? path
  if (enveloped === undefined) {
    const contentPath = options.content ?? (await contentBeside(path))
    if (contentPath !== undefined) return verifyCadesFile(await readFile(path), contentPath, { ...options, file })
    const judged = await judge(await readFile(path), file, undefined, options)
    return report(file, '(content not found)', 'detached', judged)
  }
  const judged = await judge(enveloped.detached, file, envelopedContentSource(enveloped.content), options)
  return { ...report(file, '(enveloped)', 'enveloping', judged), contentLength: enveloped.contentLength }
}

// The extensions a detached CMS signature is named with, after the name of the file it signs.
const SIGNATURE_EXTENSIONS = /\.(p7s|p7m|pkcs7|p7|sig|cms)$/i

/** The file a detached signature at `path` signs when it lies beside it, named without the signature extension. */
async function contentBeside(path: string): Promise<string | undefined> {
  const candidate = path.replace(SIGNATURE_EXTENSIONS, '')
  if (candidate === path) return undefined
  try {
    return (await stat(candidate)).isFile() ? candidate : undefined
  } catch {
    return undefined
  }
}

/** Every SignerInfo judged as CAdES baseline wants it (ESS signing-certificate-v2 required). */
function judge(
  der: Uint8Array,
  what: string,
  content: SignedContent | undefined,
  options: VerifyCadesOptions,
): ReturnType<typeof judgeCmsSigners> {
  return judgeCmsSigners(der, { ...options, what, essRequired: true, content })
}

function report(
  file: string | undefined,
  content: string,
  packaging: 'detached' | 'enveloping',
  { cms, signers }: Awaited<ReturnType<typeof judgeCmsSigners>>,
): CadesVerificationReport {
  // Revocation data inside the SignedData makes its time-stamped signatures B-LT.
  const lt = cms !== undefined && cms.crls.length + cms.ocspResponses.length > 0
  const signatures = signers.map((signer) => signatureReport(signer, lt))
  const worst = decide(flatten(signatures))
  return { file, content, kind: 'cades', packaging, ...worst, signatures, checks: [] }
}

function flatten(signatures: readonly CadesSignatureReport[], of = ''): Check[] {
  return signatures.flatMap((signature, k) => {
    const name = of === '' ? `signature ${k + 1}` : `counter-signature ${k + 1} of ${of}`
    return [verdictCheck('signature', signature, name), ...flatten(signature.counterSignatures, name)]
  })
}

function signatureReport(judged: JudgedSigner, lt: boolean): CadesSignatureReport {
  const attributes = judged.signerInfo?.attributes
  const timestamped = judged.signerInfo?.unsignedAttributes.some((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken) ?? false
  return {
    ...decide(judged.checks, { signature: true }),
    signer: judged.signer,
    signingTime: judged.signingTime,
    timestamp: judged.provenAt?.toISOString(),
    level: timestamped ? (lt ? 'B-LT' : 'B-T') : 'B-B',
    ...(attributes?.signaturePolicy === undefined ? {} : { policy: policyReport(attributes.signaturePolicy) }),
    ...commitmentReport(attributes?.commitmentTypes ?? []),
    checks: judged.checks,
    certificate: judged.certificateReport,
    counterSignatures: judged.counterSignatures.map((counter) => signatureReport(counter, lt)),
  }
}

function commitmentReport(oids: readonly string[]): Pick<CadesSignatureFacts, 'commitmentType' | 'commitmentTypes'> {
  const names = oids.map((oid) => commitmentTypeName(oid) ?? oid)
  if (names[0] === undefined) return {}
  return names.length === 1 ? { commitmentType: names[0] } : { commitmentType: names[0], commitmentTypes: names }
}

function policyReport(policy: CmsSignaturePolicy): CadesSignatureReport['policy'] {
  if ('implied' in policy) return 'implied'
  return {
    oid: policy.oid,
    hashAlgorithm: policy.hashAlgorithm,
    hash: Buffer.from(policy.hash).toString('base64'),
    ...(policy.uri === undefined ? {} : { uri: policy.uri }),
  }
}
