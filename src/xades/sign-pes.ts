/**
 * Signs PES V2 (Hélios) flows with XAdES-EPES enveloped signatures as the DGFiP profile asks: one signature per
 * Bordereau, or one for the whole flow.
 *
 * @packageDocumentation
 */

import { SceauError } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import { digestElementAt } from '../xml/digest.js'
import type { IndexedElement } from '../xml/index-document.js'
import { buildEnvelopedSignature, type ProductionPlace } from './build-signature.js'
import { HELIOS_POLICY, type SignaturePolicy } from './policies.js'
import { indexPes, readPesFlow, type PesFlow } from './pes-flow.js'

/** Options of {@link signPes}. */
export interface SignPesOptions {
  /** One signature per Bordereau (default, what Hélios platforms produce) or one global signature. */
  readonly placement?: 'per-bordereau' | 'whole'
  /** ClaimedRole, required by the DGFiP verifier. Default `Ordonnateur`. */
  readonly role?: string
  /** SignatureProductionPlace (city, postal code, country). */
  readonly place?: ProductionPlace
  /** Default {@link HELIOS_POLICY} (…21.1.7). */
  readonly policy?: SignaturePolicy
  /** Set InfoDematerialisee to 1 (creating it when missing) before hashing. Without it, a flow not at 1 is refused. */
  readonly setInfoDematerialisee?: boolean
  /** Give `BORD_n` Ids to bordereaux (or `PES_n` to the root, for `whole`) whose Id is missing or unusable. */
  readonly addMissingIds?: boolean
  /** Default RSASSA-PKCS1-v1_5-SHA256 for RSA keys, ECDSA-SHA256 for EC keys. */
  readonly algorithm?: SignatureAlgorithm
  /** Default now. */
  readonly signingTime?: Date
  /** Named in error messages. */
  readonly file?: string
  readonly signal?: AbortSignal
}

/** One signature made by {@link signPes}. */
export interface PesSignatureMade {
  /** The ds:Signature Id. */
  readonly id: string
  /** `Bordereau` or `PES_Aller`. */
  readonly element: string
  /** Id of the signed element. */
  readonly elementId: string
}

/** What {@link signPes} returns. */
export interface SignPesResult {
  /** The signed flow: the input's bytes, in its encoding, with the signatures (and any asked-for change) inserted. */
  readonly document: Uint8Array
  readonly signatures: readonly PesSignatureMade[]
  /** Changes made before hashing, at the caller's request. */
  readonly changes: { readonly infoDematerialisee: number; readonly idsAdded: readonly string[] }
}

interface Edit {
  at: number
  /** Bytes removed from `at` (0 for an insertion). */
  remove: number
  insert: Buffer
}

/**
 * Signs a PES_Aller flow. The bytes outside the inserted signatures stay as they were (encoding, whitespace,
 * attribute order), except the InfoDematerialisee flag and Ids when the options ask for them.
 *
 * @throws SceauError PES_STRUCTURE, PES_ID_INVALID, PES_INFO_DEMATERIALISEE, ALREADY_SIGNED, INPUT_MALFORMED, and
 * the signer's errors (PIN, token, key).
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises'
 * import { Pkcs12Signer } from 'sceau/signer'
 * import { signPes } from 'sceau/xades'
 * const signer = await Pkcs12Signer.open({ file: 'agent.p12', password: process.env.P12_PASSWORD ?? '' })
 * const { document } = await signPes(await readFile('PESALR2.xml'), signer, { role: 'Maire', place: { city: 'Nice', postalCode: '06000', country: 'France' } })
 * await writeFile('PESALR2-signed.xml', document)
 * ```
 */
export async function signPes(input: Uint8Array, signer: Signer, options: SignPesOptions = {}): Promise<SignPesResult> {
  const placement = options.placement ?? 'per-bordereau'
  const file = options.file
  const details: Record<string, string> = file === undefined ? {} : { file }
  const where = file === undefined ? '' : `${file}: `
  let document = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  let flow = readPesFlow(indexPes(document), file)

  const targets: IndexedElement[] = placement === 'whole' ? [flow.root] : flow.bordereaux.map((bordereau) => bordereau.element)
  if (placement === 'per-bordereau' && targets.length === 0) {
    throw new SceauError('PES_STRUCTURE', `${where}the flow has no Bordereau to sign; sign it whole instead`, { details })
  }
  refuseCoSignature(flow, placement, where, details)

  const edits: Edit[] = []
  const idsAdded: string[] = []
  const used = new Set(flow.index.ids.keys())
  const freshId = (stem: string): string => {
    let n = 1
    const taken = (id: string): boolean => used.has(id) || ['_SP', '_SV', '_KI', '_QI'].some((suffix) => used.has(id + suffix))
    while (taken(`${stem}${n}`)) n++
    used.add(`${stem}${n}`)
    return `${stem}${n}`
  }
  const needsId =
    placement === 'whole'
      ? flow.rootIdProblem === undefined
        ? []
        : [{ element: flow.root, problem: flow.rootIdProblem, stem: 'PES_' }]
      : flow.bordereaux.flatMap((bordereau) =>
          bordereau.idProblem === undefined ? [] : [{ element: bordereau.element, problem: bordereau.idProblem, stem: 'BORD_' }],
        )
  for (const { element, problem, stem } of needsId) {
    if (options.addMissingIds !== true) {
      throw new SceauError(
        'PES_ID_INVALID',
        `${where}the ${element.localName} at byte ${element.start} ${problem}; give --add-ids to add one` +
          (placement === 'whole' ? '' : ', or --whole to sign the flow globally'),
        { details },
      )
    }
    const id = freshId(stem)
    idsAdded.push(id)
    const existing = element.attributes.find((candidate) => candidate.name === 'Id')
    if (existing === undefined) edits.push({ at: element.start + 1 + element.name.length, remove: 0, insert: Buffer.from(` Id="${id}"`) })
    else edits.push({ at: existing.valueStart, remove: existing.valueEnd - existing.valueStart, insert: Buffer.from(id) })
  }

  let infoDematerialisee = 0
  for (const flag of flow.infoDematerialisee) {
    if (flag.value?.value === '1') continue
    if (options.setInfoDematerialisee !== true) {
      throw new SceauError(
        'PES_INFO_DEMATERIALISEE',
        `${where}InfoDematerialisee of ${flag.header.localName} is ${flag.value === undefined ? 'missing' : `"${flag.value.value}"`}; ` +
          'Hélios rejects a signed flow unless it is 1: give --set-info-demat to set it before signing',
        { details },
      )
    }
    infoDematerialisee++
    if (flag.value !== undefined)
      edits.push({ at: flag.value.valueStart, remove: flag.value.valueEnd - flag.value.valueStart, insert: Buffer.from('1') })
    else if (flag.element !== undefined) {
      edits.push({ at: flag.element.start + 1 + flag.element.name.length, remove: 0, insert: Buffer.from(' V="1"') })
    } else if (!flag.header.selfClosing) {
      // Where the Axyus/Xemelios signer puts it: last child of the header, after IdVer.
      edits.push({ at: flag.header.endTagStart, remove: 0, insert: Buffer.from('<InfoDematerialisee V="1"/>') })
    } else {
      throw new SceauError('PES_STRUCTURE', `${where}${flag.header.localName} is empty (no IdVer)`, { details })
    }
  }
  if (flow.infoDematerialisee.length === 0) {
    throw new SceauError('PES_STRUCTURE', `${where}the flow has no EnTeteDepense or EnTeteRecette header`, { details })
  }

  if (edits.length > 0) {
    document = applyEdits(document, edits)
    flow = readPesFlow(indexPes(document), file)
  }

  const encoding = flow.index.encoding
  const algorithm = options.algorithm ?? defaultAlgorithm(signer)
  const signingTime = options.signingTime ?? new Date()
  const elements = placement === 'whole' ? [flow.root] : flow.bordereaux.map((bordereau) => bordereau.element)
  const signed = await Promise.all(
    elements.map(async (element) => {
      const elementId = element.attributes.find((candidate) => candidate.name === 'Id')?.value as string
      const { digest } = digestElementAt(document, encoding, element, { hash: 'SHA-256' })
      const id = freshId(`${elementId}_SIG_`)
      const bytes = await buildEnvelopedSignature({
        id,
        referenceUri: `#${elementId}`,
        referenceDigest: digest,
        digest: 'SHA-256',
        algorithm,
        signer,
        encoding,
        signal: options.signal,
        properties: { signingTime, role: options.role ?? 'Ordonnateur', place: options.place, policy: options.policy ?? HELIOS_POLICY },
      })
      return {
        made: { id, element: element.localName, elementId },
        edit: { at: element.endTagStart, remove: 0, insert: Buffer.from(bytes) },
      }
    }),
  )
  return {
    document: applyEdits(
      document,
      signed.map((entry) => entry.edit),
    ),
    signatures: signed.map((entry) => entry.made),
    changes: { infoDematerialisee, idsAdded },
  }
}

function refuseCoSignature(flow: PesFlow, placement: 'per-bordereau' | 'whole', where: string, details: Record<string, string>): void {
  const signedBordereau = flow.bordereaux.find((bordereau) => bordereau.signatures.length > 0)
  if (placement === 'per-bordereau' && signedBordereau !== undefined) {
    throw new SceauError(
      'ALREADY_SIGNED',
      `${where}Bordereau ${signedBordereau.id ?? `at byte ${signedBordereau.element.start}`} is already signed; the Hélios policy forbids co-signature`,
      { details },
    )
  }
  if (flow.rootSignatures.length > 0) {
    throw new SceauError(
      'ALREADY_SIGNED',
      `${where}the flow already carries a global signature` +
        (placement === 'whole' ? '; the Hélios policy forbids co-signature' : ', which signing a Bordereau would break'),
      { details },
    )
  }
}

function defaultAlgorithm(signer: Signer): SignatureAlgorithm {
  const wanted: SignatureAlgorithm = signer.key.type === 'EC' ? 'ECDSA-SHA256' : 'RSASSA-PKCS1-v1_5-SHA256'
  if (!signer.algorithms.includes(wanted)) {
    throw new SceauError('ALGORITHM_UNSUPPORTED', `the key cannot produce ${wanted}, which the Hélios profile requires`, {
      details: { algorithm: wanted },
    })
  }
  return wanted
}

/** Applies non-overlapping edits in one copy. */
function applyEdits(document: Buffer, edits: readonly Edit[]): Buffer {
  const sorted = [...edits].sort((a, b) => a.at - b.at)
  const parts: Buffer[] = []
  let from = 0
  for (const edit of sorted) {
    parts.push(document.subarray(from, edit.at), edit.insert)
    from = edit.at + edit.remove
  }
  parts.push(document.subarray(from))
  return Buffer.concat(parts)
}
