// Signature algorithm identifiers as other software writes them in a SignerInfo: RSA PKCS#1 v1.5 with any hash
// (RFC 3370, RFC 5754, NIST CSOR for SHA-3), RSASSA-PSS with its parameters (RFC 4055), ECDSA (RFC 5758, NIST CSOR,
// and BSI TR-03111's plain r‖s form), DSA (RFC 3370, RFC 5758), Ed25519 and Ed448 (RFC 8419). What is read here
// is only what the identifier says; whether the key fits and the algorithm is still strong enough is decided later.

import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { RsaSaPssParams } from '@peculiar/asn1-rsa'
import type { AlgorithmIdentifierDer } from './ber.js'
import { cmsDigestFromOid, type CmsDigestAlgorithm } from './digests.js'

/**
 * A signature algorithm as read from a SignerInfo: the scheme, and the hash it names when it names one (plain
 * rsaEncryption, id-dsa and id-ecPublicKey do not: the SignerInfo's digest algorithm is then the hash).
 */
export type CmsSignatureAlgorithm =
  | { readonly scheme: 'RSASSA-PKCS1-v1_5'; readonly hash?: CmsDigestAlgorithm; readonly oid: string }
  | {
      readonly scheme: 'RSASSA-PSS'
      readonly hash: CmsDigestAlgorithm
      readonly mgf1Hash: CmsDigestAlgorithm
      readonly saltLength: number
      readonly oid: string
    }
  | {
      readonly scheme: 'ECDSA'
      readonly hash?: CmsDigestAlgorithm
      /** `der`: ECDSA-Sig-Value (RFC 5480); `ieee-p1363`: r‖s (BSI TR-03111 "plain" identifiers). */
      readonly encoding: 'der' | 'ieee-p1363'
      readonly oid: string
    }
  | { readonly scheme: 'DSA'; readonly hash?: CmsDigestAlgorithm; readonly oid: string }
  | { readonly scheme: 'Ed25519' | 'Ed448'; readonly oid: string }
  | { readonly scheme: 'unknown'; readonly oid: string; readonly why: string }

type Named = readonly [string, CmsDigestAlgorithm | undefined]

const RSA_PKCS1: readonly Named[] = [
  ['1.2.840.113549.1.1.1', undefined], // rsaEncryption: RFC 3370 §3.2
  ['1.2.840.113549.1.1.4', 'MD5'],
  ['1.2.840.113549.1.1.5', 'SHA-1'],
  ['1.2.840.113549.1.1.14', 'SHA-224'],
  ['1.2.840.113549.1.1.11', 'SHA-256'],
  ['1.2.840.113549.1.1.12', 'SHA-384'],
  ['1.2.840.113549.1.1.13', 'SHA-512'],
  ['1.2.840.113549.1.1.15', 'SHA-512/224'],
  ['1.2.840.113549.1.1.16', 'SHA-512/256'],
  ['2.16.840.1.101.3.4.3.13', 'SHA3-224'],
  ['2.16.840.1.101.3.4.3.14', 'SHA3-256'],
  ['2.16.840.1.101.3.4.3.15', 'SHA3-384'],
  ['2.16.840.1.101.3.4.3.16', 'SHA3-512'],
  ['1.3.36.3.3.1.2', 'RIPEMD-160'],
]

const ECDSA_DER: readonly Named[] = [
  ['1.2.840.10045.2.1', undefined], // id-ecPublicKey, which some signers write in place of a signature algorithm
  ['1.2.840.10045.4.1', 'SHA-1'],
  ['1.2.840.10045.4.3.1', 'SHA-224'],
  ['1.2.840.10045.4.3.2', 'SHA-256'],
  ['1.2.840.10045.4.3.3', 'SHA-384'],
  ['1.2.840.10045.4.3.4', 'SHA-512'],
  ['2.16.840.1.101.3.4.3.9', 'SHA3-224'],
  ['2.16.840.1.101.3.4.3.10', 'SHA3-256'],
  ['2.16.840.1.101.3.4.3.11', 'SHA3-384'],
  ['2.16.840.1.101.3.4.3.12', 'SHA3-512'],
]

// BSI TR-03111 §5.2.1 ecdsa-plain-signatures: the same ECDSA, its value written as r‖s.
const ECDSA_PLAIN: readonly Named[] = [
  ['0.4.0.127.0.7.1.1.4.1.1', 'SHA-1'],
  ['0.4.0.127.0.7.1.1.4.1.2', 'SHA-224'],
  ['0.4.0.127.0.7.1.1.4.1.3', 'SHA-256'],
  ['0.4.0.127.0.7.1.1.4.1.4', 'SHA-384'],
  ['0.4.0.127.0.7.1.1.4.1.5', 'SHA-512'],
]

const DSA: readonly Named[] = [
  ['1.2.840.10040.4.1', undefined], // id-dsa: RFC 3370 §3.1 allows it, the hash being the digest algorithm
  ['1.2.840.10040.4.3', 'SHA-1'],
  ['2.16.840.1.101.3.4.3.1', 'SHA-224'],
  ['2.16.840.1.101.3.4.3.2', 'SHA-256'],
  ['2.16.840.1.101.3.4.3.3', 'SHA-384'],
  ['2.16.840.1.101.3.4.3.4', 'SHA-512'],
]

const RSASSA_PSS = '1.2.840.113549.1.1.10'
const MGF1 = '1.2.840.113549.1.1.8'
const ED25519 = '1.3.101.112'
const ED448 = '1.3.101.113'

const named = (table: readonly Named[], oid: string): Named | undefined => table.find(([known]) => known === oid)

/**
 * Reads a SignatureAlgorithmIdentifier; one sceau cannot verify comes back as `scheme: 'unknown'` with the reason.
 *
 * @example
 * ```ts
 * readSignatureAlgorithm({ oid: '1.2.840.10045.4.3.2' }) // { scheme: 'ECDSA', hash: 'SHA-256', encoding: 'der', oid }
 * ```
 */
export function readSignatureAlgorithm(identifier: AlgorithmIdentifierDer): CmsSignatureAlgorithm {
  const { oid } = identifier
  const withHash = <T extends object>(entry: Named, rest: T): T & { hash?: CmsDigestAlgorithm } =>
    entry[1] === undefined ? rest : { ...rest, hash: entry[1] }
  const rsa = named(RSA_PKCS1, oid)
  if (rsa !== undefined) return withHash(rsa, { scheme: 'RSASSA-PKCS1-v1_5', oid } as const)
  const ecdsa = named(ECDSA_DER, oid)
  if (ecdsa !== undefined) return withHash(ecdsa, { scheme: 'ECDSA', encoding: 'der', oid } as const)
  const plain = named(ECDSA_PLAIN, oid)
  if (plain !== undefined) return withHash(plain, { scheme: 'ECDSA', encoding: 'ieee-p1363', oid } as const)
  const dsa = named(DSA, oid)
  if (dsa !== undefined) return withHash(dsa, { scheme: 'DSA', oid } as const)
  // RFC 8419 §2.2: the parameters of the EdDSA identifiers are absent.
  if (oid === ED25519) return { scheme: 'Ed25519', oid }
  if (oid === ED448) return { scheme: 'Ed448', oid }
  if (oid === RSASSA_PSS) return readPss(identifier)
  return { scheme: 'unknown', oid, why: `signature algorithm ${oid} is not supported` }
}

/** True when `oid` names a signature algorithm sceau reads (a digest algorithm field holding one is malformed). */
export function isSignatureAlgorithmOid(oid: string): boolean {
  return readSignatureAlgorithm({ oid }).scheme !== 'unknown' || oid === RSASSA_PSS
}

// RFC 4055 §3.1: absent fields take their DEFAULT (SHA-1, MGF1 with SHA-1, 20 bytes of salt, trailer 1); a
// SignerInfo must carry the parameters, but an empty SEQUENCE is every default.
function readPss(identifier: AlgorithmIdentifierDer): CmsSignatureAlgorithm {
  const oid = identifier.oid
  const unknown = (why: string): CmsSignatureAlgorithm => ({ scheme: 'unknown', oid, why: `RSASSA-PSS ${why}` })
  if (identifier.parameters === undefined) return unknown('without parameters')
  let params: RsaSaPssParams
  try {
    params = AsnConvert.parse(identifier.parameters, RsaSaPssParams)
  } catch {
    return unknown('parameters are not RSASSA-PSS-params')
  }
  const hashOid = params.hashAlgorithm.algorithm
  const hash = cmsDigestFromOid(hashOid, parametersOf(params.hashAlgorithm))
  if (hash === undefined) return unknown(`with hash ${hashOid}`)
  if (params.maskGenAlgorithm.algorithm !== MGF1) return unknown(`with mask generation function ${params.maskGenAlgorithm.algorithm}`)
  let mgf1Hash: CmsDigestAlgorithm | undefined
  try {
    const inner = AsnConvert.parse(params.maskGenAlgorithm.parameters ?? new ArrayBuffer(0), AlgorithmIdentifier)
    mgf1Hash = cmsDigestFromOid(inner.algorithm, parametersOf(inner))
  } catch {
    mgf1Hash = undefined
  }
  if (mgf1Hash === undefined) return unknown('with an MGF1 hash sceau does not compute')
  // Trailer field 1 is 0xbc, the only one RFC 8017 §9.1 defines.
  if (params.trailerField !== 1) return unknown(`with trailer field ${params.trailerField}`)
  return { scheme: 'RSASSA-PSS', hash, mgf1Hash, saltLength: params.saltLength, oid }
}

function parametersOf(identifier: AlgorithmIdentifier): Uint8Array | undefined {
  return identifier.parameters ? new Uint8Array(identifier.parameters) : undefined
}
