import { SceauError } from '../errors.js'
import type { Token, TokenKeyHandle } from '../pkcs11/token.js'
import { mechanismNumber, type RawSignMechanism } from '../pkcs11/mechanisms.js'
import { algorithmParts, algorithmsForKey, assertAlgorithmFits, maxSignatureLengthFor } from './algorithms.js'
import { digest, digestInfo, digestLength } from './digest-info.js'
import type { DigestAlgorithm, KeyDescription, SignatureAlgorithm, Signer, SignOptions } from './signer.js'

/** How a {@link Pkcs11Signer} is made. */
export interface Pkcs11SignerOptions {
  /** An open token, logged in. The signer does not close it. */
  readonly token: Token
  /** The key: a `pkcs11:` URI, a label, or an entry from `token.privateKeys()`. */
  readonly key: string | TokenKeyHandle
  /** DER of the issuers (nearest first), when the token does not hold them. Default: CA certificates found on the token. */
  readonly chain?: readonly Uint8Array[]
}

/**
 * A signer whose key stays on a PKCS#11 token. It hashes in Node and sends only the digest (in a DigestInfo
 * for RSA PKCS#1 v1.5, `CKM_RSA_PKCS`; `CKM_RSA_PKCS_PSS` and `CKM_ECDSA` on the bare digest), so a 200 MB
 * document never crosses the token interface. Concurrent `sign` calls run on the token's session pool.
 *
 * @example
 * ```ts
 * import { Token, pinFromEnv } from 'sceau/pkcs11'
 * import { Pkcs11Signer } from 'sceau/signer'
 * const token = await Token.open({ module: '/usr/lib/softhsm/libsofthsm2.so', token: 'Mairie' })
 * await token.login(pinFromEnv('SCEAU_PIN'))
 * const signer = await Pkcs11Signer.create({ token, key: 'pkcs11:object=Signature;type=private' })
 * const signature = await signer.sign(signedInfo, 'RSASSA-PKCS1-v1_5-SHA256')
 * ```
 */
export class Pkcs11Signer implements Signer {
  readonly certificate: Uint8Array
  readonly chain: readonly Uint8Array[]
  readonly key: KeyDescription
  readonly algorithms: readonly SignatureAlgorithm[]
  readonly maxSignatureLength: number
  /** URI of the private key. */
  readonly uri: string

  /** The token's session pool size: signatures in flight at once. */
  get parallelSignatures(): number {
    return this.#token.maxSessions
  }
  readonly #token: Token
  readonly #entry: TokenKeyHandle

  private constructor(
    token: Token,
    entry: TokenKeyHandle,
    key: KeyDescription,
    certificate: Uint8Array,
    chain: readonly Uint8Array[],
    algorithms: SignatureAlgorithm[],
  ) {
    this.#token = token
    this.#entry = entry
    this.uri = entry.uri
    this.key = key
    this.certificate = certificate
    this.chain = chain
    this.algorithms = algorithms
    this.maxSignatureLength = maxSignatureLengthFor(key)
  }

  /**
   * Finds the key and its certificate on the token. Throws `KEY_NOT_FOUND` when the key has no certificate
   * (a signature needs one) and `MECHANISM_INVALID` when the token offers no mechanism for the key.
   */
  static async create(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
    const { token } = options
    const entry = typeof options.key === 'string' ? await token.findPrivateKey(options.key) : options.key
    if (entry.key === undefined) {
      throw new SceauError('ALGORITHM_UNSUPPORTED', `key "${entry.label}" is neither RSA nor EC P-256/P-384/P-521`, {
        details: { key: entry.uri },
      })
    }
    if (entry.certificate === undefined) {
      throw new SceauError('KEY_NOT_FOUND', `key "${entry.label}" has no certificate on the token (no CKA_ID or public key match)`, {
        details: { key: entry.uri },
      })
    }
    const mechanisms = new Set(token.mechanisms())
    const algorithms = algorithmsForKey(entry.key).filter((algorithm) => mechanisms.has(mechanismNumberFor(algorithm)))
    if (algorithms.length === 0) {
      throw new SceauError(
        'MECHANISM_INVALID',
        `token "${token.info.label}" offers no raw signature mechanism for ${entry.key.type} keys (CKM_RSA_PKCS, CKM_RSA_PKCS_PSS or CKM_ECDSA)`,
        {
          details: { token: token.info.label, key: entry.uri },
        },
      )
    }
    const chain = options.chain ?? (await chainFromToken(token, entry.certificate))
    return new Pkcs11Signer(token, entry, entry.key, entry.certificate, chain, algorithms)
  }

  async sign(toBeSigned: Uint8Array, algorithm: SignatureAlgorithm, options: SignOptions = {}): Promise<Uint8Array> {
    const parts = assertAlgorithmFits(this.key, algorithm)
    if (!this.algorithms.includes(algorithm)) {
      throw new SceauError('MECHANISM_INVALID', `token "${this.#token.info.label}" cannot sign with ${algorithm}`, {
        details: { algorithm },
      })
    }
    return this.signDigest(digest(parts.hash, toBeSigned), algorithm, options)
  }

  /**
   * Signs a digest computed elsewhere (for callers that hash a document in a worker or stream).
   * Same result as {@link Pkcs11Signer.sign} on the bytes that were hashed.
   */
  async signDigest(digestValue: Uint8Array, algorithm: SignatureAlgorithm, options: SignOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted()
    const parts = assertAlgorithmFits(this.key, algorithm)
    if (digestValue.length !== digestLength(parts.hash)) {
      throw new SceauError('INPUT_MALFORMED', `a ${parts.hash} digest is ${digestLength(parts.hash)} bytes, got ${digestValue.length}`)
    }
    const mechanism = rawMechanism(parts.scheme, parts.hash)
    const data = parts.scheme === 'RSASSA-PKCS1-v1_5' ? digestInfo(parts.hash, digestValue) : digestValue
    const signature = await this.#token.signRaw(this.#entry, mechanism, data, this.maxSignatureLength)
    options.signal?.throwIfAborted()
    return signature
  }

  toJSON(): { type: 'Pkcs11Signer'; uri: string; key: KeyDescription } {
    return { type: 'Pkcs11Signer', uri: this.uri, key: this.key }
  }
}

function rawMechanism(scheme: 'RSASSA-PKCS1-v1_5' | 'RSASSA-PSS' | 'ECDSA', hash: DigestAlgorithm): RawSignMechanism {
  if (scheme === 'RSASSA-PKCS1-v1_5') return { kind: 'RSA_PKCS' }
  if (scheme === 'RSASSA-PSS') return { kind: 'RSA_PKCS_PSS', hash }
  return { kind: 'ECDSA' }
}

function mechanismNumberFor(algorithm: SignatureAlgorithm): number {
  const parts = algorithmParts(algorithm)
  return mechanismNumber(rawMechanism(parts.scheme, parts.hash))
}

/** Builds the chain from the CA certificates stored on the token, issuer by issuer. */
async function chainFromToken(token: Token, leaf: Uint8Array): Promise<Uint8Array[]> {
  const { X509Certificate } = await import('node:crypto')
  const candidates = (await token.certificates()).map((cert) => new X509Certificate(cert.der))
  const chain: Uint8Array[] = []
  let current = new X509Certificate(leaf)
  for (let depth = 0; depth < 10; depth++) {
    if (current.issuer === current.subject) break
    const issuer = candidates.find((cert) => cert.subject === current.issuer && current.checkIssued(cert) && cert.ca)
    if (issuer === undefined) break
    chain.push(new Uint8Array(issuer.raw))
    current = issuer
  }
  return chain
}
