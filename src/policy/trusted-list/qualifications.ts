/**
 * Reads the ECC `Qualifications` extension of a service (TS 119 612 §5.5.9.2): qualification elements,
 * their qualifiers and their criteria lists.
 *
 * @packageDocumentation
 */

import type { CriteriaAssert, CriteriaList, KeyUsageCriterion, OtherCriterion, QualificationElement } from './types.js'
import { TL_NAMESPACES } from './uris.js'
import { children, elementChildren, malformed, requiredChild, text } from './xml.js'

const ECC = TL_NAMESPACES.ecc
const ASSERTS: readonly CriteriaAssert[] = ['all', 'atLeastOne', 'none']

/**
 * Reads a `Qualifications` element into its qualification elements.
 *
 * @example
 * ```ts
 * const elements = readQualifications(extensionElement, 'tl-fr.xml')
 * console.log(elements[0]?.qualifiers, elements[0]?.criteria.policySets)
 * ```
 */
export function readQualifications(qualifications: Element, file: string | undefined): QualificationElement[] {
  return children(qualifications, ECC, 'QualificationElement').map((element) => ({
    qualifiers: children(requiredChild(element, ECC, 'Qualifiers', file), ECC, 'Qualifier').map((qualifier) => {
      const uri = qualifier.getAttribute('uri')?.trim() ?? ''
      if (uri === '') throw malformed('a <Qualifier> has no uri attribute', file)
      return uri
    }),
    criteria: readCriteriaList(requiredChild(element, ECC, 'CriteriaList', file), file),
  }))
}

function readCriteriaList(list: Element, file: string | undefined): CriteriaList {
  const assert = list.getAttribute('assert') as CriteriaAssert | null
  if (assert === null || !ASSERTS.includes(assert)) {
    throw malformed(`a <CriteriaList> has assert="${assert ?? ''}", expected all, atLeastOne or none`, file)
  }
  const keyUsage: KeyUsageCriterion[] = []
  const policySets: string[][] = []
  const criteriaLists: CriteriaList[] = []
  const otherCriteria: OtherCriterion[] = []
  let description: string | undefined
  for (const element of elementChildren(list)) {
    const name = element.namespaceURI === ECC ? element.localName : undefined
    if (name === 'KeyUsage') keyUsage.push(readKeyUsage(element, file))
    else if (name === 'PolicySet') policySets.push(readPolicySet(element, file))
    else if (name === 'CriteriaList') criteriaLists.push(readCriteriaList(element, file))
    else if (name === 'Description') description = text(element) || undefined
    else if (name === 'otherCriteriaList') otherCriteria.push(...elementChildren(element).map(other))
    else otherCriteria.push(other(element))
  }
  return { assert, keyUsage, policySets, criteriaLists, otherCriteria, ...(description === undefined ? {} : { description }) }
}

function readKeyUsage(element: Element, file: string | undefined): KeyUsageCriterion {
  const bits: Record<string, boolean> = {}
  for (const bit of children(element, ECC, 'KeyUsageBit')) {
    const name = bit.getAttribute('name') ?? ''
    const value = text(bit)
    // xs:boolean allows 1 and 0 as well as the words.
    if (name === '' || !['true', 'false', '1', '0'].includes(value)) {
      throw malformed(`a <KeyUsageBit> is not name="…" with true or false (got name="${name}", "${value}")`, file)
    }
    bits[name] = value === 'true' || value === '1'
  }
  return bits
}

function readPolicySet(element: Element, file: string | undefined): string[] {
  return children(element, ECC, 'PolicyIdentifier').map((policy) => {
    const oid = text(requiredChild(policy, TL_NAMESPACES.xades, 'Identifier', file)).replace(/^urn:oid:/i, '')
    if (!/^\d+(\.\d+)+$/.test(oid)) throw malformed(`a <PolicyIdentifier> holds "${oid}", not an OID`, file)
    return oid
  })
}

function other(element: Element): OtherCriterion {
  return { namespace: element.namespaceURI ?? '', name: element.localName ?? element.nodeName }
}
