// Judges what happened to the file after a signature: whether its byte range ends where its revision ends, whether
// the later revisions build on it, and whether what they change is allowed by the signature's DocMDP level (ISO
// 32000-1 §12.8.2.2, ISO 32000-2 §12.8.2.2, ETSI EN 319 142-1 §5.4) — revision by revision, as pyHanko's
// difference analysis does, so that a change made and undone later is still seen.

import { SceauError } from '../errors.js'
import type { Check } from '../verdicts.js'
import { type ChangeLevel, type PdfChange, changesBetween } from './pdf/changes.js'
import type { IndirectObject } from './pdf/parse.js'
import { type PdfDocument, readPdf } from './pdf/read-pdf.js'
import { isRevisionEnd, revisionEnds, unrevisionedTail } from './pdf/revisions.js'

/** A change after a signature, with what it does to that signature's verdict. */
export interface JudgedChange extends PdfChange {
  readonly status: 'pass' | 'warning' | 'fail'
}

/** DocMDP permissions (/P of the certification's TransformParams), or undefined for an approval signature. */
export type DocMdpLevel = 1 | 2 | 3 | undefined

/** The revisions of one file read once, by end offset, for every signature that needs them. */
export class Revisions {
  private readonly docs = new Map<number, PdfDocument | SceauError>()
  private readonly parsed = new Map<number, IndirectObject>()

  constructor(readonly full: PdfDocument) {}

  /** The revision ending at `end` (the whole file when `end` is its length), or the error that kept it unread. */
  at(end: number): PdfDocument | SceauError {
    if (end >= this.full.bytes.length) return this.full
    let doc = this.docs.get(end)
    if (doc === undefined) {
      try {
        doc = readPdf(this.full.bytes.subarray(0, end), { parsed: this.parsed })
      } catch (err) {
        if (!(err instanceof SceauError)) throw err
        doc = err
      }
      this.docs.set(end, doc)
    }
    return doc
  }
}

/**
 * The checks on what follows a signature whose byte range ends at `end` (not the end of the file): that `end` is a
 * revision end, that the file's history leads back to it, and what every later revision changes.
 *
 * @example
 * ```ts
 * const { checks, changes } = judgeLaterRevisions(new Revisions(readPdf(bytes)), c + d, undefined)
 * ```
 */
export function judgeLaterRevisions(
  revisions: Revisions,
  end: number,
  permissions: DocMdpLevel,
): { readonly checks: Check[]; readonly changes: JudgedChange[] } {
  const bytes = revisions.full.bytes
  if (!isRevisionEnd(bytes, end)) {
    const next = revisionEnds(bytes).find((candidate) => candidate > end) ?? bytes.length
    const check: Check = {
      id: 'pdf.revision',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `the /ByteRange ends at byte ${end}, not at the end of a revision (%%EOF): bytes ${end}-${next} of the signed revision (its cross-reference data and trailer) are covered by no signature`,
    }
    return { checks: [check], changes: [] }
  }
  if (revisions.full.recovered !== undefined) {
    const check: Check = {
      id: 'pdf.changes',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: `the file's cross-reference data is damaged (${revisions.full.recovered}): what the revisions after this signature change cannot be told`,
    }
    return { checks: [check], changes: [] }
  }
  const signed = revisions.at(end)
  if (signed instanceof SceauError) {
    const check: Check = {
      id: 'pdf.changes',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: `the revision this signature covers cannot be read on its own (${signed.message}): what later revisions changed cannot be told`,
    }
    return { checks: [check], changes: [] }
  }
  // The newest cross-reference section must reach the signed one through /Prev: otherwise a reader opens a
  // document whose object table owes nothing to what was signed.
  if (!revisions.full.sections.includes(signed.startxref)) {
    const check: Check = {
      id: 'pdf.revision',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `the file's newest cross-reference data does not lead back (through /Prev) to the signed revision's (startxref ${signed.startxref}): the signed revision is not part of the document a reader opens`,
    }
    return { checks: [check], changes: [] }
  }

  const found = new Map<string, PdfChange>()
  let complete = true
  const laterEnds = revisionEnds(bytes).filter((candidate) => candidate > end && candidate < bytes.length)
  for (const later of [...laterEnds, bytes.length]) {
    const doc = revisions.at(later)
    // A %%EOF inside a stream or a damaged intermediate revision is not a state any reader shows; the whole file is.
    if (doc instanceof SceauError) continue
    const result = changesBetween(signed, doc, { final: revisions.full })
    complete &&= result.complete
    for (const change of result.changes) if (!found.has(change.reason)) found.set(change.reason, change)
  }
  const tail = unrevisionedTail(bytes)
  if (tail) {
    const reason = `bytes ${tail.start}-${tail.end} after the last %%EOF belong to no revision and are covered by no signature`
    found.set(reason, { level: 'other', reason })
  }
  const changes = [...found.values()].map((change) => ({ ...change, status: statusOf(change.level, permissions) }))
  const checks: Check[] = []
  if (!complete) {
    checks.push({
      id: 'pdf.changes',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: 'the later revisions reach too many objects to be compared in full',
    })
  }
  const allowedBy = permissions === undefined ? 'an approval signature' : `the certification (DocMDP P=${permissions})`
  const failed = changes.filter((change) => change.status === 'fail')
  const warned = changes.filter((change) => change.status === 'warning')
  const passed = changes.filter((change) => change.status === 'pass')
  if (failed.length > 0) {
    checks.push({
      id: 'pdf.changes',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `later revisions make changes that ${allowedBy} does not allow: ${list(failed)}`,
    })
  }
  if (warned.length > 0) {
    checks.push({
      id: 'pdf.changes',
      status: 'warning',
      reason: `later revisions change what a reader sees, which ${allowedBy} tolerates: ${list(warned)}`,
    })
  }
  if (failed.length === 0 && warned.length === 0) {
    const what = passed.length === 0 ? 'nothing a reader sees' : list(passed)
    checks.push({
      id: 'pdf.changes',
      status: 'pass',
      reason: `later revisions only add signatures, time-stamps or validation data: ${what}`,
    })
  }
  return { checks, changes }
}

/**
 * What each kind of change does to a signature. DSS, document time-stamps and metadata never count (ISO 32000-2
 * §12.8.2.2.1, EN 319 142-1 §5.4.2); P=1 allows nothing else, P=2 signing and form filling, P=3 also annotations.
 * After an approval signature (no DocMDP), form filling and comments are worth a warning, anything that paints
 * over the page or changes content fails: the signer approved the document as it was.
 */
export function statusOf(level: ChangeLevel, permissions: DocMdpLevel): JudgedChange['status'] {
  switch (level) {
    case 'structure':
      return 'pass'
    case 'signing':
      return permissions === 1 ? 'fail' : 'pass'
    case 'form-filling':
      return permissions === 1 ? 'fail' : permissions === undefined ? 'warning' : 'pass'
    case 'annotation':
      return permissions === 3 ? 'pass' : permissions === undefined ? 'warning' : 'fail'
    case 'overlay':
      return permissions === 3 ? 'warning' : 'fail'
    default:
      return 'fail'
  }
}

function list(changes: readonly PdfChange[]): string {
  const shown = changes.slice(0, 12).map((change) => change.reason)
  return changes.length > shown.length ? `${shown.join('; ')}; and ${changes.length - shown.length} more` : shown.join('; ')
}
