/**
 * Verifies the enveloped XAdES signature of an ETSI TS 119 612 trusted list against the certificates allowed to
 * sign it (for a national TL, those of its pointer in the EU list of the lists).
 *
 * @packageDocumentation
 */

import { SignedXml } from 'xml-crypto'
import { describeCertificate } from '../../x509/describe.js'
import { derToPem } from '../../x509/pem.js'
import { type Check, worst } from '../../verdicts.js'
import { TL_NAMESPACES } from './uris.js'
import { children, elementChildren, malformed, parseXmlSafely, text } from './xml.js'

/** Options of {@link verifyTrustedListSignature}. */
export interface VerifyTrustedListSignatureOptions {
  /**
   * DER certificates allowed to sign this list, e.g. `pointer.signingCertificates` of the LOTL pointer.
   * Empty: the signature is still checked, but the result is at best `indeterminate`.
   */
  readonly signers: readonly Uint8Array[]
  /** Named in error messages. */
  readonly file?: string
}

/** What {@link verifyTrustedListSignature} found. */
export interface TrustedListSignatureResult {
  /** The worst of `checks`. */
  readonly status: 'pass' | 'fail' | 'indeterminate'
  /** The certificate whose key verified the signature value, whether or not it is one of the allowed signers. */
  readonly signer?: { readonly subject: string; readonly certificate: Uint8Array }
  /** `tl.signature.present`, then, as far as they could run, `tl.signature.reference`, `.value`, `.signer`. */
  readonly checks: Check[]
}

const DS = 'http://www.w3.org/2000/09/xmldsig#'
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties'
// What xml-crypto canonicalises; real TLs use exclusive C14N, inclusive is allowed by TS 119 612 §5.7.1.
const CANONICALIZATIONS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
])
// The attribute names xml-crypto resolves `#id` references with: uniqueness is checked over the same set.
const ID_ATTRIBUTES = new Set(['Id', 'ID', 'id'])
const MAX_BYTES = 20 * 1024 * 1024
const MAX_DEPTH = 64
const NO_SIGNERS = 'no trusted-list signing certificates given: the signature was not checked against an authority'

/**
 * Verifies the `ds:Signature` of a trusted list: that there is exactly one, as a child of the root; that it signs
 * the whole list (one Reference, URI `""` or `#<root Id>`, enveloped-signature transform, plus at most the XAdES
 * SignedProperties of the signature itself) and nothing else; that the signature value verifies; and that the
 * key that verified it belongs to one of `signers` (exact DER match). Never fetches anything.
 *
 * @throws SceauError `INPUT_TOO_LARGE` above 20 MB; `INPUT_MALFORMED` for a DOCTYPE, XML that is not well-formed,
 * or a root that is not `TrustServiceStatusList`. A signature that does not verify is a `fail` check, not a throw.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const lotl = parseTrustedList(readFileSync('eu-lotl.xml'))
 * const pointer = lotl.pointers.find((p) => p.territory === 'FR' && p.mimeType === TSL_XML_MIME_TYPE)
 * const result = verifyTrustedListSignature(readFileSync('tl-fr.xml'), { signers: pointer?.signingCertificates ?? [] })
 * if (result.status !== 'pass') console.error(result.checks.filter((check) => check.status !== 'pass'))
 * ```
 */
export function verifyTrustedListSignature(
  xml: Uint8Array | string,
  options: VerifyTrustedListSignatureOptions,
): TrustedListSignatureResult {
  const { file } = options
  const doc = parseXmlSafely(xml, { file, maxBytes: MAX_BYTES, maxDepth: MAX_DEPTH })
  // xml-crypto parses its own copy: it must be the very text checked above (parseXmlSafely decoded it the same way).
  const source = typeof xml === 'string' ? xml : new TextDecoder('utf-8', { fatal: true }).decode(xml)
  const root = doc.documentElement
  if (root.localName !== 'TrustServiceStatusList' || root.namespaceURI !== TL_NAMESPACES.tsl) {
    throw malformed(`the root element is <${root.nodeName}>, not <TrustServiceStatusList> of ${TL_NAMESPACES.tsl}`, file)
  }

  const checks: Check[] = []
  const signatures = Array.from(doc.getElementsByTagNameNS(DS, 'Signature'))
  const signature = signatures[0]
  if (signature === undefined || signatures.length > 1) {
    checks.push({
      id: 'tl.signature.present',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason:
        signature === undefined
          ? 'the list has no ds:Signature'
          : `the list has ${signatures.length} ds:Signature elements; a trusted list carries exactly one`,
    })
    return finish(checks)
  }
  checks.push({ id: 'tl.signature.present', status: 'pass', reason: 'the list has one ds:Signature' })

  const problem = referenceProblem(doc, root, signature)
  if (problem !== undefined) {
    checks.push({ id: 'tl.signature.reference', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: problem })
    return finish(checks)
  }
  checks.push({
    id: 'tl.signature.reference',
    status: 'pass',
    reason: 'the signature is the last child of the root and its one document Reference covers the whole list (enveloped)',
  })

  const keyInfoCertificates = keyInfoCertificatesOf(signature)
  // KeyInfo first (it names the signer); then the allowed signers, for a KeyInfo that is absent or names another key.
  const candidates = [...keyInfoCertificates]
  for (const allowed of options.signers) if (!candidates.some((c) => sameBytes(c, allowed))) candidates.push(allowed)
  if (candidates.length === 0) {
    checks.push({
      id: 'tl.signature.value',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the signature has no KeyInfo certificate and no signing certificates were given: nothing to verify it with',
    })
    checks.push({ id: 'tl.signature.signer', status: 'indeterminate', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', reason: NO_SIGNERS })
    return finish(checks)
  }

  let verified: Uint8Array | undefined
  let failure: Failure | undefined
  for (const candidate of candidates) {
    const attempt = verifyWith(source, signature, candidate)
    if (attempt.outcome === 'verified') {
      verified = candidate
      break
    }
    failure = attempt
    // A digest that does not match, or an algorithm we lack, will not change with another key.
    if (attempt.outcome !== 'wrong-key') break
  }

  if (verified === undefined) {
    const reason =
      failure?.outcome === 'wrong-key'
        ? `the signature value does not verify with ${candidatesText(keyInfoCertificates.length, options.signers.length)}`
        : (failure?.message ?? 'the signature does not verify')
    checks.push(
      failure?.outcome === 'unsupported'
        ? { id: 'tl.signature.value', status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE', reason }
        : {
            id: 'tl.signature.value',
            status: 'fail',
            subIndication: failure?.outcome === 'digest' ? 'HASH_FAILURE' : 'SIG_CRYPTO_FAILURE',
            reason,
          },
    )
    checks.push({
      id: 'tl.signature.signer',
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: options.signers.length === 0 ? NO_SIGNERS : 'no certificate verified the signature, so its signer is unknown',
    })
    return finish(checks)
  }

  const subject = subjectOf(verified)
  checks.push({ id: 'tl.signature.value', status: 'pass', reason: 'the references and the signature value verify', subject })
  if (options.signers.length === 0) {
    checks.push({
      id: 'tl.signature.signer',
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: NO_SIGNERS,
      subject,
    })
  } else if (options.signers.some((allowed) => sameBytes(allowed, verified))) {
    checks.push({
      id: 'tl.signature.signer',
      status: 'pass',
      reason: `signed by one of the ${options.signers.length} certificates allowed to sign the list`,
      subject,
    })
  } else {
    checks.push({
      id: 'tl.signature.signer',
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      reason: `signed by a certificate that is not one of the ${options.signers.length} allowed to sign the list`,
      subject,
    })
  }
  return finish(checks, { subject, certificate: verified })
}

function finish(checks: Check[], signer?: TrustedListSignatureResult['signer']): TrustedListSignatureResult {
  const status = worst(checks)
  return { status: status === 'warning' ? 'pass' : status, ...(signer === undefined ? {} : { signer }), checks }
}

/**
 * Why the signature's position or references are refused, or undefined when they are acceptable. This is the
 * defence against signature wrapping: whatever xml-crypto resolves must be the root or our own SignedProperties.
 */
function referenceProblem(doc: Document, root: Element, signature: Element): string | undefined {
  if (signature.parentNode !== root) return 'the ds:Signature is not a child of the TrustServiceStatusList root'
  if (elementChildren(root).at(-1) !== signature) return 'the ds:Signature is not the last child of the TrustServiceStatusList root'
  const signedInfos = children(signature, DS, 'SignedInfo')
  const signedInfo = signedInfos[0]
  if (signedInfo === undefined || signedInfos.length > 1) return `the ds:Signature has ${signedInfos.length} SignedInfo, not one`
  const c14n = children(signedInfo, DS, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm') ?? ''
  if (!CANONICALIZATIONS.has(c14n)) return `the SignedInfo canonicalisation "${c14n}" is not supported`
  const rootId = root.getAttribute('Id')
  let documentReferences = 0
  let propertiesReferences = 0
  for (const reference of elementChildren(signedInfo)) {
    if (reference.namespaceURI !== DS || reference.localName !== 'Reference') continue
    if (!reference.hasAttribute('URI')) return 'a Reference has no URI'
    const uri = reference.getAttribute('URI') ?? ''
    const transforms = transformsOf(reference)
    if (uri === '' || (rootId !== null && rootId !== '' && uri === `#${rootId}`)) {
      if (uri !== '' && elementsWithId(doc, rootId ?? '').length !== 1) return `the root's Id "${rootId}" is not unique in the document`
      if (transforms[0] !== ENVELOPED) return `the Reference URI="${uri}" does not start with the enveloped-signature transform`
      const unknown = transforms.slice(1).find((transform) => !CANONICALIZATIONS.has(transform))
      if (unknown !== undefined || transforms.length > 2)
        return `the Reference URI="${uri}" has a transform sceau refuses ("${unknown ?? transforms[2]}")`
      documentReferences += 1
      continue
    }
    if (reference.getAttribute('Type') === SIGNED_PROPERTIES_TYPE && uri.startsWith('#')) {
      const targets = elementsWithId(doc, uri.slice(1))
      const target = targets[0]
      if (targets.length !== 1 || target === undefined) return `the Reference URI="${uri}" matches ${targets.length} elements, not one`
      if (target.localName !== 'SignedProperties' || target.namespaceURI !== TL_NAMESPACES.xades || !isInside(target, signature)) {
        return `the SignedProperties Reference URI="${uri}" does not point to the signature's own xades:SignedProperties`
      }
      const unknown = transforms.find((transform) => !CANONICALIZATIONS.has(transform))
      if (unknown !== undefined) return `the Reference URI="${uri}" has a transform sceau refuses ("${unknown}")`
      propertiesReferences += 1
      continue
    }
    return `the Reference URI="${uri}" points to neither the whole list nor the signature's SignedProperties`
  }
  if (documentReferences !== 1) return `the signature has ${documentReferences} References to the whole list, not one`
  if (propertiesReferences > 1) return `the signature has ${propertiesReferences} SignedProperties References, not at most one`
  return undefined
}

function transformsOf(reference: Element): string[] {
  return children(reference, DS, 'Transforms').flatMap((transforms) =>
    children(transforms, DS, 'Transform').map((transform) => transform.getAttribute('Algorithm') ?? ''),
  )
}

function elementsWithId(doc: Document, id: string): Element[] {
  const found: Element[] = []
  for (const element of Array.from(doc.getElementsByTagName('*'))) {
    for (const attribute of Array.from(element.attributes)) {
      if (ID_ATTRIBUTES.has(attribute.localName ?? attribute.name) && attribute.value === id) {
        found.push(element)
        break
      }
    }
  }
  return found
}

function isInside(node: Node, ancestor: Node): boolean {
  for (let current = node.parentNode; current !== null; current = current.parentNode) if (current === ancestor) return true
  return false
}

function keyInfoCertificatesOf(signature: Element): Uint8Array[] {
  return children(signature, DS, 'KeyInfo').flatMap((keyInfo) =>
    children(keyInfo, DS, 'X509Data').flatMap((data) =>
      children(data, DS, 'X509Certificate').map((element) => new Uint8Array(Buffer.from(text(element).replace(/\s+/g, ''), 'base64'))),
    ),
  )
}

interface Failure {
  readonly outcome: 'wrong-key' | 'digest' | 'unsupported' | 'error'
  readonly message: string
}
type Attempt = { readonly outcome: 'verified' } | Failure

function verifyWith(source: string, signature: Element, certificate: Uint8Array): Attempt {
  // getCertFromKeyInfo would otherwise win over publicCert: the key must be the candidate's, not whatever KeyInfo says.
  const signed = new SignedXml({ publicCert: derToPem(certificate), getCertFromKeyInfo: () => null })
  try {
    signed.loadSignature(signature)
    if (signed.checkSignature(source)) return { outcome: 'verified' }
    // getReferences is deprecated as a way to read signed content; here it only says which digest failed.
    const broken = signed.getReferences().filter((reference) => reference.validationError !== undefined)
    const uris = broken.map((reference) => `"${reference.uri ?? ''}"`).join(', ')
    return { outcome: 'digest', message: `the digest of Reference ${uris || '(unknown)'} does not match: the signed content was changed` }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // xml-crypto's own message carries the whole SignatureValue: not worth a report line.
    if (message.startsWith('invalid signature: the signature value')) return { outcome: 'wrong-key', message }
    if (/is not supported/.test(message))
      return { outcome: 'unsupported', message: `the signature uses an unsupported algorithm (${message})` }
    return { outcome: 'error', message: `the signature could not be verified (${message})` }
  }
}

function candidatesText(fromKeyInfo: number, given: number): string {
  const parts: string[] = []
  if (fromKeyInfo > 0) parts.push(`the KeyInfo certificate${fromKeyInfo > 1 ? 's' : ''}`)
  if (given > 0) parts.push(`any of the ${given} given signing certificates`)
  return parts.join(' nor ')
}

function subjectOf(certificate: Uint8Array): string {
  try {
    return describeCertificate(certificate).subject
  } catch {
    return '(unreadable certificate)'
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}
