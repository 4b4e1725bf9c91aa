// What the revisions written after a signature changed. A signature covers a prefix of the file, so a later
// incremental update can replace a page's content and the signature still verifies (the "incremental saving" and
// "shadow" attacks). Comparing the signed revision with the whole file object by object tells the updates that
// signing, time-stamping and LTV make from the ones that change what the reader sees.

import { createHash } from 'node:crypto'
import { type PdfDict, type PdfObject, dictOf, isDict, isName, isRef, isStream, pdfRef } from './objects.js'
import type { PdfDocument } from './read-pdf.js'
import { serializeObject } from './serialize.js'
import { type XrefEntry, readXref } from './xref.js'

/** Later changes sorted into what signing, time-stamping and LTV do, and the rest. */
export interface PdfChanges {
  readonly allowed: string[]
  readonly suspicious: string[]
}

// Catalog keys that signing, certification and LTV write; any other catalog change alters the document itself.
const CATALOG_KEYS = new Set(['AcroForm', 'DSS', 'Perms', 'Extensions'])
// Bound on reference walks, so that a huge or cyclic DSS or appearance cannot make the comparison run away.
const MAX_REACHED = 100_000

/**
 * Compares `full` with `signed`, the revision a signature covers (a prefix of the same file), over every object
 * whose cross-reference entry differs between the two.
 *
 * @example
 * ```ts
 * const end = signature.byteRange[2] + signature.byteRange[3]
 * const { suspicious } = changesAfter(readPdf(bytes), readPdf(bytes.subarray(0, end)))
 * ```
 */
export function changesAfter(full: PdfDocument, signed: PdfDocument): PdfChanges {
  const fullXref = readXref(full.bytes).entries
  const signedXref = readXref(signed.bytes).entries
  const changed = new Map<number, { before: PdfObject | undefined; after: PdfObject }>()
  for (const [num, entry] of [...fullXref].sort(([a], [b]) => a - b)) {
    const old = signedXref.get(num)
    // An object left in place inside an object stream that was itself replaced is as changed as one rewritten.
    const moved =
      !old ||
      !sameEntry(entry, old) ||
      (entry.kind === 'compressed' && !sameEntry(fullXref.get(entry.stream), signedXref.get(entry.stream)))
    if (!moved) continue
    const ref = pdfRef(num, entry.kind === 'offset' ? entry.gen : 0)
    const oldRef = pdfRef(num, old?.kind === 'offset' ? old.gen : 0)
    changed.set(num, { before: old ? signed.getObject(oldRef) : undefined, after: full.getObject(ref) })
  }

  const allowed: string[] = []
  const suspicious: string[] = []
  const isNew = (num: number): boolean => !signedXref.has(num)

  // Objects whose role comes from where the file references them. A role counts when the object is new or already
  // had it in the signed revision: pointing /Annots or /Info at a page's content stream does not make it one.
  const hadRole = (nums: Iterable<number | undefined>, before: Iterable<number | undefined>): Set<number> => {
    const old = new Set(before)
    return new Set([...nums].filter((num): num is number => num !== undefined && (isNew(num) || old.has(num))))
  }
  const annotsOf = (doc: PdfDocument): (number | undefined)[] =>
    doc.pages.map((page) => {
      const annots = page.dict.entries.get('Annots')
      return isRef(annots) ? annots.num : undefined
    })
  const fieldsOf = (doc: PdfDocument): number | undefined => {
    const fields = doc.acroForm?.dict.entries.get('Fields')
    return isRef(fields) ? fields.num : undefined
  }
  const annotsArrays = hadRole(annotsOf(full), annotsOf(signed))
  const fieldsArrays = hadRole([fieldsOf(full)], [fieldsOf(signed)])
  const infoNums = hadRole([full.infoRef?.num], [signed.infoRef?.num])
  // New pages are judged as new objects, which nothing allows.
  const pageNums = new Set(signed.pages.map((page) => page.ref.num))
  // Objects of the DSS: new ones, or ones that already belonged to the signed revision's DSS, never an object
  // that had another role before (a page's content stream cannot become "validation data" by being listed there).
  const dssBefore = reached(signed, signed.catalog.entries.get('DSS'), () => true)
  const dssAfter = reached(full, full.catalog.entries.get('DSS'), (num) => isNew(num) || dssBefore.has(num))

  // The page a content stream draws, to name what a replaced stream changes.
  const contents = new Map<number, string>()
  signed.pages.forEach((page, index) => {
    const value = page.dict.entries.get('Contents')
    for (const item of Array.isArray(value) ? value : [value])
      if (isRef(item)) contents.set(item.num, `content stream of page ${index + 1} `)
  })

  const widgets: PdfObject[] = []
  const rest: number[] = []
  for (const [num, { before, after }] of changed) {
    const what = label(num, after)
    if (before !== undefined && fingerprint(before) === fingerprint(after)) {
      allowed.push(`${what}: rewritten unchanged`)
    } else if (isContainer(after) && (before === undefined || isContainer(before))) {
      allowed.push(`${what}: ${isName(dictOf(after)?.entries.get('Type'), 'XRef') ? 'cross-reference stream' : 'object stream'}`)
    } else if (num === full.rootRef.num) {
      compareCatalog(full, signed, allowed, suspicious)
    } else if (num === full.acroForm?.ref?.num) {
      compareAcroForm(full.acroForm.dict, signed.acroForm?.dict, what, allowed, suspicious)
    } else if (infoNums.has(num) && isDict(after)) {
      allowed.push(`${what}: document information dictionary (metadata, not what a reader displays)`)
    } else if (dssAfter.has(num)) {
      allowed.push(`${what}: DSS validation data`)
    } else if (before === undefined && isSignatureValue(after)) {
      allowed.push(`${what}: new ${typeName(after) === 'DocTimeStamp' ? 'document time-stamp' : 'signature'} dictionary`)
    } else if (before === undefined && isName(dictOf(after)?.entries.get('Type'), 'SigRef')) {
      allowed.push(`${what}: new signature reference dictionary`)
    } else if (before === undefined && isSignatureField(full, after)) {
      allowed.push(`${what}: new signature field or widget`)
      widgets.push(after)
    } else if (
      before !== undefined &&
      isSignatureField(signed, before) &&
      isSignatureField(full, after) &&
      onlyKeysDiffer(before, after, new Set(['V', 'AP']))
    ) {
      allowed.push(`${what}: signature field filled in`)
      widgets.push(after)
    } else if (pageNums.has(num) && isDict(before) && isDict(after)) {
      comparePage(signed, full, before, after, what, allowed, suspicious)
    } else if (Array.isArray(after) && (annotsArrays.has(num) || fieldsArrays.has(num))) {
      const list = annotsArrays.has(num) ? '/Annots' : '/Fields'
      compareArray(Array.isArray(before) ? before : [], after, `${what}: ${list} array`, allowed, suspicious)
    } else {
      rest.push(num)
    }
  }

  // Appearance streams of the new signature widgets, with what they draw with (fonts, images), when new.
  const appearances = new Set<number>()
  for (const widget of widgets) {
    for (const num of reached(full, dictOf(widget)?.entries.get('AP') ?? null, isNew)) appearances.add(num)
  }
  for (const num of rest) {
    const entry = changed.get(num)
    if (!entry) continue
    const what = label(num, entry.after)
    if (entry.before === undefined && appearances.has(num)) allowed.push(`${what}: appearance of a new signature widget`)
    else if (entry.before === undefined)
      suspicious.push(`${what}: new object that is neither a signature, its appearance nor validation data`)
    else suspicious.push(`${what}: ${contents.get(num) ?? ''}replaced after signing${replacedHow(entry.before, entry.after)}`)
  }
  for (const num of signedXref.keys()) {
    if (!fullXref.has(num)) suspicious.push(`${label(num, signed.getObject(pdfRef(num, 0)))}: deleted after signing`)
  }
  return { allowed, suspicious }
}

function sameEntry(a: XrefEntry | undefined, b: XrefEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.kind === 'offset') return b.kind === 'offset' && a.offset === b.offset && a.gen === b.gen
  return b.kind === 'compressed' && a.stream === b.stream && a.index === b.index
}

/** A comparable form of any object: references compare by identity, streams by dictionary and data. */
function fingerprint(value: PdfObject | undefined): string {
  if (value === undefined) return 'undefined'
  if (isStream(value)) return `${serializeObject(value.dict)}stream:${createHash('sha256').update(value.data).digest('hex')}`
  return serializeObject(value)
}

function replacedHow(before: PdfObject, after: PdfObject): string {
  if (isStream(before) && isStream(after) && fingerprint(before.dict) === fingerprint(after.dict)) return ' (stream data changed)'
  const keys = differingKeys(dictOf(before), dictOf(after))
  return keys.length > 0 ? ` (${keys.map((key) => `/${key}`).join(', ')} changed)` : ''
}

function typeName(value: PdfObject): string | undefined {
  const type = dictOf(value)?.entries.get('Type')
  return isName(type) ? type.name : undefined
}

function label(num: number, value: PdfObject): string {
  const dict = dictOf(value)
  const type = dict?.entries.get('Type')
  const subtype = dict?.entries.get('Subtype')
  const kinds = [type, subtype].filter((value) => isName(value)).map((name) => `/${name.name}`)
  const kind = kinds.length > 0 ? kinds.join(' ') : isStream(value) ? 'stream' : Array.isArray(value) ? 'array' : undefined
  return kind === undefined ? `object ${num}` : `object ${num} (${kind})`
}

function isContainer(value: PdfObject): boolean {
  return isStream(value) && (isName(value.dict.entries.get('Type'), 'XRef') || isName(value.dict.entries.get('Type'), 'ObjStm'))
}

function isSignatureValue(value: PdfObject): boolean {
  return isDict(value) && (isName(value.entries.get('Type'), 'Sig') || isName(value.entries.get('Type'), 'DocTimeStamp'))
}

/** A signature field, or a widget whose parent field is one. */
function isSignatureField(doc: PdfDocument, value: PdfObject): boolean {
  if (!isDict(value)) return false
  const dict = value
  if (isName(dict.entries.get('FT'), 'Sig')) return true
  if (!isName(dict.entries.get('Subtype'), 'Widget')) return false
  return isName(dictOf(doc.resolve(dict.entries.get('Parent')))?.entries.get('FT'), 'Sig')
}

/** Whether two dictionaries differ only at `keys`. */
function onlyKeysDiffer(before: PdfObject, after: PdfObject, keys: ReadonlySet<string>): boolean {
  return differingKeys(dictOf(before), dictOf(after)).every((key) => keys.has(key))
}

function differingKeys(before: PdfDict | undefined, after: PdfDict | undefined): string[] {
  const keys = new Set([...(before?.entries.keys() ?? []), ...(after?.entries.keys() ?? [])])
  return [...keys].filter((key) => fingerprint(before?.entries.get(key)) !== fingerprint(after?.entries.get(key)))
}

function compareCatalog(full: PdfDocument, signed: PdfDocument, allowed: string[], suspicious: string[]): void {
  const what = label(full.rootRef.num, full.catalog)
  const keys = differingKeys(signed.catalog, full.catalog)
  const other = keys.filter((key) => !CATALOG_KEYS.has(key))
  if (other.length > 0) suspicious.push(`${what}: catalog changed at ${other.map((key) => `/${key}`).join(', ')}`)
  const form = full.catalog.entries.get('AcroForm')
  // A direct /AcroForm is judged here; an indirect one where its object changed.
  if (keys.includes('AcroForm') && isDict(form)) compareAcroForm(form, signed.acroForm?.dict, `${what} /AcroForm`, allowed, suspicious)
  const signing = keys.filter((key) => CATALOG_KEYS.has(key) && !(key === 'AcroForm' && isDict(form)))
  if (signing.length > 0 || other.length === 0) {
    allowed.push(`${what}: catalog changed ${signing.length > 0 ? `at ${signing.map((key) => `/${key}`).join(', ')}` : 'only in its form'}`)
  }
}

function compareAcroForm(after: PdfDict, before: PdfDict | undefined, what: string, allowed: string[], suspicious: string[]): void {
  const keys = differingKeys(before, after)
  const other = keys.filter((key) => key !== 'Fields' && key !== 'SigFlags')
  if (other.length > 0) suspicious.push(`${what}: form changed at ${other.map((key) => `/${key}`).join(', ')}`)
  const fields = after.entries.get('Fields')
  const oldFields = before?.entries.get('Fields')
  if (keys.includes('Fields') && Array.isArray(fields)) {
    compareArray(Array.isArray(oldFields) ? oldFields : [], fields, `${what}: /Fields`, allowed, suspicious)
  } else if (keys.includes('Fields')) {
    suspicious.push(`${what}: /Fields replaced by another array`)
  }
  if (other.length === 0) allowed.push(`${what}: form changed only in /Fields and /SigFlags`)
}

function comparePage(
  signed: PdfDocument,
  full: PdfDocument,
  before: PdfDict,
  after: PdfDict,
  what: string,
  allowed: string[],
  suspicious: string[],
): void {
  const keys = differingKeys(before, after)
  const other = keys.filter((key) => key !== 'Annots')
  if (other.length > 0) suspicious.push(`${what}: page changed at ${other.map((key) => `/${key}`).join(', ')}`)
  if (keys.includes('Annots')) {
    const oldAnnots = signed.resolve(before.entries.get('Annots'))
    const annots = full.resolve(after.entries.get('Annots'))
    compareArray(Array.isArray(oldAnnots) ? oldAnnots : [], Array.isArray(annots) ? annots : [], `${what}: /Annots`, allowed, suspicious)
  }
}

/** An array may only gain entries; the entries themselves are judged where their objects changed. */
function compareArray(
  before: readonly PdfObject[],
  after: readonly PdfObject[],
  what: string,
  allowed: string[],
  suspicious: string[],
): void {
  const now = new Set(after.map(fingerprint))
  const lost = before.filter((item) => !now.has(fingerprint(item)))
  if (lost.length > 0) {
    suspicious.push(`${what} lost ${lost.map(fingerprint).join(', ')}`)
    return
  }
  const then = new Set(before.map(fingerprint))
  const gained = after.filter((item) => !then.has(fingerprint(item)))
  allowed.push(`${what} gained ${gained.length > 0 ? gained.map(fingerprint).join(', ') : 'nothing'}`)
}

/** Object numbers reachable from `start` through references, following only those `follow` accepts. */
function reached(doc: PdfDocument, start: PdfObject | undefined, follow: (num: number) => boolean): Set<number> {
  const seen = new Set<number>()
  const queue: PdfObject[] = [start ?? null]
  while (queue.length > 0 && seen.size < MAX_REACHED) {
    const value = queue.pop() ?? null
    if (isRef(value)) {
      if (seen.has(value.num) || !follow(value.num)) continue
      seen.add(value.num)
      queue.push(doc.getObject(value))
    } else if (Array.isArray(value)) {
      queue.push(...value)
    } else if (isDict(value) || isStream(value)) {
      const dict = dictOf(value)
      if (dict) queue.push(...dict.entries.values())
    }
  }
  return seen
}
