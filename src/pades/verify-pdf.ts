/**
 * Verifies every signature of a PDF: what its byte range covers, the CMS (digest, signature, signing certificate
 * reference), and the signer certificate through the policy layer, with ETSI-style verdicts.
 *
 * @packageDocumentation
 */

import { SceauError } from '../errors.js'
import type { CertificateReport, CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import { decide, verdictCheck, type Check, type Verdict } from '../verdicts.js'
import { readTlv } from '../x509/der.js'
import { changesAfter, type PdfChanges } from './pdf/changes.js'
import { readDss } from './pdf/dss.js'
import { dictOf, isName, isString } from './pdf/objects.js'
import { docMdpPermissions } from './pdf/prepare-signature.js'
import { readPdf, textOf, type PdfDocument, type PdfSignatureField } from './pdf/read-pdf.js'
import { checkTimestamp } from '../validation/check-timestamp.js'
import { judgeCmsSignature } from '../validation/judge-cms.js'

/** The verdict on one PDF signature. */
export type PdfSignatureReport = Verdict & PdfSignatureFacts

/** What {@link PdfSignatureReport} says besides its verdict. */
export interface PdfSignatureFacts {
  /** Fully qualified field name. */
  readonly field: string
  readonly subFilter?: string
  readonly byteRange: readonly number[]
  /** True when the byte range reaches the end of the file: nothing was added after this signature. */
  readonly coversWholeDocument: boolean
  /** Bytes of later revisions (incremental updates made after this signature). */
  readonly bytesAfter: number
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  /** /M: claimed, not proven without a time-stamp. */
  readonly signingTime?: string
  /** ISO time proven by a valid signature time-stamp (PAdES B-T), or by this document time-stamp. */
  readonly timestamp?: string
  /** True for a document time-stamp (/DocTimeStamp, ETSI.RFC3161: PAdES B-LTA), which has no signer. */
  readonly documentTimestamp?: boolean
  readonly reason?: string
  readonly location?: string
  /** Set on a certification signature (DocMDP): the changes it allows after it, 1 none, 2 forms and signing, 3 also annotations. */
  readonly certification?: { readonly permissions: 1 | 2 | 3 }
  /** What the later revisions changed, when there are any: what signing, time-stamping and LTV do, and the rest. */
  readonly changesAfter?: PdfChanges
  readonly checks: readonly Check[]
  readonly certificate?: CertificateReport
}

/** The verdict on a PDF: the worst of its signatures and of the document checks. */
export type PdfVerificationReport = Verdict & PdfDocumentFacts

/** What {@link PdfVerificationReport} says besides its verdict. */
export interface PdfDocumentFacts {
  readonly file?: string
  readonly kind: 'pdf'
  readonly signatures: readonly PdfSignatureReport[]
  readonly checks: readonly Check[]
}

/** Options of {@link verifyPdf}. */
export interface VerifyPdfOptions extends Omit<CheckCertificateOptions, 'at' | 'profile'> {
  readonly file?: string
  /** Validation time; default now. */
  readonly at?: Date
  /** Certificate profile; default `rgs2-signature` (an agent's RGS** signature certificate). */
  readonly profile?: ProfileName
}

/**
 * Verifies every signature field of a PDF that carries a value.
 *
 * @throws SceauError INPUT_MALFORMED when the file is not a readable PDF (a bad signature is a verdict, not a throw).
 *
 * @example
 * ```ts
 * const report = await verifyPdf(await readFile('deliberation-signed.pdf'), { anchors: [caDer] })
 * for (const signature of report.signatures) console.log(signature.field, signature.indication, signature.coversWholeDocument)
 * ```
 */
export async function verifyPdf(input: Uint8Array, options: VerifyPdfOptions = {}): Promise<PdfVerificationReport> {
  const pdf = readPdf(input)
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const dss = readDss(pdf)
  // PAdES B-LT: the validation data stored in the PDF joins what the caller gave, so no network is needed.
  const effective: VerifyPdfOptions = dss
    ? {
        ...options,
        intermediates: [...(options.intermediates ?? []), ...dss.certificates],
        revocation: {
          ...options.revocation,
          crls: [...(options.revocation?.crls ?? []), ...dss.crls],
          ocspResponses: [...(options.revocation?.ocspResponses ?? []), ...dss.ocsps],
        },
      }
    : options
  const dssCheck: Check | undefined = dss && {
    id: 'pdf.dss',
    status: 'pass',
    reason: `DSS with ${dss.certificates.length} certificates, ${dss.crls.length} CRLs, ${dss.ocsps.length} OCSP responses`,
  }
  const signatures: PdfSignatureReport[] = []
  for (const field of pdf.signatures) {
    const report = await verifyField(bytes, pdf.getObject.bind(pdf), field, effective)
    const sig = field.sigRef === undefined ? undefined : dictOf(pdf.getObject(field.sigRef))
    const permissions = sig && docMdpPermissions(sig, pdf.resolve.bind(pdf))
    const certified = permissions === undefined ? report : { ...report, certification: { permissions } }
    const changes = laterChanges(pdf, field, certified)
    const checked = changes ? { ...certified, changesAfter: changes.changes, checks: [...certified.checks, changes.check] } : certified
    const withDss = dssCheck ? { ...checked, checks: [...checked.checks, dssCheck] } : checked
    signatures.push({ ...withDss, ...decide(withDss.checks) })
  }
  const checks: Check[] =
    signatures.length === 0
      ? [{ id: 'pdf.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the PDF has no signature' }]
      : [{ id: 'pdf.signed', status: 'pass', reason: `${signatures.length} signature(s)` }]
  const docMdp = docMdpCheck(signatures)
  if (docMdp) checks.push(docMdp)
  const verdict = decide([
    ...signatures.map((signature) => verdictCheck('signature', signature, `signature ${signature.field}`)),
    ...checks,
  ])
  return { file: options.file, kind: 'pdf', ...verdict, signatures, checks }
}

async function verifyField(
  bytes: Buffer,
  getObject: ReturnType<typeof readPdf>['getObject'],
  field: PdfSignatureField,
  options: VerifyPdfOptions,
): Promise<PdfSignatureFacts> {
  const checks: Check[] = []
  const sig = field.sigRef === undefined ? undefined : dictOf(getObject(field.sigRef))
  const text = (key: string): string | undefined => {
    const value = sig?.entries.get(key)
    return isString(value) ? textOf(value) : undefined
  }
  const subFilterValue = sig?.entries.get('SubFilter')
  const subFilter = isName(subFilterValue) ? subFilterValue.name : undefined
  const [a = -1, b = -1, c = -1, d = -1] = field.byteRange
  const end = c + d
  const base = {
    field: field.name,
    subFilter,
    byteRange: field.byteRange,
    coversWholeDocument: end === bytes.length,
    bytesAfter: Math.max(0, bytes.length - end),
    signingTime: text('M'),
    reason: text('Reason'),
    location: text('Location'),
  }

  // The byte range must be the whole file up to this revision, less exactly the /Contents string.
  const gapMatches = field.contentsStart === undefined || (a + b === field.contentsStart && c === field.contentsEnd)
  if (field.byteRange.length !== 4 || a !== 0 || b <= 0 || c < a + b || d < 0 || end > bytes.length || !gapMatches) {
    checks.push({
      id: 'pdf.byte-range',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `/ByteRange [${field.byteRange.join(' ')}] does not cover the file up to this revision less the /Contents string`,
    })
    return { ...base, checks }
  }
  checks.push({
    id: 'pdf.byte-range',
    status: 'pass',
    reason: base.coversWholeDocument
      ? 'covers the whole file but its own /Contents'
      : `covers the file up to byte ${end}; ${bytes.length - end} bytes of later revisions follow (incremental updates)`,
  })
  if (subFilter === 'ETSI.RFC3161') {
    // A document time-stamp (B-LTA): the token's imprint is over the byte ranges; it proves the file up to here.
    const token = field.contents.subarray(0, readTlv(field.contents, 0)?.end ?? field.contents.length)
    const covered = Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, end)])
    const provenAt = await checkTimestamp(token, covered, options, checks, 'document')
    return { ...base, documentTimestamp: true, timestamp: provenAt?.toISOString(), checks }
  }
  if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached') {
    checks.push({
      id: 'pdf.sub-filter',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: `/SubFilter ${subFilter ?? '(none)'} is not verified by sceau (ETSI.CAdES.detached and adbe.pkcs7.detached are)`,
    })
    return { ...base, checks }
  }

  const judged = await judgeCmsSignature(field.contents, {
    ...options,
    what: '/Contents',
    essRequired: subFilter !== 'adbe.pkcs7.detached',
    claimedTime: pdfDateToIso(base.signingTime),
    content: () => [bytes.subarray(a, a + b), bytes.subarray(c, end)],
  })
  checks.push(...judged.checks)
  const { signer, certificateReport, provenAt } = judged
  return { ...base, signer, timestamp: provenAt?.toISOString(), checks, certificate: certificateReport }
}

/**
 * What the revisions after a signature changed. A signature covers only its own revision, so a later update can
 * replace a page's content and the signature still verifies: whatever is not signing, time-stamping or validation
 * data is a warning, and fails a certification, which promised the document would not change that way.
 */
function laterChanges(
  pdf: PdfDocument,
  field: PdfSignatureField,
  report: PdfSignatureFacts,
): { changes: PdfChanges; check: Check } | undefined {
  const byteRange = report.checks.find((check) => check.id === 'pdf.byte-range')
  if (report.coversWholeDocument || byteRange?.status !== 'pass') return undefined
  const [, , c = 0, d = 0] = field.byteRange
  let changes: PdfChanges
  try {
    changes = changesAfter(pdf, readPdf(pdf.bytes.subarray(0, c + d)))
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    const check: Check = {
      id: 'pdf.changes',
      status: 'warning',
      reason: `the revision this signature covers cannot be read on its own (${err.message}): what later revisions changed is unknown`,
    }
    return { changes: { allowed: [], suspicious: [] }, check }
  }
  if (changes.suspicious.length === 0) {
    const check: Check = {
      id: 'pdf.changes',
      status: 'pass',
      reason: `later revisions only add signatures, time-stamps, validation data: ${changes.allowed.join('; ')}`,
    }
    return { changes, check }
  }
  const reason = `later revisions change the signed document: ${changes.suspicious.join('; ')}`
  const check: Check =
    report.certification === undefined
      ? { id: 'pdf.changes', status: 'warning', reason }
      : { id: 'pdf.changes', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: `${reason} (not allowed by the certification)` }
  return { changes, check }
}

/**
 * Whether what follows a certification signature is what it allows. P=1 allows nothing, so any later revision
 * fails. For P=2 and P=3 the later revisions are judged signature by signature (`pdf.changes`): this check only
 * reports the later signatures.
 */
function docMdpCheck(signatures: readonly PdfSignatureReport[]): Check | undefined {
  const index = signatures.findIndex((signature) => signature.certification !== undefined)
  const certifying = signatures[index]
  if (certifying?.certification === undefined) return undefined
  const { permissions } = certifying.certification
  const later = signatures.length - index - 1
  if (permissions === 1 && certifying.bytesAfter > 0) {
    return {
      id: 'pdf.docmdp',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `${certifying.field} allows no changes (P=1) but ${certifying.bytesAfter} bytes follow it: changes after a certification that allows none`,
    }
  }
  return {
    id: 'pdf.docmdp',
    status: 'pass',
    reason: `${certifying.field} certifies the PDF (P=${permissions}); ${later} later signature(s)`,
  }
}

/** `D:YYYYMMDDHHmmSS+HH'mm'` (the /M form) as ISO 8601, or undefined. */
function pdfDateToIso(value: string | undefined): string | undefined {
  const match = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(value ?? '')
  if (match === null) return undefined
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00', zone = 'Z'] = match
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.replace(/'/g, '').slice(3, 5)}`
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`
}
