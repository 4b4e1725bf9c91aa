import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { RsaSaPssParams } from '@peculiar/asn1-rsa'
import { algorithmParts } from '../signer/algorithms.js'
import { digestLength } from '../signer/digest-info.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'

// Algorithm identifiers as sceau writes them in CMS (RFC 5754 for SHA-2 and ECDSA, RFC 4055 for RSASSA-PSS). Reading
// them, for every algorithm a verifier meets, is read-algorithm.ts's job.

const DIGEST_OIDS: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
}

const ECDSA_OIDS: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
const RSASSA_PSS = '1.2.840.113549.1.1.10'
const MGF1 = '1.2.840.113549.1.1.8'
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer

function hashIdentifier(hash: DigestAlgorithm): AlgorithmIdentifier {
  // RFC 5754 §2: the parameters of the SHA-2 identifiers are absent.
  return new AlgorithmIdentifier({ algorithm: DIGEST_OIDS[hash] })
}

/** The DigestAlgorithmIdentifier of `hash`. */
export function digestAlgorithmIdentifier(hash: DigestAlgorithm): AlgorithmIdentifier {
  return hashIdentifier(hash)
}

/** The OID of a digest algorithm. */
export function digestOid(hash: DigestAlgorithm): string {
  return DIGEST_OIDS[hash]
}

/**
 * The SignatureAlgorithmIdentifier written in a SignerInfo. PKCS#1 v1.5 is written as plain rsaEncryption,
 * which Adobe Acrobat and poppler's pdfsig expect; PSS carries its parameters explicitly since the defaults
 * (SHA-1) are not what is signed with.
 */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  const { scheme, hash } = algorithmParts(algorithm)
  if (scheme === 'ECDSA') return new AlgorithmIdentifier({ algorithm: ECDSA_OIDS[hash] })
  if (scheme === 'RSASSA-PKCS1-v1_5') return new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: DER_NULL })
  const params = new RsaSaPssParams({
    hashAlgorithm: hashIdentifier(hash),
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: MGF1, parameters: AsnConvert.serialize(hashIdentifier(hash)) }),
    saltLength: digestLength(hash),
  })
  return new AlgorithmIdentifier({ algorithm: RSASSA_PSS, parameters: AsnConvert.serialize(params) })
}
