// What a PES_Aller flow looks like to a signer and a verifier: its bordereaux, their Ids and signatures, the
// InfoDematerialisee flags and the global signature, found in one pass (research/pes.md §2).

import { SceauError } from '../errors.js'
import type { XmlInput } from '../xml/source.js'
import { attribute, indexDocument, type DocumentIndex, type IndexedAttribute, type IndexedElement } from '../xml/index-document.js'

/** Namespace of the PES_Aller root; its children are unqualified. */
export const PES_ALLER_NS = 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller'

const KEPT = new Set(['Bordereau', 'InfoDematerialisee', 'EnTeteDepense', 'EnTeteRecette'])

/** One Bordereau of a flow. */
export interface PesBordereau {
  readonly element: IndexedElement
  /** Its `Id`, when present. */
  readonly id?: string
  /** Why the Id cannot be referenced (missing, not an NCName, used twice), or undefined when it can. */
  readonly idProblem?: string
  /** ds:Signature children. */
  readonly signatures: readonly IndexedElement[]
}

/** One InfoDematerialisee flag, or the header where it is missing. */
export interface PesInfoDematerialisee {
  /** EnTeteDepense or EnTeteRecette. */
  readonly header: IndexedElement
  readonly element?: IndexedElement
  /** The `V` attribute. */
  readonly value?: IndexedAttribute
}

/** The parts of a PES_Aller flow that signing and verification look at. */
export interface PesFlow {
  readonly index: DocumentIndex
  readonly root: IndexedElement
  readonly rootId?: string
  readonly rootIdProblem?: string
  readonly bordereaux: readonly PesBordereau[]
  /**
   * Every element named Bordereau, in any namespace and at any depth (when the index recorded them): those the
   * schema does not place (inside a ds:Object, under a foreign namespace…) included, so that none escapes the
   * question of whether a signature covers it.
   */
  readonly everyBordereau: readonly IndexedElement[]
  /** ds:Signature children of the root (global signatures). */
  readonly rootSignatures: readonly IndexedElement[]
  readonly infoDematerialisee: readonly PesInfoDematerialisee[]
}

/** True when the root of an indexed document is a PES_Aller. */
export function isPesAller(index: DocumentIndex): boolean {
  return index.root.localName === 'PES_Aller'
}

/** Indexes a document as a PES flow (the Bordereau, header and InfoDematerialisee elements are recorded). */
export function indexPes(document: XmlInput): DocumentIndex {
  return indexDocument(document, { keep: isPesElement })
}

/** The unqualified PES elements a flow's reading needs (bordereaux, headers, InfoDematerialisee). */
export function isPesElement(localName: string, namespace: string, depth: number): boolean {
  return namespace === '' && depth <= 3 && KEPT.has(localName)
}

/**
 * Reads the structure of a PES_Aller flow from its index (made by {@link indexPes}).
 *
 * @throws SceauError PES_STRUCTURE when the root is not PES_Aller or a Bordereau is empty.
 */
export function readPesFlow(index: DocumentIndex, file?: string): PesFlow {
  const { root } = index
  if (!isPesAller(index)) {
    throw new SceauError('PES_STRUCTURE', `${where(file)}the root element is <${root.name}>, not PES_Aller`, { details: fileDetails(file) })
  }
  const byParent = new Map<number, IndexedElement[]>()
  for (const element of index.elements) {
    const siblings = byParent.get(element.parentStart)
    if (siblings === undefined) byParent.set(element.parentStart, [element])
    else siblings.push(element)
  }
  const signaturesOf = (element: IndexedElement): IndexedElement[] =>
    (byParent.get(element.start) ?? []).filter((child) => index.signatures.includes(child))

  const bordereaux: PesBordereau[] = []
  const infoDematerialisee: PesInfoDematerialisee[] = []
  for (const element of index.elements) {
    if (element.localName === 'Bordereau' && element.depth === 2) {
      if (element.selfClosing) {
        throw new SceauError('PES_STRUCTURE', `${where(file)}a Bordereau at byte ${element.start} is empty`, { details: fileDetails(file) })
      }
      const id = attribute(element, 'Id')
      bordereaux.push({ element, id, idProblem: idProblem(index, id), signatures: signaturesOf(element) })
    } else if ((element.localName === 'EnTeteDepense' || element.localName === 'EnTeteRecette') && element.depth === 2) {
      const flag = (byParent.get(element.start) ?? []).find((child) => child.localName === 'InfoDematerialisee')
      infoDematerialisee.push({ header: element, element: flag, value: flag?.attributes.find((candidate) => candidate.name === 'V') })
    }
  }
  const rootId = attribute(root, 'Id')
  return {
    index,
    root,
    rootId,
    rootIdProblem: idProblem(index, rootId),
    bordereaux,
    everyBordereau: index.elements.filter((element) => element.localName === 'Bordereau'),
    rootSignatures: signaturesOf(root),
    infoDematerialisee,
  }
}

// xs:ID is an NCName: letters, digits, '_', '-', '.', combining marks; never starting with a digit, '-' or '.'.
const NCNAME = /^[\p{L}_][\p{L}\p{N}\p{M}_.\-\u00B7]*$/u

/** Whether `value` can be an xs:ID. */
export function isNcName(value: string): boolean {
  return NCNAME.test(value)
}

function idProblem(index: DocumentIndex, id: string | undefined): string | undefined {
  if (id === undefined) return 'has no Id'
  if (!isNcName(id)) return `has Id "${id}", which is not an XML name (xs:ID cannot start with a digit)`
  const carriers = index.ids.get(id)?.length ?? 0
  if (carriers > 1) return `has Id "${id}", which ${carriers} elements carry`
  return undefined
}

function where(file: string | undefined): string {
  return file === undefined ? '' : `${file}: `
}

function fileDetails(file: string | undefined): Record<string, string> {
  return file === undefined ? {} : { file }
}
