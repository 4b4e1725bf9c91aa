// The digest algorithms sceau can compute when it reads a signature: every one a CMS SignerInfo, an ESS certHash
// or an RFC 3161 message imprint may name and Node's OpenSSL provides. Signing uses only SHA-256/384/512
// (src/types.ts); whether an older or weaker one is still acceptable is for src/validation/crypto-constraints.ts
// to say, with dates, not for the reader to refuse.

import { createHash, type Hash } from 'node:crypto'

/** A digest algorithm sceau computes when verifying. */
export type CmsDigestAlgorithm =
  | 'MD5'
  | 'SHA-1'
  | 'RIPEMD-160'
  | 'SHA-224'
  | 'SHA-256'
  | 'SHA-384'
  | 'SHA-512'
  | 'SHA-512/224'
  | 'SHA-512/256'
  | 'SHA3-224'
  | 'SHA3-256'
  | 'SHA3-384'
  | 'SHA3-512'
  | 'SHAKE128'
  | 'SHAKE256'

interface DigestEntry {
  readonly oid: string
  /** Node's (OpenSSL's) name. */
  readonly node: string
  /** Output length in bytes. */
  readonly length: number
}

// OIDs: RFC 1321/3279 (MD5, SHA-1), RFC 5754 and NIST CSOR (SHA-2, SHA-3), RFC 8702 (SHAKE), TeleTrusT (RIPEMD-160).
const DIGESTS: Readonly<Record<CmsDigestAlgorithm, DigestEntry>> = {
  MD5: { oid: '1.2.840.113549.2.5', node: 'md5', length: 16 },
  'SHA-1': { oid: '1.3.14.3.2.26', node: 'sha1', length: 20 },
  'RIPEMD-160': { oid: '1.3.36.3.2.1', node: 'ripemd160', length: 20 },
  'SHA-224': { oid: '2.16.840.1.101.3.4.2.4', node: 'sha224', length: 28 },
  'SHA-256': { oid: '2.16.840.1.101.3.4.2.1', node: 'sha256', length: 32 },
  'SHA-384': { oid: '2.16.840.1.101.3.4.2.2', node: 'sha384', length: 48 },
  'SHA-512': { oid: '2.16.840.1.101.3.4.2.3', node: 'sha512', length: 64 },
  'SHA-512/224': { oid: '2.16.840.1.101.3.4.2.5', node: 'sha512-224', length: 28 },
  'SHA-512/256': { oid: '2.16.840.1.101.3.4.2.6', node: 'sha512-256', length: 32 },
  'SHA3-224': { oid: '2.16.840.1.101.3.4.2.7', node: 'sha3-224', length: 28 },
  'SHA3-256': { oid: '2.16.840.1.101.3.4.2.8', node: 'sha3-256', length: 32 },
  'SHA3-384': { oid: '2.16.840.1.101.3.4.2.9', node: 'sha3-384', length: 48 },
  'SHA3-512': { oid: '2.16.840.1.101.3.4.2.10', node: 'sha3-512', length: 64 },
  // RFC 8702 §2: as a CMS digest algorithm, id-shake128 gives 256 bits and id-shake256 512 bits (the latter is
  // what RFC 8419 §3 has Ed448 use).
  SHAKE128: { oid: '2.16.840.1.101.3.4.2.11', node: 'shake128', length: 32 },
  SHAKE256: { oid: '2.16.840.1.101.3.4.2.12', node: 'shake256', length: 64 },
}

/** id-shake128-len and id-shake256-len (RFC 8419 §2.3): SHAKE with its output length in bits as parameter. */
const SHAKE_LEN_OIDS: Readonly<Record<string, CmsDigestAlgorithm>> = {
  '2.16.840.1.101.3.4.2.17': 'SHAKE128',
  '2.16.840.1.101.3.4.2.18': 'SHAKE256',
}

const BY_OID = new Map(Object.entries(DIGESTS).map(([name, entry]) => [entry.oid, name as CmsDigestAlgorithm]))

/**
 * The digest algorithm an AlgorithmIdentifier names, or undefined when sceau does not compute it. `parameters` is
 * the DER of the parameters when present: only the SHAKE `-len` identifiers have meaningful ones (an INTEGER
 * number of bits, which must be the length sceau computes).
 *
 * @example
 * ```ts
 * cmsDigestFromOid('1.3.14.3.2.26') // 'SHA-1'
 * ```
 */
export function cmsDigestFromOid(oid: string, parameters?: Uint8Array): CmsDigestAlgorithm | undefined {
  const plain = BY_OID.get(oid)
  if (plain !== undefined) return plain
  const shake = SHAKE_LEN_OIDS[oid]
  if (shake === undefined || parameters === undefined) return undefined
  const bits = smallIntegerOf(parameters)
  return bits === DIGESTS[shake].length * 8 ? shake : undefined
}

/** The OID of a digest algorithm. */
export function cmsDigestOid(hash: CmsDigestAlgorithm): string {
  return DIGESTS[hash].oid
}

/** Output length of a digest algorithm, in bytes. */
export function cmsDigestLength(hash: CmsDigestAlgorithm): number {
  return DIGESTS[hash].length
}

/** True for a name of {@link CmsDigestAlgorithm}. */
export function isCmsDigestAlgorithm(name: string): name is CmsDigestAlgorithm {
  return Object.prototype.hasOwnProperty.call(DIGESTS, name)
}

/**
 * A Node hash object for `hash`, to feed chunk by chunk.
 *
 * @example
 * ```ts
 * const hash = createDigest('SHA3-256')
 * for await (const chunk of createReadStream(path)) hash.update(chunk)
 * const value = new Uint8Array(hash.digest())
 * ```
 */
export function createDigest(hash: CmsDigestAlgorithm): Hash {
  const { node, length } = DIGESTS[hash]
  return node.startsWith('shake') ? createHash(node, { outputLength: length }) : createHash(node)
}

/** Node's (OpenSSL's) name of a digest algorithm, for `crypto.verify`. */
export function nodeDigestName(hash: CmsDigestAlgorithm): string {
  return DIGESTS[hash].node
}

/** The digest of `data`. */
export function cmsDigest(hash: CmsDigestAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createDigest(hash).update(data).digest())
}

/**
 * The DER DigestInfo an RSASSA-PKCS1-v1_5 signature carries for a digest, in the two forms RFC 8017 appendix A.2.4
 * tells verifiers to accept: the parameters NULL (what §9.2 note 1 lists) and absent.
 */
export function digestInfoEncodings(hash: CmsDigestAlgorithm, value: Uint8Array): Uint8Array[] {
  const oid = encodeOid(DIGESTS[hash].oid)
  const build = (parameters: number[]): Uint8Array => {
    const algorithm = [0x30, oid.length + parameters.length, ...oid, ...parameters]
    const octets = [0x04, value.length, ...value]
    const body = [...algorithm, ...octets]
    return new Uint8Array([0x30, body.length, ...body])
  }
  return [build([0x05, 0x00]), build([])]
}

function encodeOid(dotted: string): number[] {
  const arcs = dotted.split('.').map(Number)
  const out: number[] = []
  const push = (arc: number): void => {
    const bytes = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) bytes.unshift((rest & 0x7f) | 0x80)
    out.push(...bytes)
  }
  push((arcs[0] ?? 0) * 40 + (arcs[1] ?? 0))
  for (const arc of arcs.slice(2)) push(arc)
  return [0x06, out.length, ...out]
}

/** A small non-negative DER INTEGER's value, or undefined. */
function smallIntegerOf(der: Uint8Array): number | undefined {
  if (der[0] !== 0x02 || der[1] === undefined || der[1] > 4 || der.length !== 2 + der[1]) return undefined
  let value = 0
  for (const byte of der.subarray(2)) value = value * 256 + byte
  return value
}
