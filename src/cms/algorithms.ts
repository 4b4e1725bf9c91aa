import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { RsaSaPssParams } from '@peculiar/asn1-rsa'
import { SceauError } from '../errors.js'
import { algorithmParts } from '../signer/algorithms.js'
import { digestLength } from '../signer/digest-info.js'
import type { DigestAlgorithm, SignatureAlgorithm } from '../types.js'

// Algorithm identifiers as CMS writes them (RFC 5754 for SHA-2 and ECDSA, RFC 4055 for RSASSA-PSS), and back.

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

const RSA_WITH_HASH_OIDS: Readonly<Record<DigestAlgorithm, string>> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
const RSASSA_PSS = '1.2.840.113549.1.1.10'
const MGF1 = '1.2.840.113549.1.1.8'
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer

/** A signature algorithm as read from a SignerInfo: the scheme, and the hash it names when it names one. */
export type CmsSignatureAlgorithm =
  | { readonly scheme: 'RSASSA-PKCS1-v1_5'; readonly hash?: DigestAlgorithm; readonly oid: string }
  | {
      readonly scheme: 'RSASSA-PSS'
      readonly hash: DigestAlgorithm
      readonly mgf1Hash: DigestAlgorithm
      readonly saltLength: number
      readonly oid: string
    }
  | { readonly scheme: 'ECDSA'; readonly hash: DigestAlgorithm; readonly oid: string }
  | { readonly scheme: 'unknown'; readonly oid: string }

function hashIdentifier(hash: DigestAlgorithm): AlgorithmIdentifier {
  // RFC 5754 §2: the parameters of the SHA-2 identifiers are absent.
  return new AlgorithmIdentifier({ algorithm: DIGEST_OIDS[hash] })
}

/** The DigestAlgorithmIdentifier of `hash`. */
export function digestAlgorithmIdentifier(hash: DigestAlgorithm): AlgorithmIdentifier {
  return hashIdentifier(hash)
}

/** The digest algorithm an OID names, or undefined for one sceau does not compute (SHA-1 included). */
export function digestFromOid(oid: string): DigestAlgorithm | undefined {
  return (Object.keys(DIGEST_OIDS) as DigestAlgorithm[]).find((hash) => DIGEST_OIDS[hash] === oid)
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

/** Reads a SignatureAlgorithmIdentifier; an algorithm sceau cannot verify comes back as `scheme: 'unknown'`. */
export function readSignatureAlgorithm(identifier: AlgorithmIdentifier): CmsSignatureAlgorithm {
  const oid = identifier.algorithm
  if (oid === RSA_ENCRYPTION) return { scheme: 'RSASSA-PKCS1-v1_5', oid }
  const rsaHash = (Object.keys(RSA_WITH_HASH_OIDS) as DigestAlgorithm[]).find((hash) => RSA_WITH_HASH_OIDS[hash] === oid)
  if (rsaHash !== undefined) return { scheme: 'RSASSA-PKCS1-v1_5', hash: rsaHash, oid }
  const ecdsaHash = (Object.keys(ECDSA_OIDS) as DigestAlgorithm[]).find((hash) => ECDSA_OIDS[hash] === oid)
  if (ecdsaHash !== undefined) return { scheme: 'ECDSA', hash: ecdsaHash, oid }
  if (oid === RSASSA_PSS) return readPss(identifier)
  return { scheme: 'unknown', oid }
}

function readPss(identifier: AlgorithmIdentifier): CmsSignatureAlgorithm {
  const oid = identifier.algorithm
  if (!identifier.parameters) return { scheme: 'unknown', oid }
  let params: RsaSaPssParams
  try {
    params = AsnConvert.parse(identifier.parameters, RsaSaPssParams)
  } catch (cause) {
    throw new SceauError('INPUT_MALFORMED', 'RSASSA-PSS parameters are not DER', { cause })
  }
  const hash = digestFromOid(params.hashAlgorithm.algorithm)
  // The mask generation function is MGF1 over a hash; anything else is not something Node can verify.
  let mgf1Hash: DigestAlgorithm | undefined
  if (params.maskGenAlgorithm.algorithm === MGF1 && params.maskGenAlgorithm.parameters) {
    try {
      mgf1Hash = digestFromOid(AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm)
    } catch {
      mgf1Hash = undefined
    }
  }
  if (hash === undefined || mgf1Hash === undefined || params.trailerField !== 1) return { scheme: 'unknown', oid }
  return { scheme: 'RSASSA-PSS', hash, mgf1Hash, saltLength: params.saltLength, oid }
}
