/**
 * Verifies every signature of a PDF: what its byte range covers, the CMS (digest, signature, signing certificate
 * reference), and the signer certificate through the policy layer, with ETSI-style verdicts.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'
import { SceauError } from '../errors.js'
import type { CertificateReport, CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import { decide, verdictCheck, type Check, type Verdict } from '../verdicts.js'
import { readTlv } from '../x509/der.js'
import { parseCms } from '../cms/parse.js'
import { describeCertificate } from '../x509/describe.js'
import { readDss } from './pdf/dss.js'
import { dictOf, isName, isString } from './pdf/objects.js'
import { docMdpPermissions } from './pdf/prepare-signature.js'
import { readPdf, textOf, type PdfSignatureField } from './pdf/read-pdf.js'
import { isRevisionEnd } from './pdf/revisions.js'
import { checkTimestamp } from '../validation/check-timestamp.js'
import { checkCryptoConstraints } from '../validation/crypto-constraints.js'
import { judgeCmsSigners, type JudgedCms } from '../validation/judge-cms.js'
import { type DocMdpLevel, type JudgedChange, Revisions, judgeLaterRevisions } from './judge-changes.js'

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
  /**
   * What the later revisions changed, when there are any, each with what it does to this signature: pass
   * (signatures, time-stamps, validation data, and what the DocMDP level allows), warning, or fail.
   */
  readonly changesAfter?: readonly JudgedChange[]
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
  // A damaged cross-reference table is rebuilt by scanning, as readers do: the signatures can still be judged.
  const pdf = readPdf(input, { recover: true })
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const revisions = new Revisions(pdf)
  const dss = readDss(pdf)
  // A DSS entry that is not a certificate (a content stream listed there by an attacker, junk) is no certificate to
  // build paths with; the change analysis says why it is there.
  const dssCertificates = dss?.certificates.filter(isCertificate) ?? []
  // PAdES B-LT: the validation data stored in the PDF joins what the caller gave, so no network is needed.
  const effective: VerifyPdfOptions = dss
    ? {
        ...options,
        intermediates: [...(options.intermediates ?? []), ...dssCertificates],
        revocation: {
          ...options.revocation,
          crls: [...(options.revocation?.crls ?? []), ...dss.crls],
          ocspResponses: [...(options.revocation?.ocspResponses ?? []), ...dss.ocsps],
        },
      }
    : options
  const skipped = (dss?.certificates.length ?? 0) - dssCertificates.length
  const dssCheck: Check | undefined = dss && {
    id: 'pdf.dss',
    status: skipped > 0 ? 'warning' : 'pass',
    reason: `DSS with ${dssCertificates.length} certificates, ${dss.crls.length} CRLs, ${dss.ocsps.length} OCSP responses${skipped > 0 ? `; ${skipped} /Certs entries are not X.509 certificates and were ignored` : ''}`,
  }
  const certification = certificationOf(pdf)
  const signatures: PdfSignatureReport[] = []
  for (const field of pdf.signatures) {
    const report = await verifyField(bytes, revisions, field, effective)
    const permissions = certification && field.sigRef?.num === certification.field.sigRef?.num ? certification.permissions : undefined
    const certified = permissions === undefined ? report : { ...report, certification: { permissions } }
    // The certification governs every change after it, whichever signature they follow (ISO 32000-1 §12.8.2.2).
    const governing = certification && signedEnd(field) >= signedEnd(certification.field) ? certification.permissions : undefined
    const later = laterChanges(revisions, field, certified, governing)
    const checked = later ? { ...certified, changesAfter: later.changes, checks: [...certified.checks, ...later.checks] } : certified
    const withDss = dssCheck ? { ...checked, checks: [...checked.checks, dssCheck] } : checked
    signatures.push({ ...withDss, ...decide(withDss.checks, { signature: true }) })
  }
  const checks: Check[] =
    signatures.length === 0
      ? [{ id: 'pdf.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the PDF has no signature' }]
      : [{ id: 'pdf.signed', status: 'pass', reason: `${signatures.length} signature(s)` }]
  if (pdf.recovered !== undefined) {
    checks.push({
      id: 'pdf.xref',
      status: 'warning',
      reason: `the cross-reference data is damaged (${pdf.recovered}): the objects were located by scanning the file`,
    })
  }
  const docMdp = certification && docMdpCheck(pdf.signatures, certification)
  if (docMdp) checks.push(docMdp)
  const verdict = decide([
    ...signatures.map((signature) => verdictCheck('signature', signature, `signature ${signature.field}`)),
    ...checks,
  ])
  return { file: options.file, kind: 'pdf', ...verdict, signatures, checks }
}

function isCertificate(der: Uint8Array): boolean {
  try {
    describeCertificate(der)
    return true
  } catch (err) {
    if (err instanceof SceauError) return false
    throw err
  }
}

/** Where a signature's signed revision ends: the end of its second byte range. */
function signedEnd(field: PdfSignatureField): number {
  const [, , c = 0, d = 0] = field.byteRange
  return c + d
}

/** The certification signature (the one with a DocMDP reference) and its permissions, if the PDF has one. */
function certificationOf(pdf: ReturnType<typeof readPdf>): { field: PdfSignatureField; permissions: 1 | 2 | 3 } | undefined {
  for (const field of pdf.signatures) {
    const sig = field.sigRef === undefined ? undefined : dictOf(pdf.getObject(field.sigRef))
    const permissions = sig && docMdpPermissions(sig, pdf.resolve.bind(pdf))
    if (permissions !== undefined) return { field, permissions }
  }
  return undefined
}

async function verifyField(
  bytes: Buffer,
  revisions: Revisions,
  field: PdfSignatureField,
  options: VerifyPdfOptions,
): Promise<PdfSignatureFacts> {
  const checks: Check[] = []
  const pdf = revisions.full
  const sig = field.sigRef === undefined ? undefined : dictOf(pdf.getObject(field.sigRef))
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

  // The byte range must be the whole file up to this revision, less exactly the /Contents string of this signature
  // dictionary as the signed revision has it (a later revision may have moved or rewritten the dictionary).
  const gap = contentsGap(revisions, field, end)
  const gapMatches = gap === undefined || (a + b === gap.start && c === gap.end)
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
  // What was signed sits in the gap the byte range leaves, whatever a later revision says the /Contents is.
  const contents = hexString(bytes.subarray(a + b, c)) ?? field.contents
  const covered = (): Buffer => Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, end)])
  if (subFilter === 'ETSI.RFC3161') {
    // A document time-stamp (B-LTA): the token's imprint is over the byte ranges; it proves the file up to here.
    const token = contents.subarray(0, readTlv(contents, 0)?.end ?? contents.length)
    const provenAt = await checkTimestamp(token, covered(), options, checks, 'document')
    return { ...base, documentTimestamp: true, timestamp: provenAt?.toISOString(), checks }
  }
  if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached' && subFilter !== 'adbe.pkcs7.sha1') {
    checks.push({
      id: 'pdf.sub-filter',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: `/SubFilter ${subFilter ?? '(none)'} is not verified by sceau (ETSI.CAdES.detached, adbe.pkcs7.detached and adbe.pkcs7.sha1 are)`,
    })
    return { ...base, checks }
  }

  // adbe.pkcs7.sha1 (ISO 32000-1 §12.8.3.3.1): the CMS encapsulates the SHA-1 digest of the byte ranges and signs
  // that; the detached forms sign the byte ranges themselves and must not encapsulate anything.
  const sha1 = subFilter === 'adbe.pkcs7.sha1'
  const encapsulated = sha1 ? encapsulatedContent(contents) : undefined
  const { cms, signers } = await judgeCmsSigners(contents, {
    ...options,
    what: '/Contents',
    essRequired: subFilter === 'ETSI.CAdES.detached',
    claimedTime: pdfDateToIso(base.signingTime),
    // adbe.pkcs7.sha1 signs the encapsulated digest, the detached forms the byte ranges.
    content: sha1 ? () => [encapsulated ?? new Uint8Array()] : () => [bytes.subarray(a, a + b), bytes.subarray(c, end)],
  })
  if (cms !== undefined && !sha1 && cms.content !== undefined) {
    checks.push({
      id: 'pdf.econtent',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `/SubFilter ${subFilter} signs the byte ranges as detached content, but the CMS encapsulates ${cms.content.length} bytes of content (ISO 32000-1 §12.8.3.3.1, EN 319 142-1 §6.3)`,
    })
  }
  if (cms !== undefined && sha1) {
    const digest = createHash('sha1').update(covered()).digest()
    const content = cms.content
    checks.push(
      content !== undefined && digest.equals(Buffer.from(content))
        ? {
            id: 'pdf.sha1-content',
            status: 'pass',
            reason: 'the encapsulated content is the SHA-1 digest of the byte ranges (adbe.pkcs7.sha1)',
          }
        : {
            id: 'pdf.sha1-content',
            status: 'fail',
            subIndication: 'HASH_FAILURE',
            reason:
              content === undefined
                ? 'adbe.pkcs7.sha1 needs the SHA-1 digest of the byte ranges as encapsulated content, and the CMS has none'
                : 'the encapsulated content is not the SHA-1 digest of the byte ranges (adbe.pkcs7.sha1)',
          },
    )
  }
  const judged: JudgedCms = signers[0] ?? {
    checks: [{ id: 'cms.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: '/Contents: the CMS has no SignerInfo' }],
  }
  checks.push(...judged.checks)
  const { signer, certificateReport, provenAt } = judged
  if (sha1) {
    // The byte ranges are bound to the signature through SHA-1 alone, whatever digest the CMS itself uses: judged
    // by the dated constraints (ETSI TS 119 312) at the time a time-stamp proves, else at the validation time.
    const poe = provenAt
      ? { time: provenAt, source: 'a signature time-stamp' }
      : { time: options.at ?? new Date(), source: 'the validation time' }
    checks.push(
      checkCryptoConstraints(
        [{ by: 'the SHA-1 digest of the byte ranges (adbe.pkcs7.sha1)', algorithm: { digest: 'SHA-1' } }],
        poe,
        'pdf.sha1-constraints',
      ),
    )
  }
  return { ...base, signer, timestamp: provenAt?.toISOString(), checks, certificate: certificateReport }
}

/** The encapsulated content of a CMS, or undefined when it has none or cannot be read (judged elsewhere). */
function encapsulatedContent(der: Uint8Array): Uint8Array | undefined {
  try {
    return parseCms(der).content
  } catch (err) {
    if (err instanceof SceauError) return undefined
    throw err
  }
}

/** The offsets of `<` and past `>` of this signature's /Contents in the revision it signs, when they can be told. */
function contentsGap(revisions: Revisions, field: PdfSignatureField, end: number): { start: number; end: number } | undefined {
  const fallback =
    field.contentsStart === undefined || field.contentsEnd === undefined
      ? undefined
      : { start: field.contentsStart, end: field.contentsEnd }
  if (field.sigRef === undefined || end > revisions.full.bytes.length || !isRevisionEnd(revisions.full.bytes, end)) return fallback
  const signed = revisions.at(end)
  if (signed instanceof SceauError) return fallback
  const contents = dictOf(signed.getObject(field.sigRef))?.entries.get('Contents')
  return isString(contents) && contents.start !== undefined && contents.end !== undefined
    ? { start: contents.start, end: contents.end }
    : fallback
}

/** The bytes of a `<hex>` string that fills exactly `gap`, or undefined. */
function hexString(gap: Uint8Array): Uint8Array | undefined {
  const text = Buffer.from(gap).toString('latin1')
  const match = /^<([0-9A-Fa-f\s]*)>$/.exec(text)
  if (!match) return undefined
  const digits = (match[1] ?? '').replace(/\s/g, '')
  return new Uint8Array(Buffer.from(digits.length % 2 === 1 ? `${digits}0` : digits, 'hex'))
}

/**
 * What the revisions after a signature changed, judged (src/pades/judge-changes.ts). A signature covers only its
 * own revision, so a later update can replace a page's content and the signature still verifies.
 */
function laterChanges(
  revisions: Revisions,
  field: PdfSignatureField,
  report: PdfSignatureFacts,
  permissions: DocMdpLevel,
): { changes: readonly JudgedChange[]; checks: Check[] } | undefined {
  const byteRange = report.checks.find((check) => check.id === 'pdf.byte-range')
  if (report.coversWholeDocument || byteRange?.status !== 'pass') return undefined
  return judgeLaterRevisions(revisions, signedEnd(field), permissions)
}

/**
 * The certification must be the first signature of the document (ISO 32000-1 §12.8.2.2.1); what may follow it is
 * judged signature by signature (`pdf.changes`).
 */
function docMdpCheck(fields: readonly PdfSignatureField[], certification: { field: PdfSignatureField; permissions: 1 | 2 | 3 }): Check {
  const first = [...fields].sort((x, y) => signedEnd(x) - signedEnd(y))[0]
  if (first !== undefined && first !== certification.field && signedEnd(first) < signedEnd(certification.field)) {
    return {
      id: 'pdf.docmdp',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `${certification.field.name} certifies the PDF (DocMDP) but ${first.name} was signed before it: a certification must be the first signature`,
    }
  }
  const later = fields.filter((field) => signedEnd(field) > signedEnd(certification.field)).length
  return {
    id: 'pdf.docmdp',
    status: 'pass',
    reason: `${certification.field.name} certifies the PDF (P=${certification.permissions}); ${later} later signature(s)`,
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
