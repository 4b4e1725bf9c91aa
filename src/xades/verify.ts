/**
 * Verifies every XML-DSig / XAdES signature of a document — PES flows with the DGFiP profile's rules, any other
 * XML (trusted lists…) with the generic ones — and gives ETSI-style verdicts.
 *
 * @packageDocumentation
 */

import { createPublicKey, timingSafeEqual, verify as verifySignature, X509Certificate, constants } from 'node:crypto'
import { C14nCanonicalization, C14nCanonicalizationWithComments } from 'xml-crypto'
import { SceauError } from '../errors.js'
import { checkCertificate, type CertificateReport, type CheckCertificateOptions } from '../policy/check-certificate.js'
import type { Check, CheckStatus } from '../policy/check.js'
import type { ProfileName } from '../policy/profiles.js'
import { parseXmlSafely } from '../policy/trusted-list/xml.js'
import { describeCertificate } from '../x509/describe.js'
import { sameDistinguishedName } from '../x509/rfc2253.js'
import { canonicalizeElementAt, digestElementAt } from '../xml/digest.js'
import type { DocumentEncoding } from '../xml/encoding.js'
import { indexDocument, XMLDSIG_NS, type DocumentIndex, type IndexedElement } from '../xml/index-document.js'
import { issuerSerialOf, xmlDigest } from './certificate-ref.js'
import { isPesAller, readPesFlow, type PesFlow } from './pes-flow.js'
import { DGFIP_CERTIFICATE_POLICY_OIDS, KNOWN_PES_POLICIES, PES_POLICY_OIDS } from './policies.js'
import { readSignature, type ReadReference, type ReadSignature } from './read-signature.js'
import {
  C14N,
  C14N_WITH_COMMENTS,
  DIGEST_URIS,
  digestFromUri,
  ENVELOPED,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  signatureMethodFromUri,
  XADES_NAMESPACES,
} from './uris.js'

/** ETSI EN 319 102-1 main indications. */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE'

/** A check of a signature, with the ETSI sub-indication it leads to when it does not pass. */
export interface SignatureCheck extends Check {
  readonly subIndication?: string
}

/** What one Reference of a signature covers. */
export interface CoveredElement {
  /** The Reference URI as written. */
  readonly uri: string
  /** `document` (the root), `bordereau`, `signed-properties` or `element`. */
  readonly scope: 'document' | 'bordereau' | 'signed-properties' | 'element'
  /** Qualified name of the element. */
  readonly element: string
  readonly id?: string
  readonly digestValid: boolean
}

/** The verdict on one signature. */
export interface SignatureReport {
  readonly id?: string
  readonly indication: Indication
  readonly subIndication?: string
  /** Start offset of the ds:Signature in the file. */
  readonly offset: number
  /** Qualified name of the element that holds the signature. */
  readonly parent: string
  readonly covers: readonly CoveredElement[]
  readonly signer?: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string }
  /** Claimed (XAdES SigningTime), not proven: no timestamp. */
  readonly signingTime?: string
  readonly signatureMethod: string
  readonly xades?: {
    readonly version: string
    readonly policy?: { readonly oid: string; readonly hash?: string; readonly known: boolean }
    readonly role?: string
    readonly place?: { readonly city?: string; readonly postalCode?: string; readonly country?: string }
  }
  readonly checks: readonly SignatureCheck[]
  readonly certificate?: CertificateReport
}

/** The verdict on a document. */
export interface XmlVerificationReport {
  readonly file?: string
  /** `pes` when the root is PES_Aller (the DGFiP profile is applied), else `xml`. */
  readonly kind: 'pes' | 'xml'
  /** The worst of the signatures and of the document checks. */
  readonly indication: Indication
  readonly subIndication?: string
  readonly signatures: readonly SignatureReport[]
  /** Checks on the document as a whole (PES: every bordereau signed, InfoDematerialisee). */
  readonly checks: readonly SignatureCheck[]
}

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
export async function verifyXml(document: Uint8Array, options: VerifyXmlOptions = {}): Promise<XmlVerificationReport> {
  const index = indexDocument(document, {
    keep: (localName, namespace, depth) =>
      (localName === 'SignedInfo' && namespace === XMLDSIG_NS) ||
      (namespace === '' && depth <= 3 && ['Bordereau', 'InfoDematerialisee', 'EnTeteDepense', 'EnTeteRecette'].includes(localName)),
  })
  const pes = isPesAller(index) ? readPesFlow(index, options.file) : undefined
  const at = options.at ?? new Date()
  const signatures: SignatureReport[] = []
  for (const element of index.signatures) {
    signatures.push(await verifyOne(document, index, element, pes, at, options))
  }
  const checks = pes === undefined ? genericDocumentChecks(index) : pesDocumentChecks(pes, signatures)
  const verdict = decide([...signatures.map((s) => ({ status: statusOf(s.indication), subIndication: s.subIndication })), ...checks])
  return { file: options.file, kind: pes === undefined ? 'xml' : 'pes', ...verdict, signatures, checks }
}

function statusOf(indication: Indication): CheckStatus {
  return indication === 'TOTAL_PASSED' ? 'pass' : indication === 'TOTAL_FAILED' ? 'fail' : 'indeterminate'
}

function decide(checks: readonly { status: CheckStatus; subIndication?: string }[]): { indication: Indication; subIndication?: string } {
  const failed = checks.find((check) => check.status === 'fail')
  if (failed !== undefined) return { indication: 'TOTAL_FAILED', subIndication: failed.subIndication }
  const unsure = checks.find((check) => check.status === 'indeterminate')
  if (unsure !== undefined) return { indication: 'INDETERMINATE', subIndication: unsure.subIndication }
  return { indication: 'TOTAL_PASSED' }
}

function genericDocumentChecks(index: DocumentIndex): SignatureCheck[] {
  if (index.signatures.length > 0)
    return [{ id: 'document.signed', status: 'pass', reason: `${index.signatures.length} ds:Signature found` }]
  return [{ id: 'document.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the document has no ds:Signature' }]
}

function pesDocumentChecks(flow: PesFlow, signatures: readonly SignatureReport[]): SignatureCheck[] {
  const checks: SignatureCheck[] = []
  const signedCount = flow.index.signatures.length
  if (signedCount === 0) {
    checks.push({ id: 'pes.signed', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the flow has no signature' })
    return checks
  }
  const global = signatures.some((signature) => signature.covers.some((covered) => covered.scope === 'document'))
  const unsigned = flow.bordereaux.filter((bordereau) => bordereau.signatures.length === 0)
  if (!global && unsigned.length > 0) {
    checks.push({
      id: 'pes.bordereaux-signed',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `${unsigned.length} of ${flow.bordereaux.length} bordereaux are not signed and no signature covers the whole flow (${unsigned
        .map((bordereau) => bordereau.id ?? `at byte ${bordereau.element.start}`)
        .join(', ')})`,
    })
  } else {
    checks.push({
      id: 'pes.bordereaux-signed',
      status: 'pass',
      reason: global ? 'a signature covers the whole flow' : `all ${flow.bordereaux.length} bordereaux are signed`,
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

async function verifyOne(
  document: Uint8Array,
  index: DocumentIndex,
  element: IndexedElement,
  pes: PesFlow | undefined,
  at: Date,
  options: VerifyXmlOptions,
): Promise<SignatureReport> {
  const checks: SignatureCheck[] = []
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
  } else if (read.canonicalization === EXC_C14N || read.canonicalization === EXC_C14N_WITH_COMMENTS) {
    canonicalSignedInfo = canonicalizeElementAt(document, index.encoding, signedInfoElement, {
      inclusiveNamespacePrefixes: read.canonicalizationPrefixList ? [...read.canonicalizationPrefixList] : undefined,
    })
  } else if (read.canonicalization === C14N || read.canonicalization === C14N_WITH_COMMENTS) {
    canonicalSignedInfo = inclusiveC14n(read.signedInfo, read.namespaces, read.canonicalization === C14N_WITH_COMMENTS)
  } else {
    checks.push({
      id: 'xmldsig.canonicalization',
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `canonicalization ${read.canonicalization} is not supported`,
    })
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
  for (const reference of read.references) {
    const outcome = checkReference(document, index, element, reference, pes !== undefined, options.maxDomBytes ?? 64 * 1024 * 1024)
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

  // Certificate.
  let certificateReport: CertificateReport | undefined
  let signer: SignatureReport['signer']
  if (certificate !== undefined) {
    const info = describeCertificate(certificate)
    signer = { subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() }
    certificateReport = await checkCertificate(certificate, {
      ...options,
      at,
      profile: options.profile ?? (pes === undefined ? 'none' : 'rgs2-signature'),
      acceptedPolicyOids:
        pes === undefined ? options.acceptedPolicyOids : [...(options.acceptedPolicyOids ?? []), ...DGFIP_CERTIFICATE_POLICY_OIDS],
      intermediates: [...(options.intermediates ?? []), ...read.keyInfoCertificates.filter((other) => other !== certificate)],
    })
    checks.push(certificateCheck(certificateReport, xades?.signingTime))
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
            place: xades.place,
          },
    checks,
    certificate: certificateReport,
  }
}

interface ReferenceOutcome {
  check: SignatureCheck
  covered?: CoveredElement
}

function checkReference(
  document: Uint8Array,
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
    if (document.byteLength > maxDomBytes) {
      return {
        check: {
          id: 'xmldsig.reference',
          status: 'indeterminate',
          subIndication: 'FORMAT_FAILURE',
          reason: `Reference URI="${uri}": inclusive C14N of a ${document.byteLength}-byte document is over the DOM limit (${maxDomBytes})`,
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

function pickCertificate(read: ReadSignature): Uint8Array | undefined {
  const referenced = read.xades?.signingCertificates ?? []
  for (const candidate of read.keyInfoCertificates) {
    for (const ref of referenced) {
      const digest = digestFromUri(ref.digestMethod)
      if (digest !== undefined && Buffer.from(xmlDigest(digest, candidate)).equals(Buffer.from(ref.digestValue))) return candidate
    }
  }
  return read.keyInfoCertificates[0]
}

function checkSignatureValue(
  signedInfo: Uint8Array,
  value: Uint8Array,
  method: NonNullable<ReturnType<typeof signatureMethodFromUri>>,
  certificate: Uint8Array,
): SignatureCheck {
  let ok: boolean
  try {
    const key = createPublicKey(new X509Certificate(certificate).publicKey.export({ format: 'pem', type: 'spki' }))
    const hash = method.hash.replace('-', '').toLowerCase()
    if (method.scheme === 'ECDSA') ok = verifySignature(hash, signedInfo, { key, dsaEncoding: 'ieee-p1363' }, value)
    else if (method.scheme === 'RSASSA-PSS') {
      ok = verifySignature(
        hash,
        signedInfo,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        value,
      )
    } else ok = verifySignature(hash, signedInfo, key, value)
  } catch (err) {
    return {
      id: 'xmldsig.signature-value',
      status: 'fail',
      subIndication: 'SIG_CRYPTO_FAILURE',
      reason: `the signature value could not be checked with the KeyInfo certificate: ${err instanceof Error ? err.message : String(err)}`,
    }
  }
  return ok
    ? { id: 'xmldsig.signature-value', status: 'pass', reason: 'the signature value verifies with the KeyInfo certificate' }
    : {
        id: 'xmldsig.signature-value',
        status: 'fail',
        subIndication: 'SIG_CRYPTO_FAILURE',
        reason: 'the signature value does not verify with the KeyInfo certificate',
      }
}

function xadesChecks(
  read: ReadSignature,
  covers: readonly CoveredElement[],
  certificate: Uint8Array | undefined,
  pes: boolean,
): SignatureCheck[] {
  const xades = read.xades
  if (xades === undefined) return []
  const checks: SignatureCheck[] = []
  const signedPropertiesCovered = covers.some((covered) => covered.scope === 'signed-properties' && covered.id === xades.id)
  checks.push(
    signedPropertiesCovered
      ? { id: 'xades.signed-properties', status: 'pass', reason: `SignedProperties ${xades.id ?? ''} is covered by a Reference` }
      : {
          id: 'xades.signed-properties',
          status: 'fail',
          subIndication: 'FORMAT_FAILURE',
          reason: 'no Reference covers the SignedProperties: the XAdES properties are not signed',
        },
  )
  const target = xades.target?.replace(/^#/, '')
  if (read.id !== undefined && target !== undefined && target !== read.id) {
    checks.push({
      id: 'xades.target',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `QualifyingProperties targets "${xades.target}", not this signature (${read.id})`,
    })
  }

  if (certificate !== undefined) {
    const ref = xades.signingCertificates.find((candidate) => {
      const digest = digestFromUri(candidate.digestMethod)
      return digest !== undefined && Buffer.from(xmlDigest(digest, certificate)).equals(Buffer.from(candidate.digestValue))
    })
    if (ref === undefined) {
      checks.push({
        id: 'xades.signing-certificate',
        status: 'indeterminate',
        subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
        reason:
          xades.signingCertificates.length === 0
            ? 'the XAdES properties name no signing certificate'
            : 'the SigningCertificate digest does not match the certificate that verifies the signature',
      })
    } else {
      const own = issuerSerialOf(certificate)
      const problems: string[] = []
      if (ref.serialNumber !== undefined && ref.serialNumber.trim() !== own.serialNumber) {
        problems.push(`serial ${ref.serialNumber} is not the certificate's ${own.serialNumber}`)
      }
      if (ref.issuerName !== undefined && !sameDistinguishedName(ref.issuerName, own.issuerDer)) {
        problems.push(`issuer "${ref.issuerName}" is not the certificate's "${own.issuerName}"`)
      }
      checks.push(
        problems.length === 0
          ? { id: 'xades.signing-certificate', status: 'pass', reason: 'SigningCertificate (digest, issuer, serial) names the signing key' }
          : {
              id: 'xades.signing-certificate',
              status: 'fail',
              subIndication: 'FORMAT_FAILURE',
              reason: `SigningCertificate: ${problems.join('; ')}`,
            },
      )
    }
  }

  const time = xades.signingTime
  if (time === undefined) {
    if (pes)
      checks.push({ id: 'xades.signing-time', status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE', reason: 'no SigningTime' })
  } else if (Number.isNaN(Date.parse(time)) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(time)) {
    checks.push({
      id: 'xades.signing-time',
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `SigningTime "${time}" is not an xsd:dateTime`,
    })
  } else if (pes && !time.endsWith('Z')) {
    checks.push({
      id: 'xades.signing-time',
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: `SigningTime "${time}" is not in UTC (Z), as the DGFiP verifier requires`,
    })
  } else checks.push({ id: 'xades.signing-time', status: 'pass', reason: `claimed signing time ${time}` })

  if (pes) {
    const policy = xades.policy
    const oid = policy?.identifier.replace(/^urn:oid:/i, '')
    if (policy === undefined || oid === undefined) {
      checks.push({
        id: 'pes.policy',
        status: 'indeterminate',
        subIndication: 'SIG_CONSTRAINTS_FAILURE',
        reason: 'no SignaturePolicyIdentifier: the Hélios profile is XAdES-EPES with the DGFiP policy',
      })
    } else if (!PES_POLICY_OIDS.includes(oid)) {
      checks.push({
        id: 'pes.policy',
        status: 'indeterminate',
        subIndication: 'SIG_CONSTRAINTS_FAILURE',
        reason: `policy ${oid} is not the DGFiP Hélios policy (${PES_POLICY_OIDS.join(' or ')})`,
      })
    } else if (!isKnownPolicy(oid, policy)) {
      // The Axyus/Xemelios verifier does not block on the hash either (research/pes.md §1.2).
      checks.push({
        id: 'pes.policy',
        status: 'warning',
        reason: `policy ${oid} with a hash sceau has not seen in real flows (${policy.hash ?? 'none'})`,
      })
    } else checks.push({ id: 'pes.policy', status: 'pass', reason: `DGFiP Hélios policy ${oid}, known hash` })
    checks.push(
      xades.role === undefined || xades.role === ''
        ? {
            id: 'pes.role',
            status: 'indeterminate',
            subIndication: 'SIG_CONSTRAINTS_FAILURE',
            reason: 'no ClaimedRole, which the DGFiP verifier requires',
          }
        : { id: 'pes.role', status: 'pass', reason: `claimed role "${xades.role}"` },
    )
  }
  return checks
}

function isKnownPolicy(oid: string, policy: { hashMethod?: string; hash?: string }): boolean {
  return KNOWN_PES_POLICIES.some(
    (known) => known.oid === oid && DIGEST_URIS[known.hashAlgorithm] === policy.hashMethod && known.hash === policy.hash,
  )
}

function pesPlacementChecks(flow: PesFlow, signature: IndexedElement, covers: readonly CoveredElement[]): SignatureCheck[] {
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

function certificateCheck(report: CertificateReport, signingTime: string | undefined): SignatureCheck {
  const name = `signer certificate (${report.certificate.subject})`
  if (report.indication === 'TOTAL_PASSED')
    return { id: 'certificate', status: 'pass', reason: `${name}: valid for profile ${report.profile}` }
  const failed = report.checks.find((check) => check.status === 'fail') ?? report.checks.find((check) => check.status === 'indeterminate')
  const why = (failed?.reason ?? report.subIndication ?? report.indication) + otherProblems(report, failed?.id ?? '')
  // Without a timestamp nothing proves when the signature was made: ETSI EN 319 102-1 makes an expired or
  // revoked signer certificate INDETERMINATE (…_NO_POE), whatever SigningTime claims.
  if (report.subIndication === 'EXPIRED' || Date.parse(report.at) > Date.parse(report.certificate.notAfter)) {
    const claimed = signingTime !== undefined && Date.parse(signingTime) <= Date.parse(report.certificate.notAfter)
    return {
      id: 'certificate',
      status: 'indeterminate',
      subIndication: 'OUT_OF_BOUNDS_NO_POE',
      reason:
        `${name} expired ${report.certificate.notAfter}` +
        (claimed ? `; it was valid at the claimed signing time ${signingTime}, but no timestamp proves that time` : '') +
        otherProblems(report, 'profile.validity'),
    }
  }
  if (report.subIndication === 'REVOKED')
    return { id: 'certificate', status: 'indeterminate', subIndication: 'REVOKED_NO_POE', reason: `${name}: ${why}` }
  return {
    id: 'certificate',
    status: report.indication === 'TOTAL_FAILED' ? 'fail' : 'indeterminate',
    subIndication: report.subIndication,
    reason: `${name}: ${why}`,
  }
}

function otherProblems(report: CertificateReport, except: string): string {
  const others = report.checks.filter((check) => check.id !== except && (check.status === 'fail' || check.status === 'indeterminate'))
  return others.length === 0 ? '' : `; also: ${others.map((check) => check.reason).join('; ')}`
}

/** Inclusive C14N of a parsed SignedInfo, with the namespaces of its ancestors (C14N 1.0 renders them). */
function inclusiveC14n(signedInfo: Element, namespaces: ReadonlyMap<string, string>, withComments: boolean): Uint8Array {
  const canonicalizer = withComments ? new C14nCanonicalizationWithComments() : new C14nCanonicalization()
  return utf8(canonicalizer.process(signedInfo as never, { ancestorNamespaces: ancestorNamespaces(namespaces) } as never))
}

/** Inclusive C14N of an element through the DOM: the fallback for what the streaming path does not do. */
function domInclusiveC14n(
  document: Uint8Array,
  encoding: DocumentEncoding,
  target: IndexedElement,
  signature: IndexedElement | undefined,
): Uint8Array {
  const bytes = Buffer.from(document.buffer, document.byteOffset, document.byteLength)
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
