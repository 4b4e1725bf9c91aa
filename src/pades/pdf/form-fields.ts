// The interactive form as the change analysis needs it: every field and widget object with its fully qualified
// name, its (inherited) field type and the field that holds its value, and the FieldMDP locks that signed signature
// fields put on other fields (ISO 32000-1 §12.8.2.4 FieldMDP, §12.7.4.5 signature field /Lock).

import { type PdfObject, type PdfRef, dictOf, isDict, isName, isRef, isString } from './objects.js'
import { type PdfDocument, textOf } from './read-pdf.js'

/** A field or widget object of the form. */
export interface FormNode {
  readonly ref: PdfRef
  /** Fully qualified name of the field it is or belongs to (a widget without /T takes its parent's). */
  readonly name: string
  /** Own or inherited /FT. */
  readonly type: string | undefined
  /** Object number of the field dictionary that holds the value (/V): itself, or the parent of a bare widget. */
  readonly field: number
  readonly widget: boolean
}

/** A FieldMDP lock: the fields a signature locks once it is signed. */
export interface FieldLock {
  /** The signature field that locks. */
  readonly by: string
  readonly action: 'All' | 'Include' | 'Exclude'
  readonly fields: readonly string[]
}

// Bounds on the form walk, so that a cyclic or adversarial field tree cannot run away.
const MAX_DEPTH = 64
const MAX_NODES = 100_000

/**
 * Every field and widget object reachable from the form's /Fields through /Kids, by object number.
 *
 * @example
 * ```ts
 * for (const node of formNodes(readPdf(pdf)).values()) console.log(node.name, node.type, node.widget)
 * ```
 */
export function formNodes(doc: PdfDocument): Map<number, FormNode> {
  const nodes = new Map<number, FormNode>()
  const walk = (list: PdfObject | undefined, parent: FormNode | undefined, depth: number): void => {
    const items = doc.resolve(list)
    if (!Array.isArray(items) || depth > MAX_DEPTH) return
    for (const item of items) {
      if (!isRef(item) || nodes.has(item.num) || nodes.size >= MAX_NODES) continue
      // Field and widget dictionaries are never streams: a stream listed in /Fields is not a field.
      const dict = doc.getObject(item)
      if (!isDict(dict)) continue
      const partial = dict.entries.get('T')
      const ft = doc.resolve(dict.entries.get('FT'))
      const named = isString(partial)
      const node: FormNode = {
        ref: item,
        name: named ? (parent ? `${parent.name}.${textOf(partial)}` : textOf(partial)) : (parent?.name ?? ''),
        type: isName(ft) ? ft.name : parent?.type,
        field: named || !parent ? item.num : parent.field,
        widget: isName(dict.entries.get('Subtype'), 'Widget'),
      }
      nodes.set(item.num, node)
      walk(dict.entries.get('Kids'), node, depth + 1)
    }
  }
  walk(doc.acroForm?.dict.entries.get('Fields'), undefined, 0)
  return nodes
}

/** Whether the field object `field` holds a signature dictionary as its value. */
export function isSigned(doc: PdfDocument, field: number): boolean {
  const ref = doc.refTo(field)
  return ref !== undefined && isDict(doc.resolve(dictOf(doc.getObject(ref))?.entries.get('V')))
}

/**
 * The FieldMDP locks in force in `doc`: those of the signature dictionaries' /Reference entries and the /Lock of
 * every signed signature field.
 *
 * @example
 * ```ts
 * const locks = fieldLocks(readPdf(signedRevision))
 * console.log(lockedBy(locks, 'Montant')) // the signature field that locks it, or undefined
 * ```
 */
export function fieldLocks(doc: PdfDocument): FieldLock[] {
  const locks: FieldLock[] = []
  const add = (by: string, params: PdfObject | undefined): void => {
    const dict = dictOf(doc.resolve(params))
    const action = doc.resolve(dict?.entries.get('Action'))
    if (!isName(action) || !['All', 'Include', 'Exclude'].includes(action.name)) return
    const fields = doc.resolve(dict?.entries.get('Fields'))
    const names = Array.isArray(fields)
      ? fields
          .map((name) => doc.resolve(name))
          .filter(isString)
          .map(textOf)
      : []
    locks.push({ by, action: action.name as FieldLock['action'], fields: names })
  }
  for (const signature of doc.signatures) {
    const sig = dictOf(doc.resolve(signature.sigRef))
    const references = doc.resolve(sig?.entries.get('Reference'))
    for (const item of Array.isArray(references) ? references : []) {
      const reference = dictOf(doc.resolve(item))
      if (isName(doc.resolve(reference?.entries.get('TransformMethod')), 'FieldMDP'))
        add(signature.name, reference?.entries.get('TransformParams'))
    }
    add(signature.name, dictOf(doc.getObject(signature.ref))?.entries.get('Lock'))
  }
  return locks
}

/** The signature field whose lock covers the field `name`, or undefined when no lock does. */
export function lockedBy(locks: readonly FieldLock[], name: string): string | undefined {
  const listed = (fields: readonly string[]): boolean => fields.some((field) => name === field || name.startsWith(`${field}.`))
  for (const lock of locks) {
    if (lock.action === 'All' || (lock.action === 'Include' && listed(lock.fields)) || (lock.action === 'Exclude' && !listed(lock.fields)))
      return lock.by
  }
  return undefined
}
