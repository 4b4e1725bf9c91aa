// One ds:Reference: which element it points at (refusing wrapping tricks), and whether its digest matches.

import { timingSafeEqual } from 'node:crypto'
import { C14nCanonicalization, C14nCanonicalizationWithComments } from 'xml-crypto'
import { SceauError } from '../errors.js'
import { parseXmlSafely } from '../policy/trusted-list/xml.js'
import { digestElementAt } from '../xml/digest.js'
import type { DocumentEncoding } from '../xml/encoding.js'
import { inputSize, readRange, type XmlInput } from '../xml/source.js'
import { indexDocument, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import { xmlDigest } from './certificate-ref.js'
import type { ReadReference } from './read-signature.js'
import type { CoveredElement, SignatureCheck } from './report.js'
import { C14N, C14N_WITH_COMMENTS, digestFromUri, ENVELOPED, EXC_C14N, EXC_C14N_WITH_COMMENTS, XADES_NAMESPACES } from './uris.js'

export interface ReferenceOutcome {
  check: SignatureCheck
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
  const fail = (reason: string, subIndication = 'FORMAT_FAILURE'): ReferenceOutcome => ({
    check: { id: 'xmldsig.reference', status: 'fail', subIndication, reason: `Reference URI="${uri ?? ''}": ${reason}` },
  })
  if (uri === undefined) return fail('a Reference without URI points at nothing in the document')
  let target: IndexedElement
  if (uri === '' || uri === '#xpointer(/)') target = index.root
  else if (uri.startsWith('#') && !uri.startsWith('#xpointer(')) {
    const id = uri.slice(1)
    const carriers = index.ids.get(id) ?? []
    if (carriers.length === 0) return fail(`no element has Id "${id}"`, 'SIGNED_DATA_NOT_FOUND')
    if (carriers.length > 1) return fail(`Id "${id}" is carried by ${carriers.length} elements (signature wrapping)`)
    target = carriers[0] as IndexedElement
  } else return fail('points outside the document; sceau verifies same-document references only')

  const digest = digestFromUri(reference.digestMethod)
  if (digest === undefined) {
    return {
      check: {
        id: 'xmldsig.reference',
        status: 'indeterminate',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        reason: `Reference URI="${uri}": digest method ${reference.digestMethod} is not supported`,
      },
    }
  }
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
          subIndication: 'FORMAT_FAILURE',
          reason: `Reference URI="${uri}": inclusive C14N of a ${inputSize(document)}-byte document is over the DOM limit (${maxDomBytes})`,
        },
      }
    }
    computed = xmlDigest(digest, domInclusiveC14n(document, index.encoding, target, enveloped ? signature : undefined))
  }
  const valid = computed.length === reference.digestValue.length && timingSafeEqual(computed, reference.digestValue)
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
  const doc = parseXmlSafely(bytes.toString(encoding).replace(/^\uFEFF?<\?xml[^?]*\?>/, ''), {
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
