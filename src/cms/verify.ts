import { constants, verify, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509'
import { equalBytes } from '../bytes.js'
import { sameNameDer } from '../x509/rfc2253.js'
import { nodeHashName } from '../signer/algorithms.js'
import { digest, digestLength } from '../signer/digest-info.js'
import type { DigestAlgorithm } from '../types.js'
import type { Check } from '../verdicts.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { CMS_OIDS } from './oids.js'
import { parseCms, type CmsSignerInfo, type ParsedCms } from './parse.js'

/** The checks {@link verifyCms} makes. */
export type CmsCheckId = 'message-digest' | 'signature' | 'signing-certificate-v2' | 'content-type'

/** One check's verdict, in the EN 319 102-1 vocabulary. */
export type CmsCheck = Check & { readonly id: CmsCheckId }

/** What {@link verifyCms} compares the signature with: the detached content, or its digest. */
export type VerifyCmsOptions = { readonly content: Uint8Array } | { readonly contentDigest: Uint8Array }

/** The cryptographic verdict on a CMS signature. */
export interface CmsVerification {
  readonly checks: readonly CmsCheck[]
  /** The certificate the SignerInfo names, found among the CMS certificates. */
  readonly signerCertificate?: Uint8Array
  readonly cms: ParsedCms
}

/**
 * Checks a detached CMS signature cryptographically: the message digest against the content, the signature over
 * the signed attributes against the signer's certificate, the signing-certificate-v2 binding (required, as
 * PAdES and CAdES baseline require it) and the content type. It does not validate the certificate's path,
 * validity or revocation: that is the policy layer's work, done by the caller with `signerCertificate`.
 * Throws only on input that is not CMS.
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
  const checks = [
    checkMessageDigest(signer, counterSigned === undefined ? options : { content: counterSigned.signatureValue }),
    checkSignature(signer, signerCertificate),
    checkSigningCertificate(signer, signerCertificate),
    counterSigned === undefined ? checkContentType(cms, signer) : checkNoContentType(signer),
  ]
  return { checks, ...(signerCertificate === undefined ? {} : { signerCertificate }) }
}

function checkMessageDigest(signer: CmsSignerInfo, options: VerifyCmsOptions): CmsCheck {
  const id = 'message-digest'
  const expected = signer.attributes.messageDigest
  if (expected === undefined)
    return { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signed attributes have no message-digest' }
  const hash = asDigest(signer.digestAlgorithm)
  if (hash === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `digest algorithm ${signer.digestAlgorithm} is not supported`,
    }
  let actual: Uint8Array
  if ('content' in options) {
    actual = digest(hash, options.content)
  } else {
    actual = options.contentDigest
    if (actual.length !== digestLength(hash)) {
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

function checkSignature(signer: CmsSignerInfo, certificate: Uint8Array | undefined): CmsCheck {
  const id = 'signature'
  if (certificate === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the signer certificate is not in the CMS',
    }
  if (signer.signedAttributesDer === undefined)
    return { id, status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE', reason: 'there are no signed attributes' }
  const algorithm = signer.signatureAlgorithm
  const digestAlgorithm = asDigest(signer.digestAlgorithm)
  let key
  try {
    key = new X509Certificate(certificate).publicKey
  } catch {
    return { id, status: 'indeterminate', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', reason: 'the signer certificate cannot be read' }
  }
  let valid: boolean
  try {
    if (algorithm.scheme === 'RSASSA-PKCS1-v1_5') {
      // rsaEncryption names no hash: the SignerInfo's digest algorithm is the one signed with (RFC 3370 §3.2).
      const hash = algorithm.hash ?? digestAlgorithm
      if (hash === undefined)
        return {
          id,
          status: 'indeterminate',
          subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
          reason: `digest algorithm ${signer.digestAlgorithm} is not supported`,
        }
      valid = verify(nodeHashName(hash), signer.signedAttributesDer, { key, padding: constants.RSA_PKCS1_PADDING }, signer.signatureValue)
    } else if (algorithm.scheme === 'RSASSA-PSS') {
      // Node applies MGF1 with the message hash; other combinations cannot be checked here.
      if (algorithm.mgf1Hash !== algorithm.hash) {
        return {
          id,
          status: 'indeterminate',
          subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
          reason: 'RSASSA-PSS with an MGF1 hash other than the message hash',
        }
      }
      valid = verify(
        nodeHashName(algorithm.hash),
        signer.signedAttributesDer,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength },
        signer.signatureValue,
      )
    } else if (algorithm.scheme === 'ECDSA') {
      valid = verify(nodeHashName(algorithm.hash), signer.signedAttributesDer, { key, dsaEncoding: 'der' }, signer.signatureValue)
    } else {
      return {
        id,
        status: 'indeterminate',
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
        reason: `signature algorithm ${algorithm.oid} is not supported`,
      }
    }
  } catch {
    // A key that does not fit the algorithm (an EC key under rsaEncryption) or a malformed signature value.
    valid = false
  }
  return valid
    ? { id, status: 'pass', reason: `the ${algorithm.scheme} signature over the signed attributes verifies` }
    : {
        id,
        status: 'fail',
        subIndication: 'SIG_CRYPTO_FAILURE',
        reason: `the ${algorithm.scheme} signature over the signed attributes does not verify`,
      }
}

function checkSigningCertificate(signer: CmsSignerInfo, certificate: Uint8Array | undefined): CmsCheck {
  const id = 'signing-certificate-v2'
  const reference = signer.attributes.signingCertificateV2
  if (reference === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      reason: 'the signed attributes have no signing-certificate-v2',
    }
  if (certificate === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'the signer certificate is not in the CMS',
    }
  const hash = asDigest(reference.hash)
  if (hash === undefined)
    return {
      id,
      status: 'indeterminate',
      subIndication: 'CRYPTO_CONSTRAINTS_FAILURE',
      reason: `certHash algorithm ${reference.hash} is not supported`,
    }
  if (!equalBytes(digest(hash, certificate), reference.certHash)) {
    return {
      id,
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: 'certHash does not match the signer certificate',
    }
  }
  if (reference.issuerSerial !== undefined) {
    const { issuer, serialNumber } = issuerAndSerialOf(certificate)
    const { issuerNames, serialNumber: referencedSerial } = reference.issuerSerial
    if (!equalBytes(serialNumber, referencedSerial) || !issuerNames.some((name) => sameNameDer(name, issuer))) {
      return {
        id,
        status: 'indeterminate',
        subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
        reason: 'issuerSerial does not match the signer certificate',
      }
    }
  }
  return { id, status: 'pass', reason: `the ${hash} certHash matches the signer certificate` }
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
  const contentType = signer.attributes.contentType
  if (contentType === undefined)
    return { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the signed attributes have no content-type' }
  if (contentType !== cms.contentType)
    return { id, status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the content-type attribute differs from eContentType' }
  if (contentType !== CMS_OIDS.data)
    return { id, status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE', reason: `content type ${contentType} is not id-data` }
  return { id, status: 'pass', reason: 'the content type is id-data' }
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

function asDigest(name: string): DigestAlgorithm | undefined {
  return name === 'SHA-256' || name === 'SHA-384' || name === 'SHA-512' ? name : undefined
}
