// One ds:Reference: which element it points at (refusing wrapping tricks), and whether its digest matches.

import { timingSafeEqual } from 'node:crypto'
import { basename, isAbsolute, relative, resolve, sep } from 'node:path'
import { C14nCanonicalization, C14nCanonicalizationWithComments } from 'xml-crypto'
import { SceauError } from '../errors.js'
import { parseXmlSafely } from '../policy/trusted-list/xml.js'
import { hashFile } from '../signer/hash-file.js'
import { digestElementAt } from '../xml/digest.js'
import { decodeBytes, type DocumentEncoding } from '../xml/encoding.js'
import { inputSize, readRange, type XmlInput } from '../xml/source.js'
import { indexDocument, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import { xmlDigest } from './certificate-ref.js'
import type { ReadReference } from './read-signature.js'
import type { Check, FailedCheck, IndeterminateCheck } from '../verdicts.js'
import type { CoveredElement } from './report.js'
import { C14N, C14N_WITH_COMMENTS, digestFromUri, ENVELOPED, EXC_C14N, EXC_C14N_WITH_COMMENTS, XADES_NAMESPACES } from './uris.js'

export interface ReferenceOutcome {
  check: Check
  covered?: CoveredElement
}

export function checkReference(
  document: XmlInput,
  index: DocumentIndex,
  signature: IndexedElement,
  reference: ReadReference,
  pes: boolean,
  maxDomBytes: number,
): ReferenceOutcome {
  const uri = reference.uri
  const fail = (reason: string): ReferenceOutcome => ({
    check: { id: 'xmldsig.reference', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: `Reference URI="${uri ?? ''}": ${reason}` },
  })
  if (uri === undefined) return fail('a Reference without URI points at nothing in the document')
  let target: IndexedElement
  if (uri === '' || uri === '#xpointer(/)') target = index.root
  else if (uri.startsWith('#') && !uri.startsWith('#xpointer(')) {
    const id = uri.slice(1)
    const carriers = index.ids.get(id) ?? []
    if (carriers.length === 0) {
      return {
        check: {
          id: 'xmldsig.reference',
          status: 'indeterminate',
          subIndication: 'SIGNED_DATA_NOT_FOUND',
          reason: `Reference URI="${uri}": no element has Id "${id}"`,
        },
      }
    }
    if (carriers.length > 1) return fail(`Id "${id}" is carried by ${carriers.length} elements (signature wrapping)`)
    target = carriers[0] as IndexedElement
  } else return fail('XPointer references other than #xpointer(/) are not supported')

  const digest = digestFromUri(reference.digestMethod)
  if (digest === undefined) return unsupportedDigest(reference)
  let enveloped = false
  let canonicalization: { algorithm: string; prefixList?: readonly string[] } | undefined
  for (const transform of reference.transforms) {
    if (transform.algorithm === ENVELOPED && canonicalization === undefined) enveloped = true
    else if ([EXC_C14N, EXC_C14N_WITH_COMMENTS, C14N, C14N_WITH_COMMENTS].includes(transform.algorithm) && canonicalization === undefined) {
      canonicalization = transform
    } else return fail(`transform ${transform.algorithm} (at that position) is not supported`)
  }
  if (
    pes &&
    canonicalization !== undefined &&
    canonicalization.algorithm !== EXC_C14N &&
    canonicalization.algorithm !== EXC_C14N_WITH_COMMENTS
  ) {
    return fail(`transform ${canonicalization.algorithm}: the DGFiP verifier accepts exclusive C14N only`)
  }
  // Comments never reach the digest of a "" or "#id" reference (XML-DSig §4.4.3.3), so the WithComments
  // variants canonicalise as their plain forms here; a missing transform means inclusive C14N (§4.4.3.2).
  let computed: Uint8Array
  const algorithm = canonicalization?.algorithm ?? C14N
  if (enveloped && target.start >= signature.start && target.end <= signature.end) {
    // The enveloped-signature transform removes the signature with everything in it: nothing is left to digest.
    computed = xmlDigest(digest, new Uint8Array(0))
  } else if (algorithm === EXC_C14N || algorithm === EXC_C14N_WITH_COMMENTS) {
    computed = digestElementAt(document, index.encoding, target, {
      hash: digest,
      excludeAt: enveloped ? signature.start : undefined,
      inclusiveNamespacePrefixes: canonicalization?.prefixList ? [...canonicalization.prefixList] : undefined,
    }).digest
  } else {
    if (inputSize(document) > maxDomBytes) {
      return {
        check: {
          id: 'xmldsig.reference',
          status: 'indeterminate',
          subIndication: 'SIGNED_DATA_NOT_FOUND',
          reason: `Reference URI="${uri}": inclusive C14N of a ${inputSize(document)}-byte document is over the DOM limit (${maxDomBytes})`,
        },
      }
    }
    computed = xmlDigest(digest, domInclusiveC14n(document, index.encoding, target, enveloped ? signature : undefined))
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
          : target.localName === 'Bordereau' && pes
            ? 'bordereau'
            : 'element',
    element: target.name,
    id: uri.startsWith('#') ? uri.slice(1) : undefined,
    digestValid: valid,
  }
  return {
    covered,
    check: valid
      ? { id: 'xmldsig.reference', status: 'pass', reason: `Reference URI="${uri}" (<${target.name}>): digest matches` }
      : {
          id: 'xmldsig.reference',
          status: 'fail',
          subIndication: 'HASH_FAILURE',
          reason: `Reference URI="${uri}" (<${target.name}>): digest does not match — the content was changed after signing`,
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
}

/**
 * A Reference to content outside the signature's document: a file named by a relative URI (percent-decoded,
 * resolved against the signature's directory and never above it) or given by the caller. Nothing is ever fetched:
 * http(s):, file: and other URIs with a scheme, absolute paths and `..` escapes fail. The file's raw bytes are
 * digested while read, so a detached reference with transforms is not handled.
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
      { status: 'fail', subIndication: 'FORMAT_FAILURE' },
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
        { status: 'fail', subIndication: 'FORMAT_FAILURE' },
        `points outside the signature's directory; give the content it signs`,
      )
    }
  }
  const element = named.name ?? basename(path)
  if (reference.transforms.length > 0) {
    const names = reference.transforms.map((transform) => transform.algorithm).join(', ')
    return outcome(
      { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
      `transforms on detached content (${names}) are not supported`,
    )
  }
  const digest = digestFromUri(reference.digestMethod)
  if (digest === undefined) return unsupportedDigest(reference)
  let computed: Uint8Array
  try {
    computed = await hashFile(path, digest, { signal: lookup.signal })
  } catch (err) {
    if (!(err instanceof SceauError) || err.code !== 'FILE_NOT_FOUND') throw err
    return outcome(
      { status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND' },
      `the detached content "${path}" cannot be read; give the content it signs`,
    )
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

function unsupportedDigest(reference: ReadReference): ReferenceOutcome {
  return {
    check: {
      id: 'xmldsig.reference',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `Reference URI="${reference.uri ?? ''}": digest method ${reference.digestMethod} is not supported`,
    },
  }
}

function sameDigest(computed: Uint8Array, written: Uint8Array): boolean {
  return computed.length === written.length && timingSafeEqual(computed, written)
}

/** Inclusive C14N of a parsed SignedInfo, with the namespaces of its ancestors (C14N 1.0 renders them). */
export function inclusiveC14n(signedInfo: Element, namespaces: ReadonlyMap<string, string>, withComments: boolean): Uint8Array {
  const canonicalizer = withComments ? new C14nCanonicalizationWithComments() : new C14nCanonicalization()
  return utf8(canonicalizer.process(signedInfo as never, { ancestorNamespaces: ancestorNamespaces(namespaces) } as never))
}

/** Inclusive C14N of an element through the DOM: the fallback for what the streaming path does not do. */
function domInclusiveC14n(
  document: XmlInput,
  encoding: DocumentEncoding,
  target: IndexedElement,
  signature: IndexedElement | undefined,
): Uint8Array {
  const bytes = readRange(document, 0, inputSize(document))
  const doc = parseXmlSafely(decodeBytes(bytes, 0, bytes.length, encoding).replace(/^\uFEFF?<\?xml[^?]*\?>/, ''), {
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxDepth: 256,
  })
  // getElementsByTagName('*') lists elements in document order, as an index that keeps every element does.
  const nodes = Array.from(doc.getElementsByTagName('*'))
  const starts = indexDocument(document, { keep: () => true }).elements.map((element) => element.start)
  const node = nodes[starts.indexOf(target.start)]
  if (node === undefined) throw new SceauError('INPUT_MALFORMED', 'reference target not found in the DOM')
  if (signature !== undefined) {
    const signatureNode = nodes[starts.indexOf(signature.start)]
    signatureNode?.parentNode?.removeChild(signatureNode)
  }
  return utf8(
    new C14nCanonicalization().process(node as never, { ancestorNamespaces: ancestorNamespaces(target.inheritedNamespaces) } as never),
  )
}

// xml-crypto renders the default namespace from the element itself: passing it again would declare it twice.
function ancestorNamespaces(namespaces: ReadonlyMap<string, string>): { prefix: string; namespaceURI: string }[] {
  return [...namespaces].filter(([prefix]) => prefix !== '').map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }))
}

function utf8(text: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(String(text), 'utf8'))
}
