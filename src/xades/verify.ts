/**
 * Verifies every XML-DSig / XAdES signature of a document — PES flows with the DGFiP profile's rules, any other
 * XML (trusted lists…) with the generic ones — and gives ETSI-style verdicts.
 *
 * @packageDocumentation
 */

import { closeSync, fstatSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { commitmentTypeName } from '../commitment.js'
import { checkCertificate, type CertificateReport, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import { SceauError } from '../errors.js'
import { describeCertificate } from '../x509/describe.js'
import { canonicalizeElementAt } from '../xml/digest.js'
import { indexDocument, XMLDSIG_NS, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import { fileSource, type XmlInput } from '../xml/source.js'
import { isPesAller, isPesElement, readPesFlow, type PesFlow } from './pes-flow.js'
import { DGFIP_CERTIFICATE_POLICY_OIDS } from './policies.js'
import { readSignature, type ReadSignature } from './read-signature.js'
import { decide, verdictCheck, type Check } from '../verdicts.js'
import type { CoveredElement, SignatureReport, XmlVerificationReport } from './report.js'
import { C14N, C14N_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS, signatureMethodFromUri } from './uris.js'
import { certificateCheck } from '../validation/certificate-check.js'
import { genericDocumentChecks, pesDocumentChecks, pesPlacementChecks } from './verify-pes.js'
import { checkTimestamp } from '../validation/check-timestamp.js'
import { checkDetachedReference, checkReference, inclusiveC14n, isSameDocumentUri } from './verify-reference.js'
import { checkSignatureValue, isKnownPolicy, pickCertificate, xadesChecks } from './verify-xades.js'
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
   * Largest document handled by the DOM fallback (inclusive C14N, which the streaming path does not do).
   * Default 64 MB.
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

async function verifyDocument(
  document: XmlInput,
  options: VerifyXmlOptions,
  baseDirectory: string | undefined,
): Promise<XmlVerificationReport> {
  const index = indexDocument(document, {
    keep: (localName, namespace, depth) =>
      ((localName === 'SignedInfo' || localName === 'SignatureValue') && namespace === XMLDSIG_NS) ||
      isPesElement(localName, namespace, depth),
  })
  const pes = isPesAller(index) ? readPesFlow(index, options.file) : undefined
  const at = options.at ?? new Date()
  const signatures: SignatureReport[] = []
  for (const element of index.signatures) {
    signatures.push(await verifyOne(document, index, element, pes, at, options, baseDirectory))
  }
  const checks = pes === undefined ? genericDocumentChecks(index) : pesDocumentChecks(pes, signatures)
  const verdict = decide([
    ...signatures.map((signature) => verdictCheck('signature', signature, `signature ${signature.id ?? `at byte ${signature.offset}`}`)),
    ...checks,
  ])
  return { file: options.file, kind: pes === undefined ? 'xml' : 'pes', ...verdict, signatures, checks }
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
  document: XmlInput,
  index: DocumentIndex,
  element: IndexedElement,
  pes: PesFlow | undefined,
  at: Date,
  options: VerifyXmlOptions,
  baseDirectory: string | undefined,
): Promise<SignatureReport> {
  const checks: Check[] = []
  const base = { offset: element.start, parent: element.parentName, signatureMethod: '' }
  let read: ReadSignature
  try {
    read = readSignature(document, index.encoding, element, options.file)
  } catch (err) {
    if (!(err instanceof SceauError)) throw err
    checks.push({ id: 'xmldsig.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: err.message })
    return { ...base, ...decide(checks), covers: [], checks }
  }

  // SignedInfo: the bytes the signature value is over.
  const signedInfoElement = index.elements.find(
    (candidate) => candidate.parentStart === element.start && candidate.localName === 'SignedInfo',
  )
  let canonicalSignedInfo: Uint8Array | undefined
  if (signedInfoElement === undefined) {
    checks.push({ id: 'xmldsig.structure', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'SignedInfo not found' })
  } else {
    canonicalSignedInfo = canonicalizePart(
      { document, index, read },
      { indexed: signedInfoElement, dom: read.signedInfo },
      { algorithm: read.canonicalization, prefixList: read.canonicalizationPrefixList },
    )
    if (canonicalSignedInfo === undefined) {
      checks.push({
        id: 'xmldsig.canonicalization',
        status: 'indeterminate',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        reason: `canonicalization ${read.canonicalization} is not supported`,
      })
    }
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
  const externalReferences = read.references.filter((reference) => !isSameDocumentUri(reference.uri)).length
  for (const reference of read.references) {
    const outcome = isSameDocumentUri(reference.uri)
      ? checkReference(document, index, element, reference, pes !== undefined, options.maxDomBytes ?? 64 * 1024 * 1024)
      : await checkDetachedReference(reference, { baseDirectory, content: options.content, externalReferences })
    checks.push(outcome.check)
    if (outcome.covered !== undefined) covers.push(outcome.covered)
  }

  // Signature value.
  const method = signatureMethodFromUri(read.signatureMethod)
  const certificate = pickCertificate(read)
  if (method === undefined) {
    checks.push({
      id: 'xmldsig.signature-value',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `signature method ${read.signatureMethod} is not supported`,
    })
  } else if (certificate === undefined) {
    checks.push({
      id: 'xmldsig.signature-value',
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'KeyInfo holds no X509Certificate: nothing to verify the signature with',
    })
  } else if (canonicalSignedInfo !== undefined) {
    checks.push(checkSignatureValue(canonicalSignedInfo, read.signatureValue, method, certificate))
  }

  // XAdES.
  const xades = read.xades
  if (xades !== undefined) checks.push(...xadesChecks(read, covers, certificate, pes !== undefined))
  else if (pes !== undefined) {
    checks.push({ id: 'pes.xades', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signature has no XAdES properties' })
  }
  if (pes !== undefined) checks.push(...pesPlacementChecks(pes, element, covers))

  // B-T: a valid signature time-stamp proves the signature existed at its time; the signer certificate is then
  // judged at that time (ETSI EN 319 102-1 §5.6.2.1, POE from the time-stamp), as PAdES and CAdES do.
  const provenAt = await signatureTimeStamps({ document, index, read }, element, options, checks)

  // Certificate.
  let certificateReport: CertificateReport | undefined
  let signer: SignatureReport['signer']
  if (certificate !== undefined) {
    const info = describeCertificate(certificate)
    signer = { subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() }
    certificateReport = await checkCertificate(certificate, {
      ...options,
      at: provenAt ?? at,
      profile: options.profile ?? (pes === undefined ? 'none' : 'rgs2-signature'),
      acceptedPolicyOids:
        pes === undefined ? options.acceptedPolicyOids : [...(options.acceptedPolicyOids ?? []), ...DGFIP_CERTIFICATE_POLICY_OIDS],
      intermediates: [...(options.intermediates ?? []), ...read.keyInfoCertificates.filter((other) => other !== certificate)],
    })
    checks.push(certificateCheck(certificateReport, { proven: provenAt !== undefined, claimedTime: xades?.signingTime }))
  }

  const policy = xades?.policy
  const policyOid = policy?.identifier.replace(/^urn:oid:/i, '')
  return {
    ...base,
    id: read.id,
    ...decide(checks),
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
}

/** What a signature's parts are canonicalised in. */
interface SignatureContext {
  readonly document: XmlInput
  readonly index: DocumentIndex
  readonly read: ReadSignature
}

/**
 * The canonical form of a part of a signature (SignedInfo, SignatureValue): streamed for exclusive C14N, through
 * the DOM for inclusive C14N 1.0; undefined for another algorithm.
 */
function canonicalizePart(
  { document, index, read }: SignatureContext,
  part: { readonly indexed: IndexedElement; readonly dom: Element },
  method: { readonly algorithm: string; readonly prefixList?: readonly string[] },
): Uint8Array | undefined {
  if (method.algorithm === EXC_C14N || method.algorithm === EXC_C14N_WITH_COMMENTS) {
    return canonicalizeElementAt(document, index.encoding, part.indexed, {
      inclusiveNamespacePrefixes: method.prefixList ? [...method.prefixList] : undefined,
    })
  }
  if (method.algorithm === C14N || method.algorithm === C14N_WITH_COMMENTS) {
    return inclusiveC14n(part.dom, read.namespaces, method.algorithm === C14N_WITH_COMMENTS)
  }
  return undefined
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
    const covered =
      signatureValue === undefined
        ? undefined
        : canonicalizePart(
            context,
            { indexed: signatureValue, dom: context.read.signatureValueElement },
            { algorithm: stamp.canonicalization, prefixList: stamp.prefixList },
          )
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
