/**
 * Verifies every XML-DSig / XAdES signature of a document — PES flows with the DGFiP profile's rules, any other
 * XML (trusted lists…) with the generic ones — and gives ETSI-style verdicts.
 *
 * @packageDocumentation
 */

import type { KeyObject } from 'node:crypto'
import { closeSync, fstatSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { commitmentTypeName } from '../commitment.js'
import { checkCertificate, type CertificateReport, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import { SceauError } from '../errors.js'
import { c14nMethodFromUri } from '../xml/c14n-method.js'
import { canonicalizeElementAt } from '../xml/digest.js'
import { parseXml, type ParsedXml } from '../xml/dom.js'
import { needsTranscoding, transcodeToUtf8 } from '../xml/encoding.js'
import { indexDocument, XMLDSIG_NS, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import type { ReferenceDocument } from '../xml/reference.js'
import { fileSource, inputSize, readRange, type ByteSource, type XmlInput } from '../xml/source.js'
import { isPesAller, isPesElement, readPesFlow, type PesFlow } from './pes-flow.js'
import { DGFIP_CERTIFICATE_POLICY_OIDS } from './policies.js'
import { readSignature, type ReadSignature } from './read-signature.js'
import { decide, verdictCheck, type Check } from '../verdicts.js'
import type { CoveredElement, SignatureReport, XmlVerificationReport } from './report.js'
import { signatureKey } from './signature-key.js'
import { checkSignatureValue } from './signature-value.js'
import {
  digestFromUri,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  SIGNED_PROPERTIES_TYPE,
  signatureMethodFromUri,
  XADES_NAMESPACES,
  type XmlSignatureMethod,
} from './uris.js'
import { certificateCheck, signerOf } from '../validation/certificate-check.js'
import {
  certificatePathUses,
  checkCryptoConstraints,
  keyStrength,
  pathCertificates,
  type AlgorithmUse,
} from '../validation/crypto-constraints.js'
import { genericDocumentChecks, pesDocumentChecks, pesPlacementChecks } from './verify-pes.js'
import { checkTimestamp } from '../validation/check-timestamp.js'
import { checkDetachedReference, checkReference, isSameDocumentUri, type ReferenceOutcome } from './verify-reference.js'
import { describedManifestReferences, isKnownPolicy, pickCertificate, xadesChecks } from './verify-xades.js'
import { cannotRead } from '../read-file.js'

export type { CoveredElement, SignatureReport, XmlVerificationReport } from './report.js'

/** Options of {@link verifyXml}. */
export interface VerifyXmlOptions extends Omit<CheckCertificateOptions, 'at' | 'profile'> {
  /** Named in the report and in errors. */
  readonly file?: string
  /** Validation time. Default now. */
  readonly at?: Date
  /** Certificate profile; default `rgs2-signature` for PES flows, `none` for other documents. */
  readonly profile?: ProfileName
  /**
   * Largest document (or detached content) sceau builds a DOM of: for References whose transforms cannot stream
   * (XPath, XPath Filter 2.0, base64, a canonicalisation after another transform) and for documents in UTF-16 or a
   * multi-byte charset, read through a UTF-8 copy. Default 64 MB.
   */
  readonly maxDomBytes?: number
  /**
   * Path of the content of a detached signature: used for its single Reference outside the document whatever
   * the URI says (or, when there are several, for the one naming a file of the same base name). Without it,
   * {@link verifyXmlFile} looks for relative URIs in the signature file's directory.
   */
  readonly content?: string
}

/**
 * Verifies every ds:Signature of an XML document.
 *
 * Each signature gets: reference digests (streamed for exc-c14n, so big flows cost one pass per reference), the
 * signature value with the KeyInfo certificate, the XAdES properties (signing certificate digest and issuer /
 * serial, policy, signing time), what each reference covers — with signature-wrapping defences: an Id carried
 * twice, a reference outside the document, a PES signature covering another element than the one holding it —
 * and the signer certificate through {@link checkCertificate}.
 *
 * @throws SceauError INPUT_MALFORMED when the document is not well-formed XML (a bad signature is a verdict).
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises'
 * import { verifyXml } from 'sceau/xades'
 * const report = await verifyXml(await readFile('PESALR2.xml'), { anchors: [dgfipRootDer] })
 * for (const signature of report.signatures) console.log(signature.covers[0]?.id, signature.indication, signature.subIndication)
 * ```
 */
export async function verifyXml(document: XmlInput, options: VerifyXmlOptions = {}): Promise<XmlVerificationReport> {
  return verifyDocument(document, options, undefined)
}

const DEFAULT_MAX_DOM_BYTES = 64 * 1024 * 1024

async function verifyDocument(
  input: XmlInput,
  options: VerifyXmlOptions,
  baseDirectory: string | undefined,
): Promise<XmlVerificationReport> {
  const maxDomBytes = options.maxDomBytes ?? DEFAULT_MAX_DOM_BYTES
  // UTF-16 and multi-byte charsets are read from a UTF-8 copy (canonical XML is UTF-8 whatever the input's
  // encoding); offsets in the report are then those of the copy.
  const document = utf8Readable(input, maxDomBytes)
  const index = indexDocument(document, {
    keep: (localName, namespace, depth) =>
      ((localName === 'SignedInfo' || localName === 'SignatureValue' || localName === 'Manifest') && namespace === XMLDSIG_NS) ||
      // Every Bordereau, wherever it hides: the PES check tells which ones no valid signature covers.
      localName === 'Bordereau' ||
      isPesElement(localName, namespace, depth),
  })
  let dom: ParsedXml | undefined
  const references: ReferenceDocument = {
    input: document,
    index,
    dom: () => (dom ??= parseXml(document, { encoding: index.encoding, maxBytes: maxDomBytes })),
  }
  const pes = isPesAller(index) ? readPesFlow(index, options.file) : undefined
  const at = options.at ?? new Date()
  const signatures: SignatureReport[] = []
  const coverage: Coverage[] = []
  for (const element of index.signatures) {
    const { report, covers } = await verifyOne(references, element, pes, at, options, baseDirectory)
    signatures.push(report)
    coverage.push(...covers)
  }
  const checks = pes === undefined ? genericDocumentChecks(index) : pesDocumentChecks(pes, signatures, coverage)
  const verdict = decide([
    ...signatures.map((signature) => verdictCheck('signature', signature, `signature ${signature.id ?? `at byte ${signature.offset}`}`)),
    ...checks,
  ])
  return { file: options.file, kind: pes === undefined ? 'xml' : 'pes', ...verdict, signatures, checks }
}

/** Whether the data a valid Reference signs holds an element whole. */
type Coverage = (element: IndexedElement) => boolean

/** The document itself, or a UTF-8 copy when its encoding cannot be scanned in place (bounded like a DOM). */
function utf8Readable(input: XmlInput, maxBytes: number): XmlInput {
  if (!needsTranscoding(readRange(input, 0, Math.min(inputSize(input), 4096)))) return input
  return transcodeToUtf8(readWhole(input, maxBytes), { maxBytes }) ?? input
}

function readWhole(input: XmlInput, maxBytes: number): Uint8Array {
  const size = inputSize(input)
  if (size > maxBytes) {
    throw new SceauError('INPUT_TOO_LARGE', `a ${size}-byte document in an encoding read through a copy is over ${maxBytes} bytes`, {
      details: { size, limit: maxBytes },
    })
  }
  return isSource(input) ? readRange(input, 0, size) : input
}

function isSource(input: XmlInput): input is ByteSource {
  return !(input instanceof Uint8Array)
}

/**
 * {@link verifyXml} on a file read piece by piece: memory stays a few MB whatever the file's size. A detached
 * signature's content is `options.content`, else the file its relative Reference URI names in the signature file's
 * directory (percent-decoded, never above that directory; http(s): and file: URIs are never fetched); it is
 * hashed while read.
 *
 * @example
 * ```ts
 * const report = await verifyXmlFile('PESALR2-signed.xml', { anchors: [caDer] })
 * const detached = await verifyXmlFile('offre.zip.xades.xml', { anchors: [caDer] }) // reads offre.zip beside it
 * ```
 */
export async function verifyXmlFile(path: string, options: VerifyXmlOptions = {}): Promise<XmlVerificationReport> {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (cause) {
    throw cannotRead(path, cause)
  }
  try {
    return await verifyDocument(fileSource(fd, fstatSync(fd).size), { ...options, file: options.file ?? path }, dirname(resolve(path)))
  } finally {
    closeSync(fd)
  }
}

async function verifyOne(
  document: ReferenceDocument,
  element: IndexedElement,
  pes: PesFlow | undefined,
  at: Date,
  options: VerifyXmlOptions,
  baseDirectory: string | undefined,
): Promise<{ report: SignatureReport; covers: Coverage[] }> {
  const { index, input } = document
  const checks: Check[] = []
  const base = { offset: element.start, parent: element.parentName, signatureMethod: '' }
  let read: ReadSignature
  try {
    read = readSignature(input, index.encoding, element, options.file)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    checks.push({ id: 'xmldsig.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: err.message })
    return { report: { ...base, ...decide(checks, { signature: true }), covers: [], checks }, covers: [] }
  }

  // SignedInfo: the bytes the signature value is over, canonicalised with its own method, comments included
  // for a WithComments one (XML-DSig §4.4.3.1).
  const signedInfoElement = index.elements.find(
    (candidate) => candidate.parentStart === element.start && candidate.localName === 'SignedInfo',
  )
  const canonicalization = c14nMethodFromUri(read.canonicalization, read.canonicalizationPrefixList)
  let canonicalSignedInfo: Uint8Array | undefined
  if (signedInfoElement === undefined) {
    checks.push({ id: 'xmldsig.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'SignedInfo not found' })
  } else if (canonicalization === undefined) {
    checks.push({
      id: 'xmldsig.canonicalization',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `canonicalization ${read.canonicalization} is not supported`,
    })
  } else {
    canonicalSignedInfo = canonicalizeElementAt(input, index.encoding, signedInfoElement, { method: canonicalization })
  }
  if (pes !== undefined && read.canonicalization !== EXC_C14N && read.canonicalization !== EXC_C14N_WITH_COMMENTS) {
    checks.push({
      id: 'pes.canonicalization',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `SignedInfo uses ${read.canonicalization}; the DGFiP verifier accepts exclusive C14N only`,
    })
  }

  // References.
  const covers: CoveredElement[] = []
  const valid: ReferenceOutcome[] = []
  const externalReferences = read.references.filter((reference) => !isSameDocumentUri(reference.uri)).length
  for (const reference of read.references) {
    const outcome = isSameDocumentUri(reference.uri)
      ? checkReference(document, element, reference, { pes: pes !== undefined })
      : await checkDetachedReference(reference, {
          baseDirectory,
          content: options.content,
          externalReferences,
          maxTransformedBytes: options.maxDomBytes,
        })
    checks.push(outcome.check)
    if (outcome.covered !== undefined) covers.push(outcome.covered)
    if (outcome.check.status === 'pass') valid.push(outcome)
  }
  valid.push(...manifestReferences(document, element, read, valid, pes !== undefined, checks))
  // EN 319 102-1 §5.2.7 (DSS's AtLeastOneReferenceDataObjectFound): a signature must reference some data besides its
  // own XAdES properties, or there is nothing it signs to obtain.
  const dataReferences = read.references.filter(
    (reference) =>
      reference.type !== SIGNED_PROPERTIES_TYPE && covers.find((covered) => covered.uri === reference.uri)?.scope !== 'signed-properties',
  )
  if (dataReferences.length === 0) {
    checks.push({
      id: 'xmldsig.signed-data',
      status: 'indeterminate',
      subIndication: 'SIGNED_DATA_NOT_FOUND',
      reason: "SignedInfo references no data besides the signature's own properties: nothing signed to verify",
    })
  }

  // Signature value: with the signer's certificate, else with the key KeyInfo writes out.
  const method = signatureMethodFromUri(read.signatureMethod)
  // A KeyInfo may name its certificate (X509IssuerSerial, X509SKI…) without holding it: the caller's may be it.
  const certificate = pickCertificate(read, { method, known: [...(options.intermediates ?? []), ...(options.anchors ?? [])] })
  const key = signatureKey(certificate, read.keyValue)
  if (method === undefined) {
    checks.push({
      id: 'xmldsig.signature-value',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `signature method ${read.signatureMethod} is not supported`,
    })
  } else if (key.key === undefined) {
    checks.push({
      id: 'xmldsig.signature-value',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: key.problem,
    })
  } else if (canonicalSignedInfo !== undefined) {
    checks.push(checkSignatureValue(canonicalSignedInfo, read.signatureValue, method, read.pss, key.key, key.from))
  }
  const valueFailed = checks.some((check) => check.id === 'xmldsig.signature-value' && check.status === 'fail')

  // XAdES.
  const xades = read.xades
  if (xades !== undefined) checks.push(...xadesChecks(read, covers, certificate, pes !== undefined))
  else if (pes !== undefined) {
    checks.push({ id: 'pes.xades', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signature has no XAdES properties' })
  }
  if (pes !== undefined) checks.push(...pesPlacementChecks(pes, element, covers))
  const counterSigned = counterSignedValue(index, element)
  if (counterSigned !== undefined) checks.push(counterSignatureCheck(counterSigned, valid))

  // B-T: a valid signature time-stamp proves the signature existed at its time; the signer certificate is then
  // judged at that time (ETSI EN 319 102-1 §5.6.2.1, POE from the time-stamp), as PAdES and CAdES do.
  const provenAt = await signatureTimeStamps({ document: input, index, read }, element, options, checks)

  // Certificate.
  let certificateReport: CertificateReport | undefined
  let signer: SignatureReport['signer']
  if (certificate !== undefined) {
    // A KeyInfo certificate that cannot be read is a verdict on this signature, not an error of the run.
    certificateReport = await checkCertificate(certificate, {
      ...options,
      onMalformed: 'report',
      at: provenAt ?? at,
      profile: options.profile ?? (pes === undefined ? 'none' : 'rgs2-signature'),
      acceptedPolicyOids:
        pes === undefined ? options.acceptedPolicyOids : [...(options.acceptedPolicyOids ?? []), ...DGFIP_CERTIFICATE_POLICY_OIDS],
      intermediates: [...(options.intermediates ?? []), ...read.keyInfoCertificates.filter((other) => other !== certificate)],
    })
    checks.push(certificateCheck(certificateReport, { proven: provenAt !== undefined, claimedTime: xades?.signingTime }))
    signer = signerOf(certificateReport)
  } else if (key.key !== undefined && key.from === 'key-value') {
    // The value verifies with a bare key: who holds it is not known (EN 319 102-1 §5.2.3).
    checks.push({
      id: 'certificate',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'KeyInfo gives a key value but no certificate: the signer cannot be identified',
    })
  }

  // The algorithms the signature rests on, judged at the time its proof of existence gives (EN 319 102-1 §5.2.8).
  const poe = provenAt === undefined ? { time: at, source: 'the validation time' } : { time: provenAt, source: 'a signature time-stamp' }
  const path =
    certificate === undefined || certificateReport === undefined
      ? []
      : pathCertificates(certificateReport.chain, [
          certificate,
          ...read.keyInfoCertificates,
          ...(options.intermediates ?? []),
          ...(options.anchors ?? []),
        ])
  checks.push(
    checkCryptoConstraints([...xmlSignatureUses(read, method, key.key), ...certificatePathUses(path)], poe, 'xmldsig.crypto-constraints'),
  )

  const policy = xades?.policy
  const policyOid = policy?.identifier.replace(/^urn:oid:/i, '')
  const report: SignatureReport = {
    ...base,
    id: read.id,
    ...decide(checks, { signature: true }),
    covers,
    signer,
    signingTime: xades?.signingTime,
    timestamp: provenAt?.toISOString(),
    signatureMethod: read.signatureMethod,
    xades:
      xades === undefined
        ? undefined
        : {
            version: xades.namespace,
            policy:
              policy === undefined || policyOid === undefined
                ? undefined
                : { oid: policyOid, hash: policy.hash, known: isKnownPolicy(policyOid, policy) },
            role: xades.role,
            commitmentTypes:
              xades.commitmentTypes.length === 0 ? undefined : xades.commitmentTypes.map((uri) => commitmentTypeName(uri) ?? uri),
            place: xades.place,
          },
    checks,
    certificate: certificateReport,
  }
  // What this signature signs, for the PES coverage check: nothing when its value does not verify.
  return { report, covers: valueFailed ? [] : valid.flatMap((outcome) => (outcome.covers === undefined ? [] : [outcome.covers])) }
}

/**
 * The References of the signature's ds:Manifests (XML-DSig §5.1). Core validation does not require them, so a
 * digest that does not match is a warning, unless a DataObjectFormat describes that Reference (XAdES then makes it
 * a signed data object). A Manifest no valid Reference of SignedInfo covers signs nothing. Returns the outcomes
 * that pass in a signed Manifest.
 */
function manifestReferences(
  document: ReferenceDocument,
  signature: IndexedElement,
  read: ReadSignature,
  signedInfoOutcomes: readonly ReferenceOutcome[],
  pes: boolean,
  checks: Check[],
): ReferenceOutcome[] {
  const described = describedManifestReferences(read)
  const passed: ReferenceOutcome[] = []
  for (const manifest of read.manifests) {
    const indexed = document.index.elements.find((candidate) => candidate.start === manifest.offset)
    const signed = indexed !== undefined && signedInfoOutcomes.some((outcome) => outcome.covers?.(indexed) === true)
    for (const reference of manifest.references) {
      const label = `ds:Manifest ${manifest.id ?? `at byte ${manifest.offset}`}`
      const outcome = isSameDocumentUri(reference.uri)
        ? checkReference(document, signature, reference, { pes, id: 'xmldsig.manifest-reference' })
        : undefined
      const required = reference.id !== undefined && described.has(reference.id)
      const report = (problem: Check, reason: string): void => {
        // Required by a DataObjectFormat: judged like a SignedInfo Reference; otherwise only reported.
        checks.push(problem.status === 'pass' || required ? { ...problem, reason } : { id: problem.id, status: 'warning', reason })
      }
      if (outcome === undefined) {
        // XML-DSig §5.1 leaves Manifest References to the application, and EU DSS only warns when their data is not
        // found (ManifestEntryObjectExistence): content sceau does not fetch is said, not held against the signature.
        checks.push({
          id: 'xmldsig.manifest-reference',
          status: 'warning',
          reason: `${label}: Reference URI="${reference.uri ?? ''}" points outside the document; sceau does not fetch it`,
        })
      } else if (!signed) {
        report(
          { id: 'xmldsig.manifest-reference', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: '' },
          `${label} is not covered by a valid Reference of SignedInfo: ${outcome.check.reason}`,
        )
      } else {
        if (outcome.check.status === 'pass') passed.push(outcome)
        report(outcome.check, `${label}: ${outcome.check.reason}`)
      }
    }
  }
  return passed
}

/** What a signature's parts are canonicalised in. */
interface SignatureContext {
  readonly document: XmlInput
  readonly index: DocumentIndex
  readonly read: ReadSignature
}

/**
 * Checks every SignatureTimeStamp (EN 319 132-1 §5.3: its imprint is over the canonicalised ds:SignatureValue
 * element) and returns the earliest time a valid one proves.
 */
async function signatureTimeStamps(
  context: SignatureContext,
  element: IndexedElement,
  options: VerifyXmlOptions,
  checks: Check[],
): Promise<Date | undefined> {
  const stamps = context.read.xades?.signatureTimeStamps ?? []
  if (stamps.length === 0) return undefined
  const signatureValue = context.index.elements.find(
    (candidate) =>
      candidate.parentStart === element.start && candidate.localName === 'SignatureValue' && candidate.namespace === XMLDSIG_NS,
  )
  let earliest: Date | undefined
  for (const stamp of stamps) {
    const method = c14nMethodFromUri(stamp.canonicalization, stamp.prefixList)
    const covered =
      signatureValue === undefined || method === undefined
        ? undefined
        : canonicalizeElementAt(context.document, context.index.encoding, signatureValue, { method })
    if (stamp.token === undefined || covered === undefined) {
      // Like a time-stamp that cannot be used, one sceau cannot read proves no time; the signature stands without it.
      checks.push({
        id: 'timestamp',
        status: 'warning',
        reason:
          stamp.token === undefined
            ? 'the SignatureTimeStamp has no EncapsulatedTimeStamp (XML time-stamps are not supported)'
            : `the SignatureTimeStamp canonicalization ${stamp.canonicalization} is not supported`,
      })
      continue
    }
    const proven = await checkTimestamp(stamp.token, covered, options, checks, 'signature')
    if (proven !== undefined && (earliest === undefined || proven < earliest)) earliest = proven
  }
  return earliest
}

/**
 * The ds:SignatureValue a counter-signature must sign: that of the signature embedding it, when this one sits in
 * a xades:CounterSignature (EN 319 132-1 §5.2.7); undefined for any other signature.
 */
function counterSignedValue(index: DocumentIndex, element: IndexedElement): IndexedElement | null | undefined {
  const colon = element.parentName.indexOf(':')
  const parentLocal = colon < 0 ? element.parentName : element.parentName.slice(colon + 1)
  const parentNamespace = element.inheritedNamespaces.get(colon < 0 ? '' : element.parentName.slice(0, colon))
  if (parentLocal !== 'CounterSignature' || parentNamespace === undefined || !XADES_NAMESPACES.includes(parentNamespace)) return undefined
  const embedding = index.signatures
    .filter((other) => other !== element && other.start < element.start && other.end >= element.end)
    .reduce<IndexedElement | undefined>(
      (nearest, other) => (nearest === undefined || other.start > nearest.start ? other : nearest),
      undefined,
    )
  if (embedding === undefined) return null
  return (
    index.elements.find(
      (candidate) =>
        candidate.parentStart === embedding.start && candidate.localName === 'SignatureValue' && candidate.namespace === XMLDSIG_NS,
    ) ?? null
  )
}

/** A counter-signature counts only when a valid Reference covers the SignatureValue it counter-signs. */
function counterSignatureCheck(value: IndexedElement | null, valid: readonly ReferenceOutcome[]): Check {
  const id = 'xades.counter-signature'
  if (value !== null && valid.some((outcome) => outcome.covers?.(value) === true))
    return { id, status: 'pass', reason: 'covers the SignatureValue of the signature it counter-signs' }
  return {
    id,
    status: 'fail',
    subIndication: 'FORMAT_FAILURE',
    reason:
      'a signature in xades:CounterSignature whose References do not cover the SignatureValue of the signature embedding it: it counter-signs nothing (EN 319 132-1 §5.2.7)',
  }
}

/** The algorithms an XML signature rests on: its references' digests, its method's hash, and its key. */
function xmlSignatureUses(read: ReadSignature, method: XmlSignatureMethod | undefined, key: KeyObject | undefined): AlgorithmUse[] {
  const uses: AlgorithmUse[] = []
  for (const reference of read.references) {
    const digest = digestFromUri(reference.digestMethod)
    if (digest !== undefined) uses.push({ by: `Reference URI="${reference.uri ?? ''}"`, algorithm: { digest } })
  }
  if (method === undefined) return uses
  const by = 'the signature value'
  uses.push({ by, algorithm: { digest: method.hash } })
  const scheme = method.scheme === 'RSASSA-PKCS1-v1_5' ? 'RSA' : method.scheme
  const bits = key === undefined ? undefined : keyStrength(key).bits
  uses.push({ by, algorithm: bits === undefined ? { scheme } : { scheme, keyBits: bits } })
  return uses
}
