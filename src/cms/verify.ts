import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509'
import { equalBytes } from '../bytes.js'
import { sameNameDer } from '../x509/rfc2253.js'
import type { Check } from '../verdicts.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { cmsDigest, cmsDigestLength, isCmsDigestAlgorithm, type CmsDigestAlgorithm } from './digests.js'
import { CMS_OIDS } from './oids.js'
import { parseCms, type CmsSignerInfo, type ParsedCms } from './parse.js'
import { isSignatureAlgorithmOid } from './read-algorithm.js'
import { verifySignatureValue, type SignatureOutcome, type SignedInput } from './signature-value.js'
import type { EssCertId } from './signing-certificate.js'

/** The checks {@link verifyCms} makes. */
export type CmsCheckId = 'message-digest' | 'signature' | 'signed-attributes-der' | 'signing-certificate' | 'content-type'

/** One check's verdict, in the EN 319 102-1 vocabulary. */
export type CmsCheck = Check & { readonly id: CmsCheckId }

/**
 * What {@link verifyCms} compares the signature with: the detached content; or its digest with the SignerInfo's
 * digest algorithm (enough for every signer with signed attributes, and for RSA without: a SignerInfo without
 * signed attributes signed with ECDSA, DSA or EdDSA signs the content itself, which must then be given); or
 * nothing, when the content could not be found.
 */
export type VerifyCmsOptions =
  { readonly content: Uint8Array } | { readonly contentDigest: Uint8Array } | { readonly contentNotFound: true }

/** The cryptographic verdict on a CMS signature. */
export interface CmsVerification {
  readonly checks: readonly CmsCheck[]
  /** The certificate the SignerInfo names, found among the CMS certificates. */
  readonly signerCertificate?: Uint8Array
  readonly cms: ParsedCms
}

/**
 * Checks a detached CMS signature cryptographically: the message digest against the content, the signature over
 * the signed attributes (over the content itself when there are none) against the signer's certificate, the ESS
 * signing-certificate binding (v2 or v1; required, as PAdES and CAdES baseline require it) and the content type.
 * It does not validate the certificate's path, validity or revocation: that is the policy layer's work, done by
 * the caller with `signerCertificate`. Throws only on input that is not CMS.
 *
 * @example
 * ```ts
 * const { checks, signerCertificate } = verifyCms(cmsDer, { content: byteRangeBytes })
 * const ok = checks.every((check) => check.status === 'pass')
 * ```
 */
export function verifyCms(der: Uint8Array, options: VerifyCmsOptions): CmsVerification {
  const cms = parseCms(der)
  return { ...verifySignerInfo(cms, cms.signer, options), cms }
}

/**
 * The checks of {@link verifyCms} for one SignerInfo of a parsed SignedData: a co-signer, or with
 * `counterSigned` a counter-signature, whose message-digest covers the counter-signed SignerInfo's signature value.
 *
 * @example
 * ```ts
 * const cms = parseCms(p7s)
 * const verdicts = cms.signers.map((signer) => verifySignerInfo(cms, signer, { contentDigest: digests[signer.digestAlgorithm] }))
 * ```
 */
export function verifySignerInfo(
  cms: ParsedCms,
  signer: CmsSignerInfo,
  options: VerifyCmsOptions,
  counterSigned?: CmsSignerInfo,
): Omit<CmsVerification, 'cms'> {
  const signerCertificate = findSignerCertificate(cms, signer)
  const covered = counterSigned === undefined ? options : { content: counterSigned.signatureValue }
  const checks = [
    checkMessageDigest(signer, covered),
    ...checkSignature(signer, signerCertificate, covered),
    checkSigningCertificate(signer, signerCertificate),
    counterSigned === undefined ? checkContentType(cms, signer) : checkNoContentType(signer),
  ]
  return { checks, ...(signerCertificate === undefined ? {} : { signerCertificate }) }
}

function checkMessageDigest(signer: CmsSignerInfo, options: VerifyCmsOptions): CmsCheck {
  const id = 'message-digest'
  if (signer.signedAttributesDer === undefined) {
    return 'contentNotFound' in options
      ? { id, status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND', reason: 'the signed content was not found' }
      : { id, status: 'pass', reason: 'no signed attributes: the signature value covers the content itself (RFC 5652 §5.4)' }
  }
  const expected = signer.attributes.messageDigest
  if (expected === undefined)
    return { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signed attributes have no message-digest' }
  const hash = digestAlgorithmOf(signer, id)
  if (typeof hash !== 'string') return hash
  if ('contentNotFound' in options)
    return { id, status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND', reason: 'the signed content was not found' }
  let actual: Uint8Array
  if ('content' in options) {
    actual = cmsDigest(hash, options.content)
  } else {
    actual = options.contentDigest
    if (actual.length !== cmsDigestLength(hash)) {
      return {
        id,
        status: 'indeterminate',
        subIndication: 'SIGNED_DATA_NOT_FOUND',
        reason: `the content digest given is not ${hash} (${actual.length} bytes)`,
      }
    }
  }
  return equalBytes(actual, expected)
    ? { id, status: 'pass', reason: `the ${hash} digest of the content matches` }
    : {
        id,
        status: 'fail',
        subIndication: 'HASH_FAILURE',
        reason: `the ${hash} digest of the content differs from the signed message-digest`,
      }
}

/** The SignerInfo's digest algorithm, or the verdict on one sceau cannot use. */
function digestAlgorithmOf(signer: CmsSignerInfo, id: CmsCheckId): CmsDigestAlgorithm | CmsCheck {
  const name = signer.digestAlgorithm
  if (isCmsDigestAlgorithm(name)) return name
  // RFC 5652 §5.3: a DigestAlgorithmIdentifier. A signature algorithm there is a malformed SignerInfo.
  if (isSignatureAlgorithmOid(name))
    return {
      id,
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `the digest algorithm field names ${name}, a signature algorithm`,
    }
  return { id, status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE', reason: `digest algorithm ${name} is not supported` }
}

function checkSignature(signer: CmsSignerInfo, certificate: Uint8Array | undefined, options: VerifyCmsOptions): CmsCheck[] {
  const id = 'signature'
  if (certificate === undefined)
    return [
      { id, status: 'indeterminate', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', reason: 'the signer certificate is not in the CMS' },
    ]
  const digestAlgorithm = isCmsDigestAlgorithm(signer.digestAlgorithm) ? signer.digestAlgorithm : undefined
  const scheme = signer.signatureAlgorithm.scheme
  const run = (signed: SignedInput): SignatureOutcome =>
    verifySignatureValue(signer.signatureAlgorithm, digestAlgorithm, certificate, signed, signer.signatureValue)
  const unsupported = (outcome: SignatureOutcome): CmsCheck | undefined => {
    if (outcome.status === 'unsupported')
      return { id, status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE', reason: outcome.reason }
    if (outcome.status === 'needs-message')
      return {
        id,
        status: 'indeterminate',
        subIndication: 'SIGNED_DATA_NOT_FOUND',
        reason: `the ${scheme} signature is over the content itself, and only the content's digest was given`,
      }
    return undefined
  }
  const { signedAttributesDer: der, signedAttributesAsStored: stored } = signer
  if (der === undefined) {
    if ('contentNotFound' in options)
      return [{ id, status: 'indeterminate', subIndication: 'SIGNED_DATA_NOT_FOUND', reason: 'the signed content was not found' }]
    let signed: SignedInput
    if ('content' in options) signed = { message: options.content }
    else if (digestAlgorithm !== undefined) signed = { digest: options.contentDigest, hash: digestAlgorithm }
    else
      return [
        {
          id,
          status: 'indeterminate',
          subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
          reason: `digest algorithm ${signer.digestAlgorithm} is not supported`,
        },
      ]
    const outcome = run(signed)
    return [
      unsupported(outcome) ??
        (outcome.status === 'valid'
          ? { id, status: 'pass', reason: `the ${scheme} signature over the content (no signed attributes) verifies` }
          : {
              id,
              status: 'fail',
              subIndication: 'SIG_CRYPTO_FAILURE',
              reason: `the ${scheme} signature over the content (no signed attributes) does not verify`,
            }),
    ]
  }
  const overDer = run({ message: der })
  const stop = unsupported(overDer)
  if (stop !== undefined) return [stop]
  const storedDiffers = stored !== undefined && !equalBytes(stored, der)
  const required = EDDSA_DIGESTS[scheme]
  if (overDer.status === 'valid' && required !== undefined && signer.digestAlgorithm !== required) {
    return [
      {
        id,
        status: 'indeterminate',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        reason: `the ${scheme} signature verifies, but RFC 8419 §3 pairs ${scheme} with the ${required} digest algorithm, not ${signer.digestAlgorithm}`,
      },
    ]
  }
  if (overDer.status === 'valid') {
    const pass: CmsCheck = { id, status: 'pass', reason: `the ${scheme} signature over the signed attributes verifies` }
    if (!storedDiffers) return [pass]
    return [
      pass,
      {
        id: 'signed-attributes-der',
        status: 'warning',
        reason:
          'the signed attributes are stored in BER or out of DER order; the signature verifies over their DER encoding (RFC 5652 §5.4)',
      },
    ]
  }
  // Some signers sign the attributes as they store them, not as DER: accepted, and said.
  if (storedDiffers && run({ message: stored }).status === 'valid') {
    return [
      { id, status: 'pass', reason: `the ${scheme} signature over the signed attributes verifies` },
      {
        id: 'signed-attributes-der',
        status: 'warning',
        reason:
          'the signed attributes are not stored in DER, and the signature verifies only over the bytes as stored, not over their DER encoding as RFC 5652 §5.4 requires',
      },
    ]
  }
  return [
    {
      id,
      status: 'fail',
      subIndication: 'SIG_CRYPTO_FAILURE',
      reason: `the ${scheme} signature over the signed attributes does not verify`,
    },
  ]
}

// RFC 8419 §3: with signed attributes, Ed25519 signers digest the content with SHA-512 and Ed448 signers with
// SHAKE256 (512 bits); pyHanko refuses other combinations as a cryptographic constraint, and so does sceau.
const EDDSA_DIGESTS: Readonly<Record<string, CmsDigestAlgorithm>> = { Ed25519: 'SHA-512', Ed448: 'SHAKE256' }

function checkSigningCertificate(signer: CmsSignerInfo, certificate: Uint8Array | undefined): CmsCheck {
  const id = 'signing-certificate'
  const references = signer.attributes.signingCertificates
  if (references.length === 0)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason:
        signer.signedAttributesDer === undefined
          ? 'there are no signed attributes, hence no ESS signing-certificate(-v2) reference to the signer certificate'
          : 'the signed attributes have no ESS signing-certificate(-v2)',
    }
  if (certificate === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the signer certificate is not in the CMS',
    }
  // Every reference must name the signer certificate: two attributes naming different certificates are ambiguous.
  for (const reference of references) {
    const mismatch = referenceMismatch(reference, certificate, id)
    if (mismatch !== undefined) return mismatch
  }
  const names = [...new Set(references.map((reference) => `${attributeName(reference)} (${reference.hash} certHash)`))]
  return { id, status: 'pass', reason: `${names.join(' and ')} matches the signer certificate` }
}

function attributeName(reference: EssCertId): string {
  return reference.version === 1 ? 'signing-certificate' : 'signing-certificate-v2'
}

function referenceMismatch(reference: EssCertId, certificate: Uint8Array, id: CmsCheckId): CmsCheck | undefined {
  const name = attributeName(reference)
  if (!isCmsDigestAlgorithm(reference.hash))
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `${name}: certHash algorithm ${reference.hash} is not supported`,
    }
  // A SHA-1 certHash (ESS v1) only binds a certificate the signature already verified with; a collision buys an
  // attacker nothing there, which is why DSS and pyHanko accept it.
  if (!equalBytes(cmsDigest(reference.hash, certificate), reference.certHash))
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: `${name}: certHash does not match the signer certificate`,
    }
  if (reference.issuerSerial !== undefined) {
    const { issuer, serialNumber } = issuerAndSerialOf(certificate)
    const { issuerNames, serialNumber: referencedSerial } = reference.issuerSerial
    if (!equalBytes(serialNumber, referencedSerial) || !issuerNames.some((issuerName) => sameNameDer(issuerName, issuer))) {
      return {
        id,
        status: 'indeterminate',
        subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
        reason: `${name}: issuerSerial does not match the signer certificate`,
      }
    }
  }
  return undefined
}

function checkNoContentType(signer: CmsSignerInfo): CmsCheck {
  const id = 'content-type'
  return signer.attributes.contentType === undefined
    ? { id, status: 'pass', reason: 'a counter-signature has no content-type' }
    : {
        id,
        status: 'fail',
        subIndication: 'FORMAT_FAILURE',
        reason: 'a counter-signature must not have a content-type attribute (RFC 5652 §11.4)',
      }
}

function checkContentType(cms: ParsedCms, signer: CmsSignerInfo): CmsCheck {
  const id = 'content-type'
  if (signer.signedAttributesDer === undefined) {
    // RFC 5652 §5.3: signedAttrs must be present when the content is not id-data, so that its type is signed.
    return cms.contentType === CMS_OIDS.data
      ? { id, status: 'pass', reason: 'no signed attributes, and the content type is id-data' }
      : {
          id,
          status: 'fail',
          subIndication: 'FORMAT_FAILURE',
          reason: `content type ${cms.contentType} is not id-data, so signed attributes are required (RFC 5652 §5.3)`,
        }
  }
  const contentType = signer.attributes.contentType
  if (contentType === undefined)
    return { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signed attributes have no content-type' }
  if (contentType !== cms.contentType)
    return {
      id,
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
      reason: `the content-type attribute (${contentType}) differs from eContentType (${cms.contentType})`,
    }
  return { id, status: 'pass', reason: `the content-type attribute matches eContentType ${contentType}` }
}

/** The certificate a SignerInfo names (issuer and serial, or key identifier), among the SignedData's certificates. */
export function findSignerCertificate(cms: ParsedCms, signer: CmsSignerInfo): Uint8Array | undefined {
  const { sid } = signer
  return cms.certificates.find((certificate) => {
    try {
      if ('issuerAndSerial' in sid) {
        const { issuer, serialNumber } = issuerAndSerialOf(certificate)
        return equalBytes(serialNumber, sid.issuerAndSerial.serialNumber) && sameNameDer(issuer, sid.issuerAndSerial.issuer)
      }
      return subjectKeyIdentifierMatches(certificate, sid.subjectKeyIdentifier)
    } catch {
      return false
    }
  })
}

function subjectKeyIdentifierMatches(certificate: Uint8Array, keyIdentifier: Uint8Array): boolean {
  const extension = AsnConvert.parse(certificate, Certificate).tbsCertificate.extensions?.find(
    (ext) => ext.extnID === id_ce_subjectKeyIdentifier,
  )
  if (extension === undefined) return false
  const value = AsnConvert.parse(extension.extnValue, SubjectKeyIdentifier)
  return equalBytes(new Uint8Array(value.buffer), keyIdentifier)
}
