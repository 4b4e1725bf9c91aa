/**
 * Verifies a detached CAdES signature (`.p7s`) against the file it signs.
 *
 * @packageDocumentation
 */

import { judgeCmsSignature, type JudgeCmsOptions } from '../pades/judge-cms.js'
import type { CertificateReport } from '../policy/check-certificate.js'
import { decide, type Indication, type SignatureCheck } from '../policy/signature-verdict.js'
import { hashFile } from './sign-cades.js'

/** The verdict on a detached CAdES signature. */
export interface CadesVerificationReport {
  /** The .p7s. */
  readonly file?: string
  /** The signed file. */
  readonly content: string
  readonly kind: 'cades'
  readonly indication: Indication
  readonly subIndication?: string
  readonly signatures: readonly {
    readonly indication: Indication
    readonly subIndication?: string
    readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
    /** The signing-time attribute: claimed, not proven without a time-stamp. */
    readonly signingTime?: string
    /** ISO time proven by a valid signature time-stamp (CAdES B-T). */
    readonly timestamp?: string
    readonly checks: readonly SignatureCheck[]
    readonly certificate?: CertificateReport
  }[]
  readonly checks: readonly SignatureCheck[]
}

/** Options of {@link verifyCadesFile}. */
export type VerifyCadesOptions = Omit<JudgeCmsOptions, 'what' | 'essRequired' | 'digestOf' | 'claimedTime'> & { readonly file?: string }

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
  const judged = await judgeCmsSignature(p7s, {
    ...options,
    what: options.file ?? 'the .p7s',
    essRequired: true,
    digestOf: (hash) => hashFile(contentPath, hash),
  })
  const signature = {
    ...decide(judged.checks),
    signer: judged.signer,
    signingTime: judged.signingTime,
    timestamp: judged.provenAt?.toISOString(),
    checks: judged.checks,
    certificate: judged.certificateReport,
  }
  return { file: options.file, content: contentPath, kind: 'cades', ...decide(judged.checks), signatures: [signature], checks: [] }
}
