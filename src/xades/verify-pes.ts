// What the DGFiP profile asks of a PES flow as a whole and of where each signature sits (research/pes.md §2).

import { attribute, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import type { PesFlow } from './pes-flow.js'
import type { Check } from '../verdicts.js'
import type { CoveredElement, SignatureReport } from './report.js'

export function genericDocumentChecks(index: DocumentIndex): Check[] {
  if (index.signatures.length > 0)
    return [{ id: 'document.signed', status: 'pass', reason: `${index.signatures.length} ds:Signature found` }]
  return [{ id: 'document.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the document has no ds:Signature' }]
}

export function pesDocumentChecks(
  flow: PesFlow,
  signatures: readonly SignatureReport[],
  coverage: readonly ((element: IndexedElement) => boolean)[],
): Check[] {
  const checks: Check[] = []
  const signedCount = flow.index.signatures.length
  if (signedCount === 0) {
    checks.push({ id: 'pes.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the flow has no signature' })
    return checks
  }
  // Which bordereaux a valid Reference of a signature whose value verifies covers, wherever they are: one hidden
  // in a ds:Object, in KeyInfo or under a foreign namespace is as unsigned as one beside the signed ones
  // (signature wrapping, McIntosh & Austel 2005; Somorovsky et al. 2012).
  const unsigned = flow.everyBordereau.filter((bordereau) => !coverage.some((covers) => covers(bordereau)))
  if (unsigned.length > 0) {
    checks.push({
      id: 'pes.bordereaux-signed',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `${unsigned.length} of ${flow.everyBordereau.length} bordereaux are covered by no valid signature: ${unsigned
        .map((bordereau) => describeBordereau(flow, bordereau))
        .join('; ')}`,
    })
  } else {
    const global = signatures.some((signature) => signature.covers.some((covered) => covered.scope === 'document' && covered.digestValid))
    checks.push({
      id: 'pes.bordereaux-signed',
      status: 'pass',
      reason: global ? 'a signature covers the whole flow' : `all ${flow.everyBordereau.length} bordereaux are signed`,
    })
  }
  const cosigned = [...flow.bordereaux.map((bordereau) => bordereau.signatures), flow.rootSignatures].find((list) => list.length > 1)
  if (cosigned !== undefined) {
    checks.push({
      id: 'pes.single-signature',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: 'an element carries several signatures; the Hélios policy forbids co-signature',
    })
  }
  const notDematerialised = flow.infoDematerialisee.filter((flag) => flag.value?.value !== '1')
  checks.push(
    notDematerialised.length === 0
      ? { id: 'pes.info-dematerialisee', status: 'pass', reason: 'InfoDematerialisee is 1 in every header' }
      : {
          id: 'pes.info-dematerialisee',
          status: 'fail',
          subIndication: 'FORMAT_FAILURE',
          reason: `InfoDematerialisee is ${notDematerialised
            .map((flag) => `${flag.value === undefined ? 'missing' : `"${flag.value.value}"`} in ${flag.header.localName}`)
            .join(', ')}; Hélios rejects a signed flow unless it is 1`,
        },
  )
  return checks
}

export function pesPlacementChecks(flow: PesFlow, signature: IndexedElement, covers: readonly CoveredElement[]): Check[] {
  const content = covers.filter((covered) => covered.scope !== 'signed-properties')
  const holder = flow.bordereaux.find((bordereau) => bordereau.element.start === signature.parentStart)
  let problem: string | undefined
  if (holder !== undefined) {
    if (content.length !== 1 || content[0]?.scope !== 'bordereau' || content[0].id !== holder.id) {
      problem = `the signature sits in Bordereau ${holder.id ?? ''} but covers ${content.map((covered) => covered.uri || '""').join(', ') || 'nothing'}`
    }
  } else if (signature.parentStart === flow.root.start) {
    if (content.length !== 1 || content[0]?.scope !== 'document') {
      problem = `the signature sits in PES_Aller but covers ${content.map((covered) => covered.uri || '""').join(', ') || 'nothing'}, not the whole flow`
    }
  } else
    problem = `a signature inside <${signature.parentName}> is not where the PES schema allows one (last child of Bordereau or PES_Aller)`
  return problem === undefined
    ? [{ id: 'pes.placement', status: 'pass', reason: holder ? `covers its Bordereau ${holder.id ?? ''}` : 'covers the whole flow' }]
    : [{ id: 'pes.placement', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: problem }]
}

/** A Bordereau named so that a reader finds it: its Id, namespace, place, and the signature it hides in. */
function describeBordereau(flow: PesFlow, bordereau: IndexedElement): string {
  const id = attribute(bordereau, 'Id')
  const name = id === undefined ? 'a Bordereau without Id' : `Bordereau Id="${id}"`
  const namespace = bordereau.namespace === '' ? '' : ` in namespace ${bordereau.namespace}`
  const holder = flow.index.signatures.find((signature) => bordereau.start > signature.start && bordereau.end <= signature.end)
  const where =
    holder === undefined ? `in <${bordereau.parentName}>` : `inside the ds:Signature at byte ${holder.start} (in <${bordereau.parentName}>)`
  return `${name}${namespace} at byte ${bordereau.start}, ${where}`
}
