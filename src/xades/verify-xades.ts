// The signature value and the XAdES properties of one signature: signing certificate, time, policy, role.

import { constants, createPublicKey, verify as verifySignature, X509Certificate } from 'node:crypto'
import { nodeHashName } from '../signer/algorithms.js'
import { sameDistinguishedName } from '../x509/rfc2253.js'
import { issuerSerialOf, xmlDigest } from './certificate-ref.js'
import { KNOWN_PES_POLICIES, PES_POLICY_OIDS } from './policies.js'
import type { ReadSignature } from './read-signature.js'
import type { CoveredElement, SignatureCheck } from './report.js'
import { DIGEST_URIS, digestFromUri, type signatureMethodFromUri } from './uris.js'

export function pickCertificate(read: ReadSignature): Uint8Array | undefined {
  const referenced = read.xades?.signingCertificates ?? []
  for (const candidate of read.keyInfoCertificates) {
    for (const ref of referenced) {
      const digest = digestFromUri(ref.digestMethod)
      if (digest !== undefined && Buffer.from(xmlDigest(digest, candidate)).equals(Buffer.from(ref.digestValue))) return candidate
    }
  }
  return read.keyInfoCertificates[0]
}

export function checkSignatureValue(
  signedInfo: Uint8Array,
  value: Uint8Array,
  method: NonNullable<ReturnType<typeof signatureMethodFromUri>>,
  certificate: Uint8Array,
): SignatureCheck {
  let ok: boolean
  try {
    const key = createPublicKey(new X509Certificate(certificate).publicKey.export({ format: 'pem', type: 'spki' }))
    const hash = nodeHashName(method.hash)
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

export function xadesChecks(
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

export function isKnownPolicy(oid: string, policy: { hashMethod?: string; hash?: string }): boolean {
  return KNOWN_PES_POLICIES.some(
    (known) => known.oid === oid && DIGEST_URIS[known.hashAlgorithm] === policy.hashMethod && known.hash === policy.hash,
  )
}
