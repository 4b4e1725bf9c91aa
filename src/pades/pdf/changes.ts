// What a later revision changed in what a reader sees. A signature covers a prefix of the file, so a later
// incremental update can replace a page's content and the signature still verifies (the "incremental saving" and
// "shadow" attacks of Mladenov, Mainka, Meyer zu Selhausen, Grothe and Schwenk, CCS 2019 and NDSS 2021).
//
// The signed revision and the later one are walked side by side from the trailer, the way a reader reaches what it
// displays: the page tree, each page's content streams and resources (fonts, XObjects, whatever alias leads to
// them), the catalog's /OpenAction, /AA, /Names, /Outlines and every other entry. Two revisions must show equal
// values along every path; an object counts by where the walk meets it, never by the role something else claims for
// it (a content stream listed in a DSS or an /Annots array is still compared as a content stream). A few places may
// differ, each judged by its own rule, as pyHanko's difference analysis does: the DSS (validation data only), the
// /Info and XMP metadata, the form's fields (filling in, signing), the pages' /Annots (new signature widgets,
// annotations). Objects no path reaches are not shown to anyone and are not judged.

import { decodeStream } from './decode-stream.js'
import { type FieldLock, type FormNode, fieldLocks, formNodes, isSigned, lockedBy } from './form-fields.js'
import { type PdfDict, type PdfObject, type PdfRef, dictOf, isDict, isInteger, isName, isRef, isStream, isString } from './objects.js'
import type { PdfDocument, PdfPage } from './read-pdf.js'
import { serializeObject } from './serialize.js'

/**
 * How far a change goes, from what no reader sees to what changes the document:
 * - `structure`: validation data (DSS), metadata, file structure, rewrites that change nothing;
 * - `signing`: a new signature or document time-stamp, an invisible or signed signature widget;
 * - `form-filling`: a form field's value and appearance;
 * - `annotation`: a comment (sticky note, highlight) or an invisible annotation;
 * - `overlay`: an annotation or unsigned signature widget that paints over the page or adds an action;
 * - `other`: anything else (content, pages, resources, catalog entries, deleted objects…).
 */
export type ChangeLevel = 'structure' | 'signing' | 'form-filling' | 'annotation' | 'overlay' | 'other'

/** One change found between two revisions. */
export interface PdfChange {
  readonly level: ChangeLevel
  /** What changed, naming the object ("object 12 0: content stream of page 1 changed after signing…"). */
  readonly reason: string
  /** The object number concerned, when one is. */
  readonly object?: number
}

/** What {@link changesBetween} finds. */
export interface PdfChanges {
  readonly changes: readonly PdfChange[]
  /** False when the walk hit its bound before reaching every object: the comparison is then incomplete. */
  readonly complete: boolean
}

// Bounds: objects compared per revision pair, and 'other' changes listed before the rest is only counted.
const MAX_VISITS = 500_000
const MAX_LISTED = 40
// Annotations that comment on the page rather than paint over it (ISO 32000-1 §12.5.6): a reader shows them as
// notes and marks, not as page content.
const COMMENTS = new Set(['Text', 'Popup', 'Highlight', 'Underline', 'Squiggly', 'StrikeOut', 'Caret'])
// Annotation flags (§12.5.3): Hidden and NoView keep an annotation off the screen.
const HIDDEN = 2
const NO_VIEW = 32
const DSS_KEYS = new Set(['Type', 'Certs', 'CRLs', 'OCSPs', 'VRI'])
const VRI_KEYS = new Set(['Type', 'TU', 'TS', 'Cert', 'CRL', 'OCSP'])
// Form field keys that filling in changes (§12.7.3, §12.7.4): value, appearance, appearance state, text layout.
const VALUE_KEYS = new Set(['V', 'AS', 'AP', 'DA', 'Q', 'RV'])

/**
 * The changes between `signed`, the revision a signature covers, and `later`, a later revision of the same file.
 *
 * @example
 * ```ts
 * const end = signature.byteRange[2] + signature.byteRange[3]
 * const { changes } = changesBetween(readPdf(bytes.subarray(0, end)), readPdf(bytes))
 * for (const change of changes) console.log(change.level, change.reason)
 * ```
 */
export function changesBetween(signed: PdfDocument, later: PdfDocument, options: { readonly final?: PdfDocument } = {}): PdfChanges {
  const comparison = new Comparison(signed, later, options.final ?? later)
  comparison.run()
  return { changes: comparison.changes, complete: comparison.complete }
}

interface Place {
  /** The (later revision's) indirect object the value sits in. */
  readonly object: PdfRef | undefined
  /** How the walk reached that object from the catalog ("page 1 /Resources /Font /F1"). */
  readonly path: string
  /** Keys inside the object ("/Widths[3]"). */
  readonly inner: string
  /** The signed revision's object at that place, when the later revision points elsewhere. */
  readonly instead?: number
}

class Comparison {
  readonly changes: PdfChange[] = []
  complete = true
  private queue: { o: PdfRef; n: PdfRef; place: Place }[] = []
  private seen = new Set<string>()
  /** The level a difference found by the strict walk gets: 'other', except inside {@link scoped}. */
  private level: ChangeLevel = 'other'
  private readonly reasons = new Set<string>()
  private visits = 0
  private others = 0
  private readonly oldPages = new Map<number, number>()
  private readonly newPages = new Map<number, number>()
  private readonly oldForm: Map<number, FormNode>
  private readonly newForm: Map<number, FormNode>
  private readonly judgedFields = new Set<number>()
  private readonly locks: FieldLock[]
  private readonly appearanceOwners: Map<number, Set<number>>
  private readonly same = new Map<number, boolean>()

  constructor(
    private readonly old: PdfDocument,
    private readonly now: PdfDocument,
    /** The whole file: a signature field left unsigned here may be signed in a later revision. */
    private readonly final: PdfDocument,
  ) {
    old.pages.forEach((page, index) => this.oldPages.set(page.ref.num, index))
    now.pages.forEach((page, index) => this.newPages.set(page.ref.num, index))
    this.oldForm = formNodes(old)
    this.newForm = formNodes(now)
    this.locks = fieldLocks(old)
    this.appearanceOwners = appearanceOwners(old, this.oldForm)
  }

  private referrerMap: Map<number, Set<number>> | undefined

  /** Who refers to each object of the signed revision (-1 for the trailer); walked once, on first need. */
  private referrers(): Map<number, Set<number>> {
    this.referrerMap ??= referrersOf(this.old)
    return this.referrerMap
  }

  run(): void {
    this.trailer()
    this.catalog()
    this.pages()
    this.form()
    this.drain()
    if (this.others > MAX_LISTED) {
      this.changes.push({ level: 'other', reason: `and ${this.others - MAX_LISTED} more differences` })
    }
  }

  // ---- recording

  private change(level: ChangeLevel, ref: PdfRef | undefined, reason: string, object = ref?.num): void {
    const text = ref ? `object ${ref.num} ${ref.gen}: ${reason}` : reason
    if (this.reasons.has(`${level} ${text}`)) return
    this.reasons.add(`${level} ${text}`)
    if (level === 'other' && ++this.others > MAX_LISTED) return
    this.changes.push({ level, reason: text, ...(object === undefined ? {} : { object }) })
  }

  private differ(place: Place, detail: string): void {
    const object = place.object
    const where = object
      ? `object ${object.num} ${object.gen}${place.instead === undefined ? '' : ` (in place of object ${place.instead})`}: `
      : ''
    const inner = place.inner === '' ? '' : ` ${place.inner.trim()}`
    this.change(this.level, undefined, `${where}${roleOf(place.path)}${inner} changed after signing (${detail})`, object?.num)
  }

  /**
   * Runs a strict comparison whose differences count at `level` instead of 'other', with a queue and a memory of
   * its own: an object met there and elsewhere is compared again elsewhere, at the level of that place.
   */
  private scoped(level: ChangeLevel, compare: () => void): void {
    const queue = this.queue
    const seen = this.seen
    this.queue = []
    this.seen = new Set()
    this.level = level
    try {
      compare()
      this.drain()
    } finally {
      this.queue = queue
      this.seen = seen
      this.level = 'other'
    }
  }

  // ---- strict comparison: what a reader sees must be equal

  private compare(o: PdfObject | undefined, n: PdfObject | undefined, place: Place): void {
    if (isRef(o) && isRef(n)) return this.compareRefs(o, n, place)
    this.compareDirect(isRef(o) ? this.old.resolve(o) : (o ?? null), isRef(n) ? this.now.resolve(n) : (n ?? null), place)
  }

  private compareRefs(o: PdfRef, n: PdfRef, place: Place): void {
    // Pages are compared once, by position, in pages(); elsewhere (outlines, destinations, /OpenAction) a page
    // reference must name the page at the same position.
    const oldIndex = this.oldPages.get(o.num)
    const newIndex = this.newPages.get(n.num)
    if (oldIndex !== undefined || newIndex !== undefined) {
      if (oldIndex !== newIndex) {
        const name = (index: number | undefined, ref: PdfRef): string => (index === undefined ? `object ${ref.num}` : `page ${index + 1}`)
        this.differ(place, `points to ${name(newIndex, n)} instead of ${name(oldIndex, o)}`)
      }
      return
    }
    if (o.num === n.num) {
      // Judged by their own rules wherever the walk meets them.
      if (o.num === this.old.rootRef.num && n.num === this.now.rootRef.num) return
      if (o.num === this.old.acroForm?.ref?.num && n.num === this.now.acroForm?.ref?.num) return
      // A field met where forms lead to fields (the form's /CO, another field's action, a structure element's
      // /Obj) follows the field rule; met anywhere else (a name tree, an outline) it is compared like content, so
      // that registering a name tree or a page resource as a "field" in the signed revision opens no door.
      if (this.oldForm.has(o.num) && isFormPlace(`${place.path}${place.inner}`)) return this.fieldRule(o.num)
    }
    const key = `${o.num} ${o.gen}:${n.num} ${n.gen}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.queue.push({
      o,
      n,
      place: { object: n, path: `${place.path}${place.inner}`, inner: '', ...(o.num === n.num ? {} : { instead: o.num }) },
    })
  }

  private drain(): void {
    for (let item = this.queue.pop(); item !== undefined; item = this.queue.pop()) {
      if (++this.visits > MAX_VISITS) {
        this.complete = false
        this.queue.length = 0
        return
      }
      this.compareDirect(this.old.getObject(item.o), this.now.getObject(item.n), item.place)
    }
  }

  private compareDirect(o: PdfObject, n: PdfObject, place: Place): void {
    if (isStream(o) || isStream(n)) {
      if (!isStream(o) || !isStream(n)) return this.differ(place, `${kindOf(o)} became ${kindOf(n)}`)
      this.compareDicts(o.dict, n.dict, place, new Set(['Length']))
      if (!sameBytes(o.data, n.data)) this.differ(place, 'stream data differs')
      return
    }
    if (isDict(o) || isDict(n)) {
      if (!isDict(o) || !isDict(n)) return this.differ(place, `${kindOf(o)} became ${kindOf(n)}`)
      return this.compareDicts(o, n, place, new Set())
    }
    if (Array.isArray(o) || Array.isArray(n)) {
      if (!Array.isArray(o) || !Array.isArray(n)) return this.differ(place, `${kindOf(o)} became ${kindOf(n)}`)
      if (o.length !== n.length) return this.differ(place, `${o.length} entries became ${n.length}`)
      o.forEach((item, index) => this.compare(item, n[index], { ...place, inner: `${place.inner}[${index}]` }))
      return
    }
    if (!samePrimitive(o, n)) this.differ(place, `${show(o)} became ${show(n)}`)
  }

  private compareDicts(o: PdfDict, n: PdfDict, place: Place, skip: ReadonlySet<string>): void {
    for (const key of keysOf(o, n)) {
      if (skip.has(key)) continue
      this.compareKey(o, n, key, place)
    }
  }

  private compareKey(o: PdfDict | undefined, n: PdfDict | undefined, key: string, place: Place): void {
    const before = present(o, key)
    const after = present(n, key)
    const at = { ...place, inner: `${place.inner} /${key}` }
    if (before === undefined && after === undefined) return
    if (before === undefined) return this.differ(at, 'added')
    if (after === undefined) return this.differ(at, 'removed')
    this.compare(before, after, at)
  }

  // ---- equality without reporting, for the places where a change is allowed but must be classed

  private sameObject(num: number): boolean {
    const cached = this.same.get(num)
    if (cached !== undefined) return cached
    const o = this.old.refTo(num)
    const n = this.now.refTo(num)
    const result =
      o === undefined || n === undefined ? o === n : o.gen === n.gen && sameValue(this.old.getObject(o), this.now.getObject(n), () => true)
    this.same.set(num, result)
    return result
  }

  /** Equal direct structure, references to the same, unchanged objects (one level deep). */
  private shallowSame(o: PdfObject | undefined, n: PdfObject | undefined): boolean {
    return sameValue(o ?? null, n ?? null, (a, b) => a.num === b.num && this.sameObject(a.num))
  }

  // ---- the rules

  private trailer(): void {
    this.compareKey(this.old.trailer, this.now.trailer, 'Encrypt', { object: undefined, path: 'trailer', inner: '' })
    const before = this.old.trailer.entries.get('Info')
    const after = this.now.trailer.entries.get('Info')
    // The document information dictionary is metadata (§14.3.3): a reader shows it in a properties box, not on the
    // page. What it references is still compared wherever else the walk meets it.
    if (!this.shallowSame(before, after))
      this.change('structure', isRef(after) ? after : undefined, 'document information dictionary (/Info) updated')
  }

  private catalog(): void {
    const o = this.old.catalog
    const n = this.now.catalog
    const place: Place = { object: this.now.rootRef, path: 'catalog', inner: '' }
    if (this.old.rootRef.num !== this.now.rootRef.num) {
      this.change(
        'structure',
        this.now.rootRef,
        `the trailer names a new catalog (object ${this.old.rootRef.num} before signing); compared entry by entry`,
      )
    }
    for (const key of keysOf(o, n)) {
      const before = present(o, key)
      const after = present(n, key)
      if (key === 'AcroForm') continue // form()
      if (key === 'DSS') {
        this.dss(before, after)
      } else if (key === 'Names' && isDict(this.now.resolve(after)) && (before === undefined || isDict(this.old.resolve(before)))) {
        this.names(before, after)
      } else if (key === 'Metadata') {
        if (this.shallowSame(before, after)) continue
        if (isStream(this.now.resolve(after)))
          this.change('structure', isRef(after) ? after : undefined, 'XMP metadata (/Metadata) updated')
        else this.compareKey(o, n, key, place)
      } else if (key === 'StructTreeRoot') {
        // The logical structure (tagged PDF, §14.7) gives reading order and accessibility, not what a page shows;
        // filling in a form or adding a widget to a tagged PDF adds structure elements for it.
        this.scoped('form-filling', () => this.compareKey(o, n, key, place))
      } else if (key === 'Extensions' || key === 'Version' || key === 'MarkInfo') {
        // Extension levels, the version and the tagged-PDF flag say what the file uses, not what it shows
        // (ISO 32000-2 §7.12, §7.2.2); a signature made with a newer version or extension sets them.
        if (!this.shallowSame(before, after)) this.change('structure', this.now.rootRef, `catalog /${key} updated`)
      } else {
        this.compareKey(o, n, key, place)
      }
    }
  }

  /**
   * The name trees: each compared like content but /AP, the named appearance streams writers keep for the
   * annotations they add (ISO 32000-1 §7.7.4), which draw nothing until an annotation uses them.
   */
  private names(beforeValue: PdfObject | undefined, afterValue: PdfObject | undefined): void {
    const o = dictOf(this.old.resolve(beforeValue))
    const n = dictOf(this.now.resolve(afterValue))
    const object = isRef(afterValue) ? afterValue : this.now.rootRef
    const place: Place = { object, path: 'catalog /Names', inner: '' }
    for (const key of keysOf(o, n)) {
      if (key !== 'AP') this.compareKey(o, n, key, place)
      else if (!this.shallowSame(present(o, key), present(n, key)))
        this.change('annotation', object, 'named annotation appearances (/Names /AP) updated')
    }
  }

  private pages(): void {
    const before = this.old.pages
    const after = this.now.pages
    for (let index = before.length; index < after.length; index++) {
      this.change('other', after[index]?.ref, `page ${index + 1} added after signing`)
    }
    for (let index = after.length; index < before.length; index++) {
      this.change('other', before[index]?.ref, `page ${index + 1} removed after signing`)
    }
    for (let index = 0; index < Math.min(before.length, after.length); index++) {
      const o = before[index] as PdfPage
      const n = after[index] as PdfPage
      if (o.ref.num !== n.ref.num) {
        this.change('other', n.ref, `page ${index + 1} replaced after signing (it was object ${o.ref.num} ${o.ref.gen})`)
        continue
      }
      // /Parent is the page tree, compared from the catalog's /Pages; /Annots by annotations().
      const place: Place = { object: n.ref, path: `page ${index + 1}`, inner: '' }
      this.compareDicts(o.dict, n.dict, place, new Set(['Annots', 'Parent', 'StructParents', 'Tabs']))
      // The page's key into the structure tree and the tab order of its annotations: structure, not content.
      this.scoped('form-filling', () => {
        this.compareKey(o.dict, n.dict, 'StructParents', place)
        this.compareKey(o.dict, n.dict, 'Tabs', place)
      })
      this.annotations(index, o, n)
    }
  }

  private annotations(index: number, o: PdfPage, n: PdfPage): void {
    const page = `page ${index + 1}`
    const beforeValue = this.old.resolve(o.dict.entries.get('Annots'))
    const afterValue = this.now.resolve(n.dict.entries.get('Annots'))
    const before = Array.isArray(beforeValue) ? beforeValue : []
    const after = Array.isArray(afterValue) ? afterValue : []
    if (!before.every(isRef) || !after.every(isRef)) {
      this.compareKey(o.dict, n.dict, 'Annots', { object: n.ref, path: page, inner: '' })
      return
    }
    const beforeNums = new Set(before.map((ref) => ref.num))
    const afterNums = new Set(after.map((ref) => ref.num))
    for (const ref of before) {
      if (afterNums.has(ref.num)) continue
      const node = this.oldForm.get(ref.num)
      if (node) this.change('other', ref, `widget of field "${node.name}" removed from ${page} after signing`)
      else this.change('annotation', ref, `${annotationName(this.old, ref)} removed from ${page} after signing`)
    }
    for (const ref of before) {
      if (!afterNums.has(ref.num)) continue
      if (this.oldForm.has(ref.num)) this.fieldRule(ref.num)
      else if (!this.sameObject(ref.num)) {
        const dict = dictOf(this.now.getObject(ref))
        if (!dict) this.change('other', ref, `annotation of ${page} replaced by a ${kindOf(this.now.getObject(ref))}`)
        else this.change(annotationLevel(this.now, dict), ref, `${annotationName(this.now, ref)} of ${page} modified after signing`)
      }
    }
    const kept = after.filter((ref) => beforeNums.has(ref.num)).map((ref) => ref.num)
    const order = before.filter((ref) => afterNums.has(ref.num)).map((ref) => ref.num)
    if (kept.join() !== order.join())
      this.change('annotation', n.ref, `the annotations of ${page} were reordered (what is drawn above what)`)
    for (const ref of after) if (!beforeNums.has(ref.num)) this.annotationAdded(ref, page)
  }

  private annotationAdded(ref: PdfRef, page: string): void {
    const value = this.now.getObject(ref)
    const existing = this.oldForm.get(ref.num)
    if (this.old.refTo(ref.num) !== undefined && existing?.type === 'Sig' && existing.widget) {
      // A signature field of the signed revision whose widget is put on the page when it is signed.
      this.fieldRule(ref.num)
      return this.signatureWidget(existing, ref, page)
    }
    if (this.old.refTo(ref.num) !== undefined) {
      // An object of the signed revision does not become an annotation by being listed: it keeps what it was.
      this.change(
        'other',
        ref,
        `existed before signing (${kindOf(this.old.getObject(this.old.refTo(ref.num) as PdfRef))}) and was added to the annotations of ${page}`,
      )
      return
    }
    const dict = dictOf(value)
    if (!dict) return this.change('other', ref, `a ${kindOf(value)} was added to the annotations of ${page}`)
    const node = this.newForm.get(ref.num)
    if (isName(dict.entries.get('Subtype'), 'Widget') && node) {
      if (node.type !== 'Sig')
        return this.change('other', ref, `new widget of form field "${node.name}" on ${page}: fields cannot be added after signing`)
      return this.signatureWidget(node, ref, page)
    }
    const level = annotationLevel(this.now, dict)
    const how = level === 'overlay' ? ' that draws over the signed page or acts on it' : ''
    this.change(level, ref, `new ${annotationName(this.now, ref)}${how} on ${page}`)
  }

  /**
   * A signature widget appearing on a page: invisible, or drawing a signature, it is signing; drawing while its field
   * holds no signature, even in the whole file, it is a "sneaky signature" (Mainka et al., IEEE S&P 2021), an
   * appearance over the signed page. A field signed in a later revision is judged by that signature.
   */
  private signatureWidget(node: FormNode, ref: PdfRef, page: string): void {
    const dict = dictOf(this.now.getObject(ref))
    if (!dict || !isVisible(this.now, dict)) {
      return this.change(this.signingLevel(node.field), ref, `new invisible signature widget of field "${node.name}"`)
    }
    if (isSigned(this.now, node.field))
      return this.change('signing', ref, `new visible signature widget of field "${node.name}" on ${page}, signed`)
    if (isSigned(this.final, node.field)) {
      return this.change('signing', ref, `new visible signature widget of field "${node.name}" on ${page}, signed in a later revision`)
    }
    this.change(
      'overlay',
      ref,
      `new signature field "${node.name}" draws on ${page} but holds no signature (a "sneaky signature": an appearance over the signed page)`,
    )
  }

  private form(): void {
    for (const num of this.oldForm.keys()) this.fieldRule(num)
    const o = this.old.acroForm?.dict
    const n = this.now.acroForm?.dict
    if (!n) {
      if (o) this.change('other', undefined, 'the form (/AcroForm) was removed after signing')
      return
    }
    const place: Place = { object: this.now.acroForm?.ref ?? this.now.rootRef, path: 'catalog /AcroForm', inner: '' }
    for (const key of keysOf(o, n)) {
      const before = present(o, key)
      const after = present(n, key)
      if (key === 'Fields') this.fields(before, after)
      else if (key === 'SigFlags') {
        if (!this.shallowSame(before, after))
          this.change('structure', place.object, 'form /SigFlags updated (the document holds signatures)')
      } else if (key === 'DR' || key === 'DA' || key === 'Q') {
        // Signature flags and the defaults a writer uses to build new appearances; existing appearance streams,
        // compared where pages and fields use them, do not depend on them.
        if (!this.shallowSame(before, after)) this.change('signing', place.object, `form /${key} updated`)
      } else if (key === 'NeedAppearances') {
        // Asks the reader to rebuild every field's appearance from its value (§12.7.2).
        if (!this.shallowSame(before, after))
          this.change('form-filling', place.object, 'form /NeedAppearances set: field appearances rebuilt from their values')
      } else this.compareKey(o, n, key, place)
    }
  }

  private fields(beforeValue: PdfObject | undefined, afterValue: PdfObject | undefined): void {
    const before = refsIn(this.old.resolve(beforeValue))
    const after = refsIn(this.now.resolve(afterValue))
    const afterNums = new Set(after.map((ref) => ref.num))
    const beforeNums = new Set(before.map((ref) => ref.num))
    for (const ref of before) {
      if (!afterNums.has(ref.num))
        this.change('other', ref, `field "${this.oldForm.get(ref.num)?.name ?? ref.num}" removed from the form after signing`)
    }
    for (const ref of after) if (!beforeNums.has(ref.num)) this.newField(ref, 'the form')
  }

  private newField(ref: PdfRef, where: string): void {
    const node = this.newForm.get(ref.num)
    if (this.old.refTo(ref.num) !== undefined) {
      this.change('other', ref, `existed before signing and was added as a field to ${where}`)
    } else if (node?.type === 'Sig') {
      this.change(this.signingLevel(node.field), ref, `new signature field "${node.name}"`)
    } else {
      this.change('other', ref, `new form field "${node?.name ?? ''}" (${node?.type ?? 'no type'}) added to ${where} after signing`)
    }
  }

  private fieldRule(num: number): void {
    if (this.judgedFields.has(num)) return
    this.judgedFields.add(num)
    const node = this.oldForm.get(num)
    if (!node) return
    const newRef = this.now.refTo(num)
    const o = this.old.getObject(node.ref)
    const n = newRef && this.now.getObject(newRef)
    if (!isDict(o)) return
    if (!isDict(n) || !newRef) return this.change('other', node.ref, `field "${node.name}" deleted or no longer a dictionary after signing`)
    const place: Place = { object: newRef, path: `field "${node.name}"`, inner: '' }
    const isSig = node.type === 'Sig'
    const signedBefore = isSig && isSigned(this.old, node.field)
    const signedAfter = isSig && isSigned(this.now, node.field)
    const changed: string[] = []
    for (const key of keysOf(o, n)) {
      const before = present(o, key)
      const after = present(n, key)
      if (VALUE_KEYS.has(key)) {
        if (this.shallowSame(before, after)) continue
        // A signature already made stays as it was: its dictionary is compared like content.
        if (key === 'V' && signedBefore) this.compareKey(o, n, key, place)
        else changed.push(key)
      } else if ((key === 'F' || key === 'Ff') && onlyLockBits(key, before, after)) {
        if (this.shallowSame(before, after)) continue
        // Signing locks widgets and fields (Acrobat sets Locked and ReadOnly on the fields a signature covers):
        // the flags that only forbid editing change nothing a reader sees.
        this.change(
          'signing',
          newRef,
          `field "${node.name}" locked against editing (/${key} ${show(before ?? 0)} became ${show(after ?? 0)})`,
        )
      } else if (key === 'Kids') {
        this.kids(node, before, after, newRef)
      } else if (key === 'Parent') {
        if (!(isRef(before) && isRef(after) && before.num === after.num)) this.compareKey(o, n, key, place)
      } else {
        this.compareKey(o, n, key, place)
      }
    }
    if (changed.length === 0) return
    const what = changed.map((key) => `/${key}`).join(', ')
    // An appearance the signed revision shares with other objects (another widget, the catalog, the trailer…) is not
    // this field's to re-point or rewrite: pyHanko refuses such updates ("clobbers"), and so does sceau.
    const ownAppearance = new Set([num, ...appearanceRefs(this.old, o).map((ref) => ref.num)])
    if (changed.includes('AP')) {
      for (const shared of appearanceRefs(this.old, o)) {
        const others = [...(this.referrers().get(shared.num) ?? [])].filter((owner) => !ownAppearance.has(owner))
        if (others.length === 0) continue
        const names = others.map((other) => (other === -1 ? 'the trailer' : `object ${other}`)).join(', ')
        return this.change(
          'other',
          newRef,
          `field "${node.name}" replaced its appearance ${shared.num} 0 R after signing, which ${names} also refer to`,
        )
      }
    }
    if (isSig) {
      if (!signedBefore && signedAfter) {
        const invisible = !isVisible(this.now, n)
        this.change(invisible ? this.signingLevel(node.field) : 'signing', newRef, `signature field "${node.name}" signed (${what})`)
      } else if (signedBefore)
        this.change('other', newRef, `signature field "${node.name}", signed before, changed after signing (${what})`)
      else this.change('overlay', newRef, `unsigned signature field "${node.name}" changed its appearance after signing (${what})`)
      return
    }
    // An appearance stream overwritten in place changes every other field and annotation drawing it (pyHanko's
    // "sneaky" appearance updates): filling one field must not repaint another.
    // Anything else of the signed revision that refers to the overwritten object counts too, even through a key no
    // reader uses: pyHanko forbids such updates by reference counting, and so does sceau.
    for (const stream of appearanceRefs(this.old, o)) {
      const owners = new Set([...(this.appearanceOwners.get(stream.num) ?? []), ...(this.referrers().get(stream.num) ?? [])])
      const others = [...owners].filter((owner) => !ownAppearance.has(owner))
      if (others.length > 0 && !this.sameObject(stream.num)) {
        const names = others.map((other) => (other === -1 ? 'the trailer' : `object ${other}`)).join(', ')
        this.change('other', stream, `appearance of field "${node.name}" overwritten in place after signing, but ${names} refer to it too`)
      }
    }
    const lock = lockedBy(this.locks, node.name)
    if (lock !== undefined)
      this.change(
        'other',
        newRef,
        `field "${node.name}" is locked by signature "${lock}" (FieldMDP) but was filled in after signing (${what})`,
      )
    else this.change('form-filling', newRef, `field "${node.name}" filled in after signing (${what})`)
  }

  /**
   * A document time-stamp (ETSI.RFC3161, PAdES B-LTA) does not count as a change (ISO 32000-2 §12.8.2.2.1): its
   * field is 'structure' when it draws nothing; any other signature is 'signing'.
   */
  private signingLevel(field: number): ChangeLevel {
    const ref = this.now.refTo(field)
    const value = dictOf(this.now.resolve(ref && dictOf(this.now.getObject(ref))?.entries.get('V')))
    const subFilter = value?.entries.get('SubFilter')
    return isName(value?.entries.get('Type'), 'DocTimeStamp') || isName(subFilter, 'ETSI.RFC3161') ? 'structure' : 'signing'
  }

  private kids(node: FormNode, beforeValue: PdfObject | undefined, afterValue: PdfObject | undefined, newRef: PdfRef): void {
    const before = refsIn(this.old.resolve(beforeValue))
    const after = refsIn(this.now.resolve(afterValue))
    const afterNums = new Set(after.map((ref) => ref.num))
    const beforeNums = new Set(before.map((ref) => ref.num))
    for (const ref of before)
      if (!afterNums.has(ref.num)) this.change('other', newRef, `a kid (object ${ref.num}) of field "${node.name}" removed after signing`)
    for (const ref of after) if (!beforeNums.has(ref.num)) this.newField(ref, `field "${node.name}"`)
  }

  /**
   * The Document Security Store holds validation data only (ETSI EN 319 142-1 §5.4.2): certificates, CRLs and
   * OCSP responses in streams, and /VRI entries pointing at them. A stream it lists must be new, unchanged, or
   * already validation data of the signed revision's DSS; a content stream does not become validation data by
   * being listed there.
   */
  private dss(beforeValue: PdfObject | undefined, afterValue: PdfObject | undefined): void {
    const dssRef = isRef(afterValue) ? afterValue : this.now.rootRef
    if (afterValue === undefined) return this.change('structure', this.now.rootRef, 'the DSS was removed (validation data only)')
    const after = this.now.resolve(afterValue)
    if (!isDict(after)) return this.change('other', dssRef, `the catalog's /DSS is a ${kindOf(after)}, not a DSS dictionary`)
    const extra = [...after.entries.keys()].filter((key) => !DSS_KEYS.has(key))
    if (extra.length > 0) {
      const keys = extra.map((key) => `/${key}`).join(', ')
      return this.change('other', dssRef, `the /DSS has entries a DSS does not have (${keys}): it is not validation data`)
    }
    if (after.entries.has('Type') && !isName(after.entries.get('Type'), 'DSS'))
      return this.change('other', dssRef, 'the /DSS is not of /Type /DSS')
    const before = this.old.resolve(beforeValue)
    const validationData = new Set<number>()
    if (isDict(before)) for (const ref of dssStreams(this.old, before)) validationData.add(ref.num)
    let ok = true
    let updated = !this.shallowSame(beforeValue, afterValue)
    const item = (value: PdfObject, where: string): void => {
      const verdict = this.dssItem(value, where, validationData)
      if (verdict === 'bad') ok = false
      if (verdict !== 'same') updated = true
    }
    const list = (value: PdfObject | undefined, where: string): void => {
      if (value === undefined) return
      if (isRef(value) && !this.sameObject(value.num)) updated = true
      const items = this.now.resolve(value)
      if (!Array.isArray(items)) {
        ok = false
        return this.change('other', isRef(value) ? value : dssRef, `${where} is not an array of validation data streams`)
      }
      for (const value of items) item(value, where)
    }
    for (const key of ['Certs', 'CRLs', 'OCSPs']) list(after.entries.get(key), `/DSS /${key}`)
    const vriValue = after.entries.get('VRI')
    const vri = this.now.resolve(vriValue)
    if (isRef(vriValue) && !this.sameObject(vriValue.num)) updated = true
    if (vriValue !== undefined && !isDict(vri)) {
      ok = false
      this.change('other', dssRef, '/DSS /VRI is not a dictionary')
    } else if (isDict(vri)) {
      for (const [key, value] of vri.entries) {
        const entry = this.now.resolve(value)
        if (isRef(value) && !this.sameObject(value.num)) updated = true
        const extraKeys = isDict(entry) ? [...entry.entries.keys()].filter((name) => !VRI_KEYS.has(name)) : []
        // Keys are the hex SHA-1 of the signature (EN 319 142-1 §5.4.2.3); some writers use SHA-256 or longer.
        const hashKey = /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128})$/.test(key)
        if (!hashKey || !isDict(entry) || extraKeys.length > 0) {
          ok = false
          this.change(
            'other',
            isRef(value) ? value : dssRef,
            `/DSS /VRI /${key} is not a VRI entry (a hash key and a dictionary of validation data)`,
          )
          continue
        }
        for (const kind of ['Cert', 'CRL', 'OCSP']) list(entry.entries.get(kind), `/DSS /VRI /${key.slice(0, 8)}… /${kind}`)
        const ts = entry.entries.get('TS')
        if (ts !== undefined) item(ts, `/DSS /VRI /${key.slice(0, 8)}… /TS`)
      }
    }
    if (ok && updated) this.change('structure', dssRef, 'DSS updated with validation data (certificates, CRLs, OCSP responses)')
  }

  private dssItem(item: PdfObject, where: string, validationData: ReadonlySet<number>): 'same' | 'ok' | 'bad' {
    if (!isRef(item)) {
      this.change('other', undefined, `${where} lists a direct ${kindOf(item)}, not a validation data stream`)
      return 'bad'
    }
    const value = this.now.getObject(item)
    const before = this.old.refTo(item.num)
    if (before !== undefined && this.sameObject(item.num)) return 'same'
    if (before !== undefined && !validationData.has(item.num)) {
      const was = kindOf(this.old.getObject(before))
      this.change(
        'other',
        item,
        `changed after signing and listed in ${where}, but it was not validation data in the signed revision (${was})`,
      )
      return 'bad'
    }
    if (!isStream(value) || !isDer(value)) {
      this.change('other', item, `listed in ${where} but is not DER validation data (${kindOf(value)})`)
      return 'bad'
    }
    return 'ok'
  }
}

// Annotation flags Print, ReadOnly, Locked, LockedContents (§12.5.3) and the field flag ReadOnly (§12.7.3.1).
const ANNOTATION_LOCK_BITS = 4 | 64 | 128 | 512
const FIELD_LOCK_BITS = 1

/** Whether two flag values differ only in the bits that lock against editing. */
function onlyLockBits(key: 'F' | 'Ff', before: PdfObject | undefined, after: PdfObject | undefined): boolean {
  const o = before ?? 0
  const n = after ?? 0
  if (!isInteger(o) || !isInteger(n)) return false
  return ((o ^ n) & ~(key === 'F' ? ANNOTATION_LOCK_BITS : FIELD_LOCK_BITS)) === 0
}

/** Whether a path is one along which a form field is met as a field. */
function isFormPlace(path: string): boolean {
  return path.startsWith('catalog /AcroForm') || path.startsWith('field "') || / \/Obj$/.test(path)
}

/** The role of the object a path reaches, in words ("content stream of page 1"). */
function roleOf(path: string): string {
  let match = /^page (\d+) \/Contents(?:\[\d+\])?$/.exec(path)
  if (match) return `content stream of page ${match[1]}`
  match = /^page (\d+) \/Resources \/(Font|XObject|ExtGState|ColorSpace|Pattern|Shading|Properties) \/([^ []+)$/.exec(path)
  if (match) return `${match[2] === 'Font' ? 'font' : `${match[2]} resource`} /${match[3]} of page ${match[1]}`
  match = /^page (\d+) \/Resources$/.exec(path)
  if (match) return `resources of page ${match[1]}`
  return path
}

function keysOf(o: PdfDict | undefined, n: PdfDict | undefined): string[] {
  return [...new Set([...(o?.entries.keys() ?? []), ...(n?.entries.keys() ?? [])])]
}

/** A dictionary entry; a null value is the same as no entry (§7.3.7). */
function present(dict: PdfDict | undefined, key: string): PdfObject | undefined {
  const value = dict?.entries.get(key)
  return value === null ? undefined : value
}

function refsIn(value: PdfObject): PdfRef[] {
  return Array.isArray(value) ? value.filter(isRef) : []
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength) return true
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

function samePrimitive(a: PdfObject, b: PdfObject): boolean {
  if (isName(a) || isName(b)) return isName(a) && isName(b) && a.name === b.name
  if (isString(a) || isString(b)) return isString(a) && isString(b) && sameBytes(a.bytes, b.bytes)
  return a === b
}

/** Deep equality of direct values; references are equal when `sameRef` says so. */
function sameValue(a: PdfObject, b: PdfObject, sameRef: (a: PdfRef, b: PdfRef) => boolean, depth = 0): boolean {
  if (depth > 100) return false
  if (isRef(a) || isRef(b)) return isRef(a) && isRef(b) && sameRef(a, b)
  if (isStream(a) || isStream(b))
    return isStream(a) && isStream(b) && sameValue(a.dict, b.dict, sameRef, depth + 1) && sameBytes(a.data, b.data)
  if (isDict(a) || isDict(b)) {
    if (!isDict(a) || !isDict(b)) return false
    const keys = keysOf(a, b)
    return keys.every((key) => sameValue(present(a, key) ?? null, present(b, key) ?? null, sameRef, depth + 1))
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, b[index] ?? null, sameRef, depth + 1))
    )
  }
  return samePrimitive(a, b)
}

function kindOf(value: PdfObject): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value !== 'object') return typeof value
  const dict = dictOf(value)
  const type = dict?.entries.get('Type')
  const subtype = dict?.entries.get('Subtype')
  const names = [type, subtype].filter((name) => isName(name)).map((name) => `/${name.name}`)
  const kind = value.kind === 'dict' ? 'dictionary' : value.kind
  return names.length > 0 ? `${kind} ${names.join(' ')}` : kind
}

function show(value: PdfObject): string {
  if (isName(value) || isString(value) || typeof value !== 'object' || value === null) {
    const text = serializeObject(value)
    return text.length > 40 ? `${text.slice(0, 40)}…` : text
  }
  return kindOf(value)
}

function annotationName(doc: PdfDocument, ref: PdfRef): string {
  const subtype = dictOf(doc.getObject(ref))?.entries.get('Subtype')
  return `${isName(subtype) ? `/${subtype.name} ` : ''}annotation`
}

/** Whether an annotation shows on screen: a rectangle with an area, neither Hidden nor NoView. */
function isVisible(doc: PdfDocument, dict: PdfDict): boolean {
  const flags = doc.resolve(dict.entries.get('F'))
  if (isInteger(flags) && (flags & (HIDDEN | NO_VIEW)) !== 0) return false
  const rect = doc.resolve(dict.entries.get('Rect'))
  if (!Array.isArray(rect) || rect.length !== 4) return false
  const [x1, y1, x2, y2] = rect.map((value) => doc.resolve(value))
  if (typeof x1 !== 'number' || typeof y1 !== 'number' || typeof x2 !== 'number' || typeof y2 !== 'number') return false
  return Math.abs(x2 - x1) * Math.abs(y2 - y1) > 0
}

/**
 * A comment (sticky note, highlight) or an invisible annotation is an annotation; anything visible that paints
 * arbitrary content (free text, stamps, shapes, widgets) or carries an action is an overlay: it can hide or replace
 * what was signed (the "evil annotation" attack, Mainka et al., IEEE S&P 2021).
 */
function annotationLevel(doc: PdfDocument, dict: PdfDict): 'annotation' | 'overlay' {
  if (dict.entries.has('A') || dict.entries.has('AA')) return 'overlay'
  if (!isVisible(doc, dict)) return 'annotation'
  const subtype = dict.entries.get('Subtype')
  return isName(subtype) && COMMENTS.has(subtype.name) ? 'annotation' : 'overlay'
}

/** Object numbers of an annotation's appearance dictionary and streams (/AP /N, /R, /D, and their states). */
function appearanceRefs(doc: PdfDocument, annotation: PdfDict): PdfRef[] {
  const refs: PdfRef[] = []
  const ap = annotation.entries.get('AP')
  if (isRef(ap)) refs.push(ap)
  const dict = dictOf(doc.resolve(ap))
  for (const key of ['N', 'R', 'D']) {
    const value = dict?.entries.get(key)
    if (isRef(value)) refs.push(value)
    const states = isDict(value) ? value : undefined
    for (const state of states?.entries.values() ?? []) if (isRef(state)) refs.push(state)
  }
  return refs
}

/** For each appearance object of the signed revision, the fields and annotations that draw it. */
function appearanceOwners(doc: PdfDocument, form: ReadonlyMap<number, FormNode>): Map<number, Set<number>> {
  const owners = new Map<number, Set<number>>()
  const add = (owner: PdfRef): void => {
    const dict = dictOf(doc.getObject(owner))
    if (!dict) return
    for (const ref of appearanceRefs(doc, dict)) {
      const set = owners.get(ref.num) ?? new Set<number>()
      set.add(owner.num)
      owners.set(ref.num, set)
    }
  }
  for (const node of form.values()) add(node.ref)
  for (const page of doc.pages) {
    const annots = doc.resolve(page.dict.entries.get('Annots'))
    for (const ref of refsIn(annots)) if (!form.has(ref.num)) add(ref)
  }
  return owners
}

/** The streams a DSS lists, directly and through its /VRI entries. */
function dssStreams(doc: PdfDocument, dss: PdfDict): PdfRef[] {
  const refs: PdfRef[] = []
  for (const key of ['Certs', 'CRLs', 'OCSPs']) refs.push(...refsIn(doc.resolve(dss.entries.get(key))))
  const vri = dictOf(doc.resolve(dss.entries.get('VRI')))
  for (const value of vri?.entries.values() ?? []) {
    const entry = dictOf(doc.resolve(value))
    for (const key of ['Cert', 'CRL', 'OCSP']) refs.push(...refsIn(doc.resolve(entry?.entries.get(key))))
    const ts = entry?.entries.get('TS')
    if (isRef(ts)) refs.push(ts)
  }
  return refs
}

/** Whether a stream holds one DER structure (a certificate, CRL, OCSP response or time-stamp token). */
function isDer(stream: Parameters<typeof decodeStream>[0]): boolean {
  let data: Uint8Array
  try {
    data = decodeStream(stream)
  } catch {
    return false
  }
  if (data[0] !== 0x30 || data.length < 2) return false
  const first = data[1] as number
  if (first < 0x80) return 2 + first === data.length
  const octets = first & 0x7f
  if (octets === 0 || octets > 4) return false
  let length = 0
  for (let i = 0; i < octets; i++) length = length * 256 + (data[2 + i] ?? 0)
  return 2 + octets + length === data.length
}

// Bound on the walk that counts references, like the comparison's own bound.
const MAX_REFERRER_VISITS = 500_000

/**
 * For each object reachable from the trailer of `doc`, the objects whose value refers to it (-1: the trailer).
 * Bounded: past MAX_REFERRER_VISITS objects the rest is not counted.
 */
function referrersOf(doc: PdfDocument): Map<number, Set<number>> {
  const referrers = new Map<number, Set<number>>()
  const queue: { ref: PdfRef; from: number }[] = []
  const visited = new Set<number>()
  const collect = (value: PdfObject | undefined, from: number, depth = 0): void => {
    if (value === undefined || value === null || depth > 64) return
    if (isRef(value)) {
      queue.push({ ref: value, from })
      return
    }
    if (Array.isArray(value)) for (const item of value) collect(item, from, depth + 1)
    else if (isDict(value)) for (const item of value.entries.values()) collect(item, from, depth + 1)
    else if (isStream(value)) collect(value.dict, from, depth + 1)
  }
  collect(doc.trailer, -1)
  while (queue.length > 0 && visited.size < MAX_REFERRER_VISITS) {
    const { ref, from } = queue.pop() as { ref: PdfRef; from: number }
    const set = referrers.get(ref.num) ?? new Set<number>()
    set.add(from)
    referrers.set(ref.num, set)
    if (visited.has(ref.num)) continue
    visited.add(ref.num)
    let target: PdfObject | undefined
    try {
      target = doc.getObject(ref)
    } catch {
      continue
    }
    collect(target, ref.num)
  }
  return referrers
}
