// The XAdES properties of one signature: signing certificate (V1 or V2), data object formats, time, policy, role;
// and which of KeyInfo's certificates is the signer's.

import { X509Certificate } from 'node:crypto'
import { describeCertificate } from '../x509/describe.js'
import { sameDistinguishedName, sameNameDer } from '../x509/rfc2253.js'
import { readChildren, readTlv } from '../x509/der.js'
import { integerToDecimal, issuerSerialOf, xmlDigest, type IssuerSerial } from './certificate-ref.js'
import { KNOWN_PES_POLICIES, PES_POLICY_OIDS } from './policies.js'
import type { ReadSignature } from './read-signature.js'
import type { Check } from '../verdicts.js'
import type { CoveredElement } from './report.js'
import { keyFits } from './signature-value.js'
import { DIGEST_URIS, digestFromUri, type XmlSignatureMethod } from './uris.js'

/**
 * The signer's certificate: among KeyInfo's and the caller's (`known`, for a KeyInfo that names its certificate
 * without holding it), the one the XAdES SigningCertificate digest names, else the one KeyInfo's X509IssuerSerial,
 * X509SubjectName, X509SKI or X509Digest names (names compared as names, RFC 5280 §7.1); else the first KeyInfo
 * certificate whose key fits the SignatureMethod, else the first.
 */
export function pickCertificate(
  read: ReadSignature,
  options: { readonly method?: XmlSignatureMethod; readonly known?: readonly Uint8Array[] } = {},
): Uint8Array | undefined {
  const candidates = [...read.keyInfoCertificates, ...(options.known ?? [])]
  const digestMatches = (candidate: Uint8Array, ref: { digestMethod: string; digestValue: Uint8Array }): boolean => {
    const digest = digestFromUri(ref.digestMethod)
    return digest !== undefined && Buffer.from(xmlDigest(digest, candidate)).equals(Buffer.from(ref.digestValue))
  }
  for (const ref of read.xades?.signingCertificates ?? []) {
    const found = candidates.find((candidate) => digestMatches(candidate, ref))
    if (found !== undefined) return found
  }
  // KeyInfo's own hints, in their order (a signer lists its certificate before its CAs'), each compared as a name.
  const hints = read.keyInfoHints
  const tests: ((candidate: Uint8Array) => boolean)[] = [
    ...read.keyInfoIssuerSerials.map((entry) => (candidate: Uint8Array) => {
      const own = issuerSerialOf(candidate)
      return own.serialNumber === entry.serialNumber.trim() && sameDistinguishedName(looseName(entry.issuerName), own.issuerDer)
    }),
    ...hints.subjectNames.map((name) => (candidate: Uint8Array) => sameDistinguishedName(looseName(name), subjectDerOf(candidate))),
    ...hints.subjectKeyIdentifiers.map(
      (ski) => (candidate: Uint8Array) => describeCertificate(candidate).subjectKeyIdentifier === Buffer.from(ski).toString('hex'),
    ),
    ...hints.digests.map((ref) => (candidate: Uint8Array) => digestMatches(candidate, ref)),
  ]
  for (const test of tests) {
    const found = candidates.find((candidate) => {
      try {
        return test(candidate)
      } catch {
        return false
      }
    })
    if (found !== undefined) return found
  }
  const method = options.method
  const fitting = method === undefined ? undefined : read.keyInfoCertificates.find((candidate) => fits(candidate, method))
  return fitting ?? read.keyInfoCertificates[0]
}

function fits(certificate: Uint8Array, method: XmlSignatureMethod): boolean {
  try {
    return keyFits(new X509Certificate(certificate).publicKey, method)
  } catch {
    return false
  }
}

/** The subject Name of a DER certificate (TBSCertificate's sixth field, or fifth without a version). */
function subjectDerOf(certificate: Uint8Array): Uint8Array {
  const top = readTlv(certificate, 0)
  const tbs = top === undefined ? undefined : readChildren(certificate, top)?.[0]
  const fields = tbs === undefined ? undefined : readChildren(certificate, tbs)
  const subject = fields?.[fields[0]?.tag === 0xa0 ? 5 : 4]
  if (subject === undefined) throw new Error('not a DER certificate')
  return certificate.subarray(subject.start, subject.end)
}

/**
 * A distinguished name as signers write it in XML, line breaks and tabs read as spaces: some wrap X509IssuerName
 * after each comma, which RFC 2253 parsers do not expect.
 */
function looseName(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ')
}

export function xadesChecks(
  read: ReadSignature,
  covers: readonly CoveredElement[],
  certificate: Uint8Array | undefined,
  pes: boolean,
): Check[] {
  const xades = read.xades
  if (xades === undefined) return []
  const checks: Check[] = []
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
      if (ref.issuerName !== undefined && !sameDistinguishedName(looseName(ref.issuerName), own.issuerDer)) {
        problems.push(`issuer "${ref.issuerName}" is not the certificate's "${own.issuerName}"`)
      }
      if (ref.issuerSerialV2 !== undefined) problems.push(...issuerSerialV2Problems(ref.issuerSerialV2, own))
      const property = ref.issuerSerialV2 === undefined ? 'SigningCertificate' : 'SigningCertificateV2'
      checks.push(
        problems.length === 0
          ? { id: 'xades.signing-certificate', status: 'pass', reason: `${property} (digest, issuer, serial) names the signing key` }
          : {
              id: 'xades.signing-certificate',
              status: 'fail',
              subIndication: 'FORMAT_FAILURE',
              reason: `${property}: ${problems.join('; ')}`,
            },
      )
    }
  }

  checks.push(...dataObjectFormatChecks(read, covers))

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

/**
 * IssuerSerialV2 (EN 319 132-1 §5.2.2) is the DER IssuerSerial of RFC 5035: GeneralNames, of which a directoryName
 * must be the certificate's issuer, and the serial number.
 */
function issuerSerialV2Problems(der: Uint8Array, own: IssuerSerial): string[] {
  const top = readTlv(der, 0)
  const fields = top?.tag === 0x30 && top.end === der.length ? readChildren(der, top) : undefined
  const [names, serial] = fields ?? []
  const generalNames = names?.tag === 0x30 ? readChildren(der, names) : undefined
  if (generalNames === undefined || serial?.tag !== 0x02) return ['IssuerSerialV2 is not a DER IssuerSerial']
  const problems: string[] = []
  const serialNumber = integerToDecimal(der.subarray(serial.contentStart, serial.end))
  if (serialNumber !== own.serialNumber) problems.push(`IssuerSerialV2 serial ${serialNumber} is not the certificate's ${own.serialNumber}`)
  const issuers = generalNames
    .filter((name) => name.tag === 0xa4)
    .flatMap((name) => {
      const inner = readTlv(der, name.contentStart, name.end)
      return inner?.tag === 0x30 ? [der.subarray(inner.start, inner.end)] : []
    })
  // RFC 5280 §7.1: the same name whatever string types encode it.
  const matches = issuers.some((name) => sameNameDer(name, own.issuerDer))
  if (!matches) problems.push(`IssuerSerialV2 does not name the certificate's issuer "${own.issuerName}"`)
  return problems
}

/**
 * Each DataObjectFormat must describe a Reference of this signature (ObjectReference="#<Reference Id>"); baseline
 * B-B wants one for every signed data object, which is only warned about, as older XAdES signatures lack them.
 */
function dataObjectFormatChecks(read: ReadSignature, covers: readonly CoveredElement[]): Check[] {
  const formats = read.xades?.dataObjectFormats ?? []
  // A DataObjectFormat may describe a Reference of a ds:Manifest as well (EN 319 132-1 §5.2.4).
  const all = [...read.references, ...read.manifests.flatMap((manifest) => manifest.references)]
  const ids = new Set(all.flatMap((reference) => (reference.id === undefined ? [] : [reference.id])))
  const dangling = formats.filter((format) => !(format.objectReference?.startsWith('#') && ids.has(format.objectReference.slice(1))))
  if (dangling.length > 0) {
    // The property describes data; it binds nothing. EU DSS does not hold a dangling ObjectReference against the
    // signature, and neither does sceau: it is said, as a format slip of the signer.
    return [
      {
        id: 'xades.data-object-format',
        status: 'warning',
        reason: `DataObjectFormat ObjectReference="${dangling[0]?.objectReference ?? ''}" names no Reference of this signature`,
      },
    ]
  }
  const described = new Set(formats.map((format) => format.objectReference?.slice(1)))
  const detached = read.references.filter((reference) =>
    covers.some((covered) => covered.scope === 'detached' && covered.uri === reference.uri),
  )
  const undescribed = detached.filter((reference) => reference.id === undefined || !described.has(reference.id))
  if (undescribed.length > 0) {
    return [
      {
        id: 'xades.data-object-format',
        status: 'warning',
        reason: `no DataObjectFormat describes Reference URI="${undescribed[0]?.uri ?? ''}", as XAdES baseline B-B requires`,
      },
    ]
  }
  if (formats.length === 0) return []
  const types = formats.map((format) => format.mimeType ?? '(no MimeType)').join(', ')
  return [{ id: 'xades.data-object-format', status: 'pass', reason: `DataObjectFormat describes the signed data (${types})` }]
}

/**
 * Ids of the ds:Manifest References a DataObjectFormat describes: XAdES makes these signed data objects, so their
 * digests must match, where XML-DSig core validation leaves Manifest References to the application (§5.1).
 */
export function describedManifestReferences(read: ReadSignature): Set<string> {
  const described = new Set(
    (read.xades?.dataObjectFormats ?? []).flatMap((format) =>
      format.objectReference?.startsWith('#') ? [format.objectReference.slice(1)] : [],
    ),
  )
  const ids = read.manifests
    .flatMap((manifest) => manifest.references)
    .flatMap((reference) => (reference.id === undefined ? [] : [reference.id]))
  return new Set(ids.filter((id) => described.has(id)))
}

export function isKnownPolicy(oid: string, policy: { hashMethod?: string; hash?: string }): boolean {
  return KNOWN_PES_POLICIES.some(
    (known) => known.oid === oid && DIGEST_URIS[known.hashAlgorithm] === policy.hashMethod && known.hash === policy.hash,
  )
}
