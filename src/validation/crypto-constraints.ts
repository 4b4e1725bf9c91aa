// Cryptographic constraints with dates (ETSI EN 319 102-1 §5.2.8 and §5.6.2.5): an algorithm too weak today may
// have been sound when the signature was made, and a signature proven to exist before its algorithms' end date
// stays good. The table below is sceau's own, written from ETSI TS 119 312 ("Cryptographic Suites", the dates its
// V1.5.1 gives and those of ETSI TS 102 176-1 it continues) in the form of EU DSS's default validation policy
// (dss-policy-jaxb, policy/constraint.xml, <Cryptographic>): per digest algorithm, and per signature algorithm and
// key size, the date until which it is acceptable. No date means no end is foreseen. Weaker than every row means
// never acceptable. The signing side does not consult it: it refuses everything but SHA-2 and strong keys outright.

import { X509Certificate, type KeyObject } from 'node:crypto'
import { berAlgorithm, berChildren, readBer } from '../cms/ber.js'
import { readSignatureAlgorithm, type CmsSignatureAlgorithm } from '../cms/read-algorithm.js'
import type { Check, IndeterminateSubIndication } from '../verdicts.js'
import { describeCertificate } from '../x509/describe.js'

/** A signature scheme as the constraints table knows it. */
export type ConstrainedScheme = 'RSA' | 'RSASSA-PSS' | 'DSA' | 'ECDSA' | 'Ed25519' | 'Ed448'

/** An algorithm a signature rests on. */
export type ConstrainedAlgorithm =
  /** A digest algorithm: a sceau name (`SHA-1`, `SHA3-256`…) or, for one sceau does not know, its OID. */
  | { readonly digest: string }
  /** A signature scheme with its key's strength in bits (RSA and DSA: modulus; ECDSA: the curve's order; EdDSA: ignored). */
  | { readonly scheme: ConstrainedScheme | (string & {}); readonly keyBits?: number }

/** One algorithm and what uses it, named in the check's reason ("the signature", "the certificate of CN=…"). */
export interface AlgorithmUse {
  readonly by: string
  readonly algorithm: ConstrainedAlgorithm
}

/** The proof of existence the algorithms are judged at: its time, and what gives it. */
export interface ProofOfExistence {
  readonly time: Date
  /** "a signature time-stamp", "the validation time"… */
  readonly source: string
}

/** What the table says of one algorithm. */
export type Acceptability = { readonly acceptable: true; readonly until?: Date } | { readonly acceptable: false; readonly reason: string }

interface KeyRow {
  /** Keys of at least this many bits… */
  readonly minBits: number
  /** …are acceptable until this date (ISO); none: no end foreseen. */
  readonly until?: string
}

// Digest algorithms. ETSI TS 119 312 V1.5.1 §6.2 (hash functions), TS 102 176-1 for MD5 and RIPEMD-160.
// SHA-224, SHA-512/224 and SHA3-224 give 112 bits of collision resistance, like RSA-2048: the same end date.
// SHAKE128 (256-bit output) and SHAKE256 (512-bit output, what Ed448 uses in CMS per RFC 8419) are as strong as
// SHA-256 and SHA-512.
const DIGESTS: Readonly<Record<string, string | null>> = {
  MD5: '2004-08-01',
  'SHA-1': '2012-08-01',
  'RIPEMD-160': '2014-08-01',
  'SHA-224': '2029-01-01',
  'SHA-512/224': '2029-01-01',
  'SHA3-224': '2029-01-01',
  'SHA-256': null,
  'SHA-384': null,
  'SHA-512': null,
  'SHA-512/256': null,
  'SHA3-256': null,
  'SHA3-384': null,
  'SHA3-512': null,
  SHAKE128: null,
  SHAKE256: null,
}

// Signature schemes by key size. ETSI TS 119 312 V1.5.1 §7 and §8 (RSA, DSA, ECDSA over NIST and Brainpool
// curves alike, by the size of the group order); 786 to 1023-bit RSA until 2010 and 160-bit ECDSA until 2012 come
// from TS 102 176-1. RSA with PKCS#1 v1.5 padding is legacy after 2028 whatever the modulus, as DSS reads the
// specification; RSASSA-PSS of 3000 bits and more has no end foreseen.
const SCHEMES: Readonly<Record<ConstrainedScheme, readonly KeyRow[]>> = {
  RSA: [
    { minBits: 786, until: '2010-08-01' },
    { minBits: 1024, until: '2019-10-01' },
    { minBits: 1900, until: '2029-01-01' },
  ],
  'RSASSA-PSS': [
    { minBits: 786, until: '2010-08-01' },
    { minBits: 1024, until: '2019-10-01' },
    { minBits: 1900, until: '2029-01-01' },
    { minBits: 3000 },
  ],
  DSA: [{ minBits: 1024, until: '2015-12-01' }, { minBits: 1900, until: '2029-01-01' }, { minBits: 3000 }],
  ECDSA: [{ minBits: 160, until: '2012-08-01' }, { minBits: 224, until: '2021-10-01' }, { minBits: 256 }],
  // EdDSA (RFC 8032): edwards25519 and edwards448, about 128 and 224 bits of security; no end foreseen.
  Ed25519: [{ minBits: 0 }],
  Ed448: [{ minBits: 0 }],
}

/**
 * What the table says of one algorithm: acceptable (until a date, or with no end foreseen), or never.
 *
 * @example
 * ```ts
 * acceptability({ digest: 'SHA-1' }) // { acceptable: true, until: 2012-08-01 }
 * acceptability({ scheme: 'RSA', keyBits: 512 }) // { acceptable: false, reason: '512-bit RSA keys are below …' }
 * ```
 */
export function acceptability(algorithm: ConstrainedAlgorithm): Acceptability {
  if ('digest' in algorithm) {
    const until = DIGESTS[algorithm.digest]
    if (until === undefined) return { acceptable: false, reason: `digest algorithm ${algorithm.digest} is not one sceau knows to be sound` }
    return until === null ? { acceptable: true } : { acceptable: true, until: new Date(`${until}T00:00:00Z`) }
  }
  const scheme = algorithm.scheme
  const rows = (SCHEMES as Readonly<Record<string, readonly KeyRow[]>>)[scheme]
  if (rows === undefined) return { acceptable: false, reason: `signature algorithm ${scheme} is not one sceau knows to be sound` }
  const bits = algorithm.keyBits
  if (scheme === 'Ed25519' || scheme === 'Ed448') return { acceptable: true }
  if (bits === undefined) return { acceptable: false, reason: `the key size of the ${scheme} key is unknown` }
  const row = [...rows].reverse().find((candidate) => bits >= candidate.minBits)
  if (row === undefined) return { acceptable: false, reason: `${bits}-bit ${scheme} keys are below the smallest size ever accepted` }
  return row.until === undefined ? { acceptable: true } : { acceptable: true, until: new Date(`${row.until}T00:00:00Z`) }
}

/**
 * Judges the algorithms a signature (or a time-stamp) rests on at the time of its proof of existence: a check
 * `crypto-constraints` that passes when every algorithm was acceptable then; INDETERMINATE
 * CRYPTO_CONSTRAINTS_FAILURE_NO_POE when one had expired by then (nothing proves the signature older than the
 * expiry, EN 319 102-1 §5.6.2.5); INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE when one was never acceptable.
 *
 * @example
 * ```ts
 * const check = checkCryptoConstraints(
 *   [{ by: 'the signature', algorithm: { digest: 'SHA-1' } }, { by: 'the signature', algorithm: { scheme: 'RSA', keyBits: 2048 } }],
 *   { time: new Date(), source: 'the validation time' },
 * )
 * // check.status === 'indeterminate', check.subIndication === 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'
 * ```
 */
export function checkCryptoConstraints(uses: readonly AlgorithmUse[], poe: ProofOfExistence, id = 'crypto-constraints'): Check {
  const problems: { reason: string; subIndication: IndeterminateSubIndication }[] = []
  const seen = new Set<string>()
  const names: string[] = []
  for (const use of uses) {
    const name = algorithmName(use.algorithm)
    const key = `${use.by}\u0000${name}`
    if (seen.has(key)) continue
    seen.add(key)
    names.push(name)
    const verdict = acceptability(use.algorithm)
    if (!verdict.acceptable) problems.push({ reason: `${use.by}: ${verdict.reason}`, subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' })
    else if (verdict.until !== undefined && poe.time.getTime() >= verdict.until.getTime()) {
      problems.push({
        reason: `${use.by}: ${name} is acceptable until ${verdict.until.toISOString().slice(0, 10)}, and nothing proves it existed before (${poe.source}: ${poe.time.toISOString()})`,
        subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
      })
    }
  }
  if (problems.length === 0) {
    const listed = [...new Set(names)].join(', ')
    return {
      id,
      status: 'pass',
      reason: `${listed === '' ? 'no algorithm' : listed} acceptable at ${poe.time.toISOString()} (${poe.source})`,
    }
  }
  // A never-acceptable algorithm is the graver finding: no proof of existence would help.
  const never = problems.find((problem) => problem.subIndication === 'CRYPTO_CONSTRAINTS_FAILURE')
  return {
    id,
    status: 'indeterminate',
    subIndication: (never ?? problems[0])?.subIndication ?? 'CRYPTO_CONSTRAINTS_FAILURE',
    reason: problems.map((problem) => problem.reason).join('; '),
  }
}

/** The table's name of a signature scheme read from a CMS or X.509 signature algorithm identifier. */
export function constrainedScheme(algorithm: CmsSignatureAlgorithm): ConstrainedScheme | undefined {
  switch (algorithm.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      return 'RSA'
    case 'unknown':
      return undefined
    default:
      return algorithm.scheme
  }
}

// Bit sizes of the group order of the named curves Node reports (OpenSSL names).
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP160r1: 160,
  brainpoolP192r1: 192,
  brainpoolP224r1: 224,
  brainpoolP256r1: 256,
  brainpoolP320r1: 320,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
  brainpoolP160t1: 160,
  brainpoolP192t1: 192,
  brainpoolP224t1: 224,
  brainpoolP256t1: 256,
  brainpoolP320t1: 320,
  brainpoolP384t1: 384,
  brainpoolP512t1: 512,
}

/**
 * The strength of a certificate's public key, in the table's terms: its scheme family and bits (RSA, DSA: modulus
 * length; EC: order of the curve). Undefined when Node cannot read the key.
 *
 * @example
 * ```ts
 * publicKeyStrength(signerCertificate) // { type: 'rsa', bits: 2048 }
 * ```
 */
export function publicKeyStrength(certificate: Uint8Array): { readonly type: string; readonly bits?: number } | undefined {
  try {
    return keyStrength(new X509Certificate(certificate).publicKey)
  } catch {
    return undefined
  }
}

/**
 * {@link publicKeyStrength} of a key itself (one a signature's KeyInfo writes out, say).
 *
 * @example
 * ```ts
 * keyStrength(createPublicKey(spkiDer)) // { type: 'ec', bits: 256 }
 * ```
 */
export function keyStrength(key: KeyObject): { readonly type: string; readonly bits?: number } {
  const type = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}
  if (details.modulusLength !== undefined) return { type, bits: details.modulusLength }
  if (details.namedCurve !== undefined) {
    const bits = CURVE_BITS[details.namedCurve]
    return bits === undefined ? { type } : { type, bits }
  }
  if (type === 'ed25519') return { type, bits: 256 }
  if (type === 'ed448') return { type, bits: 448 }
  return { type }
}

/** A certificate of a path as a report lists it (no DER). */
export interface PathElement {
  readonly subject: string
  readonly issuer: string
  readonly notBefore: string
  readonly notAfter: string
}

/**
 * The DER of each certificate of a reported path (leaf first), found among `candidates` by subject, issuer and
 * validity; undefined where none matches (an anchor that came from a trusted list, say).
 */
export function pathCertificates(path: readonly PathElement[], candidates: readonly Uint8Array[]): (Uint8Array | undefined)[] {
  const described = candidates.flatMap((der) => {
    try {
      const info = describeCertificate(der)
      return [
        { der, subject: info.subject, issuer: info.issuer, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString() },
      ]
    } catch {
      return []
    }
  })
  return path.map(
    (element) =>
      described.find(
        (candidate) =>
          candidate.subject === element.subject &&
          candidate.issuer === element.issuer &&
          Date.parse(candidate.notBefore) === Date.parse(element.notBefore) &&
          Date.parse(candidate.notAfter) === Date.parse(element.notAfter),
      )?.der,
  )
}

/**
 * The algorithms of a certification path (leaf first): each certificate's signature — its digest, and its scheme
 * with the issuer's key — for every certificate whose issuer is on the path and known. A trust anchor's own
 * signature is not relied on, so the last certificate is never judged.
 *
 * @example
 * ```ts
 * const uses = certificatePathUses(pathCertificates(report.chain, [signerCertificate, ...intermediates, ...anchors]))
 * ```
 */
export function certificatePathUses(path: readonly (Uint8Array | undefined)[]): AlgorithmUse[] {
  const uses: AlgorithmUse[] = []
  for (let index = 0; index + 1 < path.length; index++) {
    const certificate = path[index]
    const issuer = path[index + 1]
    if (certificate === undefined || issuer === undefined) continue
    let algorithm: CmsSignatureAlgorithm
    let by: string
    try {
      const outer = readBer(certificate, 0, certificate.length, 'certificate')
      const [, signatureAlgorithm] = berChildren(certificate, outer, 'certificate')
      algorithm = readSignatureAlgorithm(berAlgorithm(certificate, signatureAlgorithm, 'signatureAlgorithm'))
      by = `the certificate of ${describeCertificate(certificate).subject}`
    } catch {
      continue
    }
    const scheme = constrainedScheme(algorithm)
    if (scheme === undefined) {
      uses.push({ by, algorithm: { scheme: algorithm.oid } })
      continue
    }
    const hash = 'hash' in algorithm ? algorithm.hash : undefined
    if (hash !== undefined) uses.push({ by, algorithm: { digest: hash } })
    if (algorithm.scheme === 'RSASSA-PSS') uses.push({ by, algorithm: { digest: algorithm.mgf1Hash } })
    const strength = publicKeyStrength(issuer)
    uses.push({ by, algorithm: strength?.bits === undefined ? { scheme } : { scheme, keyBits: strength.bits } })
  }
  return uses
}

function algorithmName(algorithm: ConstrainedAlgorithm): string {
  if ('digest' in algorithm) return algorithm.digest
  if (algorithm.scheme === 'Ed25519' || algorithm.scheme === 'Ed448') return algorithm.scheme
  return algorithm.keyBits === undefined ? algorithm.scheme : `${algorithm.scheme} ${algorithm.keyBits} bits`
}
