/**
 * Signs PES V2 (Hélios) flows with XAdES-EPES enveloped signatures as the DGFiP profile asks: one signature per
 * Bordereau, or one for the whole flow.
 *
 * @packageDocumentation
 */

import { closeSync, fstatSync, openSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { writeAtomically } from '../atomic-write.js'
import { SceauError } from '../errors.js'
import { defaultSha256Algorithm } from '../signer/algorithms.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import { digestElementAt } from '../xml/digest.js'
import { fileSource, readFully, type ByteSource, type XmlInput } from '../xml/source.js'
import { buildEnvelopedSignature, type ProductionPlace } from './build-signature.js'
import { HELIOS_POLICY, type SignaturePolicy } from './policies.js'
import { indexPes, readPesFlow, type PesFlow } from './pes-flow.js'
import { cannotRead } from '../read-file.js'

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
  let document = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  let flow = readPesFlow(indexPes(document), options.file)
  const repairs = planRepairs(flow, options)
  if (repairs.edits.length > 0) {
    document = applyEdits(document, repairs.edits)
    flow = readPesFlow(indexPes(document), options.file)
  }
  const signed = await makeSignatures(document, flow, signer, options, repairs.freshId)
  return { document: applyEdits(document, signed.insertions), signatures: signed.made, changes: repairs.changes }
}

/**
 * Signs the PES flow in file `input` into file `output`, reading the input piece by piece: memory stays a few MB
 * whatever the flow's size (attachments of hundreds of MB). The output is written to a temporary file beside it
 * and renamed, so it is complete or absent. Same options and refusals as {@link signPes}.
 *
 * @example
 * ```ts
 * const { signatures } = await signPesFile('PESALR2.xml', 'PESALR2-signed.xml', signer, { role: 'Maire' })
 * ```
 */
export async function signPesFile(
  input: string,
  output: string,
  signer: Signer,
  options: SignPesOptions = {},
): Promise<Omit<SignPesResult, 'document'>> {
  const file = options.file ?? input
  const opened: { fd: number; path?: string }[] = []
  const open = (path: string, owned: boolean): ByteSource => {
    const fd = openInput(path)
    opened.push({ fd, path: owned ? path : undefined })
    return fileSource(fd, fstatSync(fd).size)
  }
  try {
    let source = open(input, false)
    let flow = readPesFlow(indexPes(source), file)
    const repairs = planRepairs(flow, { ...options, file })
    if (repairs.edits.length > 0) {
      // The asked-for repairs change the bytes to hash: write them out once, then sign that copy.
      const repaired = join(dirname(output), `.${basename(output)}.${process.pid}.repaired.tmp`)
      await writeAtomically(repaired, (write) => copyWithEdits(source, repairs.edits, write))
      source = open(repaired, true)
      flow = readPesFlow(indexPes(source), file)
    }
    const signed = await makeSignatures(source, flow, signer, { ...options, file }, repairs.freshId)
    const from = source
    await writeAtomically(output, (write) => copyWithEdits(from, signed.insertions, write))
    return { signatures: signed.made, changes: repairs.changes }
  } finally {
    for (const { fd, path } of opened) {
      closeSync(fd)
      if (path !== undefined) rmSync(path, { force: true })
    }
  }
}

function openInput(path: string): number {
  try {
    return openSync(path, 'r')
  } catch (cause) {
    throw cannotRead(path, cause)
  }
}

interface Repairs {
  edits: Edit[]
  changes: SignPesResult['changes']
  /** A new Id, unused in the flow (nor with the suffixes a signature adds). */
  freshId: (stem: string) => string
}

/** What must change before hashing (Ids, InfoDematerialisee), or why the flow cannot be signed as asked. */
function planRepairs(flow: PesFlow, options: SignPesOptions): Repairs {
  const placement = options.placement ?? 'per-bordereau'
  const file = options.file
  const details: Record<string, string> = file === undefined ? {} : { file }
  const where = file === undefined ? '' : `${file}: `
  if (placement === 'per-bordereau' && flow.bordereaux.length === 0) {
    throw new SceauError('PES_STRUCTURE', `${where}the flow has no Bordereau to sign; sign it whole instead`, { details })
  }
  refuseCoSignature(flow, placement, where, details)

  const edits: Edit[] = []
  const idsAdded: string[] = []
  const used = new Set(flow.index.ids.keys())
  const freshId = (stem: string): string => {
    const taken = (id: string): boolean => used.has(id) || ['_SP', '_SV', '_KI', '_QI'].some((suffix) => used.has(id + suffix))
    let n = 1
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

  if (flow.infoDematerialisee.length === 0) {
    throw new SceauError('PES_STRUCTURE', `${where}the flow has no EnTeteDepense or EnTeteRecette header`, { details })
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
  return { edits, changes: { infoDematerialisee, idsAdded }, freshId }
}

/** Digests the elements to sign and builds their signatures (concurrently: a token pool keeps several in flight). */
async function makeSignatures(
  document: XmlInput,
  flow: PesFlow,
  signer: Signer,
  options: SignPesOptions,
  freshId: (stem: string) => string,
): Promise<{ made: PesSignatureMade[]; insertions: Edit[] }> {
  const encoding = flow.index.encoding
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer, ', which the Hélios profile requires')
  const signingTime = options.signingTime ?? new Date()
  const elements = options.placement === 'whole' ? [flow.root] : flow.bordereaux.map((bordereau) => bordereau.element)
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
        insertion: { at: element.endTagStart, remove: 0, insert: Buffer.from(bytes) },
      }
    }),
  )
  return { made: signed.map((entry) => entry.made), insertions: signed.map((entry) => entry.insertion) }
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

const COPY_CHUNK = 1024 * 1024

/** Streams `source` with `edits` applied into `write`, a chunk at a time. */
function copyWithEdits(source: ByteSource, edits: readonly Edit[], write: (bytes: Uint8Array) => void): void {
  // A small flow gets a buffer its size: a batch of thousands would otherwise allocate a megabyte per flow.
  const chunkSize = Math.max(1, Math.min(COPY_CHUNK, source.size))
  const chunk = Buffer.allocUnsafe(chunkSize)
  const copy = (from: number, to: number): void => {
    for (let at = from; at < to; at += chunkSize) {
      const piece = chunk.subarray(0, Math.min(chunkSize, to - at))
      readFully(source, piece, at)
      write(piece)
    }
  }
  let from = 0
  for (const edit of [...edits].sort((a, b) => a.at - b.at)) {
    copy(from, edit.at)
    write(edit.insert)
    from = edit.at + edit.remove
  }
  copy(from, source.size)
}
