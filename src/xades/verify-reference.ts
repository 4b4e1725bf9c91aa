// One ds:Reference: which element it points at (refusing wrapping tricks), whether its digest matches, and what
// the digested data covers. The digest itself comes from src/xml (streamed when it can be, else through the
// node-set pipeline); here each outcome becomes a check with the sub-indication EN 319 102-1 gives it.

import { createHash, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, isAbsolute, relative, resolve, sep } from 'node:path'
import { SceauError } from '../errors.js'
import { cannotRead } from '../read-file.js'
import type { Check, FailedCheck, IndeterminateCheck } from '../verdicts.js'
import { nodeHash } from '../xml/digest.js'
import type { IndexedElement } from '../xml/index-document.js'
import { digestReference, type ReferenceDocument } from '../xml/reference.js'
import { ENVELOPED_SIGNATURE, parseSameDocumentUri, runTransforms } from '../xml/transforms.js'
import type { ReadReference } from './read-signature.js'
import type { CoveredElement } from './report.js'
import { digestFromUri, EXC_C14N, EXC_C14N_WITH_COMMENTS, XADES_NAMESPACES, type XmlDigestAlgorithm } from './uris.js'

export interface ReferenceOutcome {
  check: Check
  covered?: CoveredElement
  /** For a Reference whose digest matches: whether the signed data holds this element whole. */
  covers?: (element: IndexedElement) => boolean
}

/** Options of {@link checkReference}. */
export interface ReferenceCheckOptions {
  /** The DGFiP profile applies: enveloped-signature and exclusive C14N only. */
  readonly pes: boolean
  /** Named in the check ids: `xmldsig.reference`, or `xmldsig.manifest-reference` for a ds:Manifest's. */
  readonly id?: string
}

const PES_TRANSFORMS = [ENVELOPED_SIGNATURE, EXC_C14N, EXC_C14N_WITH_COMMENTS]

/**
 * Checks a same-document Reference of the signature at `signature`: resolves its URI (an Id carried twice is a
 * wrapping attempt and fails), computes its digest and compares it.
 */
export function checkReference(
  document: ReferenceDocument,
  signature: IndexedElement,
  reference: ReadReference,
  options: ReferenceCheckOptions,
): ReferenceOutcome {
  const { index } = document
  const uri = reference.uri
  const id = options.id ?? 'xmldsig.reference'
  const label = `Reference URI="${uri ?? ''}"`
  const fail = (reason: string): ReferenceOutcome => ({
    check: { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: `${label}: ${reason}` },
  })
  const indeterminate = (subIndication: IndeterminateCheck['subIndication'], reason: string): ReferenceOutcome => ({
    check: { id, status: 'indeterminate', subIndication, reason: `${label}: ${reason}` },
  })
  // XML-DSig §4.4.3.1: without URI the application must know the data; sceau does not.
  if (uri === undefined) return indeterminate('SIGNED_DATA_NOT_FOUND', 'a Reference without URI names no data sceau can find')
  const parsed = parseSameDocumentUri(uri)
  if (parsed === undefined) return indeterminate('SIG_CONSTRAINTS_FAILURE', 'this XPointer form is not supported')
  let target: IndexedElement
  if (parsed.kind === 'document') target = index.root
  else {
    const carriers = index.ids.get(parsed.id) ?? []
    if (carriers.length === 0) return indeterminate('SIGNED_DATA_NOT_FOUND', `no element has Id "${parsed.id}"`)
    if (carriers.length > 1) return fail(`Id "${parsed.id}" is carried by ${carriers.length} elements (signature wrapping)`)
    target = carriers[0] as IndexedElement
  }
  const digest = digestFromUri(reference.digestMethod)
  if (digest === undefined) return unsupportedDigest(reference, id)
  if (options.pes) {
    const foreign = reference.transforms.find((transform) => !PES_TRANSFORMS.includes(transform.algorithm))
    if (foreign !== undefined)
      return fail(`transform ${foreign.algorithm}: the DGFiP verifier accepts enveloped-signature and exclusive C14N only`)
  }
  let computed: Uint8Array
  let covers: (element: IndexedElement) => boolean
  try {
    const result = digestReference(document, {
      uri: parsed,
      target,
      transforms: reference.transforms,
      hash: digest,
      offset: reference.offset,
      signature,
    })
    computed = result.digest
    covers = result.covers
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    if (err.code === 'ALGORITHM_UNSUPPORTED') return indeterminate('SIG_CONSTRAINTS_FAILURE', err.message)
    if (err.code === 'INPUT_TOO_LARGE') return indeterminate('SIGNED_DATA_NOT_FOUND', `its transforms need a DOM: ${err.message}`)
    return fail(err.message)
  }
  const valid = sameDigest(computed, reference.digestValue)
  const signedProperties = target.localName === 'SignedProperties' && XADES_NAMESPACES.includes(target.namespace)
  const covered: CoveredElement = {
    uri,
    scope:
      target === index.root
        ? 'document'
        : signedProperties
          ? 'signed-properties'
          : target.localName === 'Bordereau' && options.pes
            ? 'bordereau'
            : 'element',
    element: target.name,
    id: parsed.kind === 'id' ? parsed.id : undefined,
    digestValid: valid,
  }
  return {
    covered,
    covers: valid ? covers : undefined,
    check: valid
      ? { id, status: 'pass', reason: `${label} (<${target.name}>): digest matches` }
      : {
          id,
          status: 'fail',
          subIndication: 'HASH_FAILURE',
          reason: `${label} (<${target.name}>): digest does not match — the content was changed after signing`,
        },
  }
}

/** True for a URI that names something in the signature's own document (checked by {@link checkReference}). */
export function isSameDocumentUri(uri: string | undefined): boolean {
  return uri === undefined || uri === '' || uri.startsWith('#')
}

/** Where the content of a detached Reference is looked for. */
export interface DetachedContentLookup {
  /** Directory of the signature file, against which relative URIs resolve; none when the signature came as bytes. */
  readonly baseDirectory?: string
  /** A path given by the caller: used for the single external Reference whatever its URI, else for the one of the same name. */
  readonly content?: string
  /** How many References of the signature point outside it. */
  readonly externalReferences: number
  readonly signal?: AbortSignal
  /** Largest detached content read into memory for transforms (a DOM is built of it); 64 MB by default. */
  readonly maxTransformedBytes?: number
}

const DEFAULT_MAX_TRANSFORMED = 64 * 1024 * 1024

/**
 * The digest of detached content through the Reference's transforms (XML-DSig §4.4.3.2: the octets are parsed when
 * a transform needs a node-set, a node-set left at the end is canonicalised with C14N 1.0).
 */
async function transformedContent(
  path: string,
  digest: XmlDigestAlgorithm,
  reference: ReadReference,
  maxBytes: number,
): Promise<Uint8Array> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch (cause) {
    throw cannotRead(path, cause)
  }
  if (size > maxBytes) {
    throw new SceauError(
      'INPUT_TOO_LARGE',
      `the detached content "${path}" (${size} bytes) is over the ${maxBytes} bytes its transforms may read`,
    )
  }
  const octets = await readFile(path)
  const { octets: output } = runTransforms({ octets }, reference.transformElements, { signature: undefined, parse: { maxBytes } })
  return new Uint8Array(createHash(nodeHash(digest)).update(output).digest())
}

/**
 * A Reference to content outside the signature's document: a file named by a relative URI (percent-decoded,
 * resolved against the signature's directory and never above it) or given by the caller. Nothing is ever fetched:
 * http(s):, file: and other URIs with a scheme, absolute paths and `..` escapes fail. Without transforms the file is
 * digested while read; with transforms it is read whole (bounded) and run through them.
 */
export async function checkDetachedReference(reference: ReadReference, lookup: DetachedContentLookup): Promise<ReferenceOutcome> {
  const uri = reference.uri ?? ''
  const outcome = (
    verdict: Pick<FailedCheck, 'status' | 'subIndication'> | Pick<IndeterminateCheck, 'status' | 'subIndication'>,
    reason: string,
  ): ReferenceOutcome => ({ check: { id: 'xmldsig.reference', ...verdict, reason: `Reference URI="${uri}": ${reason}` } })
  const named = relativeFileName(uri)
  const given = lookup.content
  let path: string
  if (given !== undefined && (lookup.externalReferences === 1 || (named.name !== undefined && basename(named.name) === basename(given)))) {
    path = given
  } else if (named.name === undefined) {
    return outcome(
      { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
      `points outside the document (${named.problem}); give the content it signs`,
    )
  } else if (lookup.baseDirectory === undefined) {
    return outcome(
      { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
      'detached content, and the signature was not read from a file: give the content',
    )
  } else {
    path = resolve(lookup.baseDirectory, named.name)
    const inside = relative(lookup.baseDirectory, path)
    if (inside === '' || inside.split(sep)[0] === '..' || isAbsolute(inside)) {
      return outcome(
        { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
        `points outside the signature's directory; give the content it signs`,
      )
    }
  }
  const element = named.name ?? basename(path)
  const digest = digestFromUri(reference.digestMethod)
  if (digest === undefined) return unsupportedDigest(reference)
  let computed: Uint8Array
  try {
    computed =
      reference.transforms.length === 0
        ? await hashContent(path, digest, lookup.signal)
        : await transformedContent(path, digest, reference, lookup.maxTransformedBytes ?? DEFAULT_MAX_TRANSFORMED)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    if (err.code === 'FILE_NOT_FOUND') {
      return outcome(
        { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
        `the detached content "${path}" cannot be read; give the content it signs`,
      )
    }
    if (err.code === 'ALGORITHM_UNSUPPORTED')
      return outcome({ status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE' }, err.message)
    if (err.code === 'INPUT_TOO_LARGE') return outcome({ status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' }, err.message)
    if (err.code === 'INPUT_MALFORMED') {
      return outcome({ status: 'fail', subIndication: 'FORMAT_FAILURE' }, `its transforms cannot process "${path}": ${err.message}`)
    }
    throw err
  }
  const valid = sameDigest(computed, reference.digestValue)
  return {
    covered: { uri, scope: 'detached', element, file: path, digestValid: valid },
    check: valid
      ? { id: 'xmldsig.reference', status: 'pass', reason: `Reference URI="${uri}" (file ${path}): digest matches` }
      : {
          id: 'xmldsig.reference',
          status: 'fail',
          subIndication: 'HASH_FAILURE',
          reason: `Reference URI="${uri}" (file ${path}): digest does not match — the file was changed after signing`,
        },
  }
}

/** The file name a relative-path URI reference stands for (RFC 3986 §4.2, percent-decoded), or why it is not one. */
function relativeFileName(uri: string): { name: string; problem?: undefined } | { name?: undefined; problem: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]
  if (scheme !== undefined) return { problem: `a ${scheme}: URI, which sceau never fetches` }
  if (uri.startsWith('/')) return { problem: 'an absolute path' }
  if (/[?#\\]/.test(uri)) return { problem: 'a query, fragment or backslash is not a file name' }
  let name: string
  try {
    name = decodeURIComponent(uri)
  } catch {
    return { problem: 'malformed percent-encoding' }
  }
  if (name.includes('\0')) return { problem: 'a NUL character' }
  return { name }
}

function unsupportedDigest(reference: ReadReference, id = 'xmldsig.reference'): ReferenceOutcome {
  return {
    check: {
      id,
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `Reference URI="${reference.uri ?? ''}": digest method ${reference.digestMethod} is not supported`,
    },
  }
}

function sameDigest(computed: Uint8Array, written: Uint8Array): boolean {
  return computed.length === written.length && timingSafeEqual(computed, written)
}

/** The digest of a detached file, read in 1 MiB chunks (any XML-DSig digest, SHA-3 included). */
async function hashContent(path: string, digest: XmlDigestAlgorithm, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const hash = createHash(nodeHash(digest))
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) hash.update(chunk as Buffer)
  } catch (cause) {
    if (signal?.aborted === true) throw new SceauError('ABORTED', `hashing "${path}" was cancelled`, { cause, details: { file: path } })
    throw cannotRead(path, cause)
  }
  return new Uint8Array(hash.digest())
}
