import { constants, createPrivateKey, KeyObject, sign as nodeSign, X509Certificate, type webcrypto } from 'node:crypto'
import { SceauError } from '../errors.js'
import { algorithmsForKey, assertAlgorithmFits, maxSignatureLengthFor, nodeHashName } from './algorithms.js'
import { digestLength } from './digest-info.js'
import { describeKeyObject } from './key-description.js'
import type { KeyDescription, SignatureAlgorithm, Signer, SignOptions } from './signer.js'

/** How a {@link KeySigner} is made. */
export interface KeySignerOptions {
  /** The private key: a Node `KeyObject`, a WebCrypto `CryptoKey` (extractable or not), or PKCS#8 DER. */
  readonly key: KeyObject | webcrypto.CryptoKey | Uint8Array
  /** DER of the certificate of that key. */
  readonly certificate: Uint8Array
  /** DER of the issuers, nearest first. */
  readonly chain?: readonly Uint8Array[]
}

/**
 * A signer over a key held in memory: software keys (the PKCS#12 signer builds on it) and tests.
 *
 * @example
 * ```ts
 * import { KeySigner } from 'sceau/signer'
 * const signer = KeySigner.create({ key: pkcs8Der, certificate: certDer })
 * const signature = await signer.sign(data, 'RSASSA-PKCS1-v1_5-SHA256')
 * ```
 */
export class KeySigner implements Signer {
  readonly certificate: Uint8Array
  readonly chain: readonly Uint8Array[]
  readonly key: KeyDescription
  readonly algorithms: readonly SignatureAlgorithm[]
  readonly maxSignatureLength: number
  // Private so that console.log(signer) or JSON.stringify(signer) never shows the key.
  readonly #key: KeyObject

  private constructor(key: KeyObject, certificate: Uint8Array, chain: readonly Uint8Array[]) {
    this.#key = key
    this.certificate = certificate
    this.chain = chain
    this.key = describeKeyObject(key)
    this.algorithms = algorithmsForKey(this.key)
    this.maxSignatureLength = maxSignatureLengthFor(this.key)
    assertKeyMatchesCertificate(key, certificate)
  }

  /** Builds a signer; throws `CERTIFICATE_MALFORMED` when the certificate is not the key's. */
  static create(options: KeySignerOptions): KeySigner {
    return new KeySigner(toKeyObject(options.key), options.certificate, options.chain ?? [])
  }

  /** Alias of {@link KeySigner.create} for PKCS#8 DER keys. */
  static fromPkcs8(options: { key: Uint8Array; certificate: Uint8Array; chain?: readonly Uint8Array[] }): KeySigner {
    return KeySigner.create(options)
  }

  async sign(toBeSigned: Uint8Array, algorithm: SignatureAlgorithm, options: SignOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted()
    const parts = assertAlgorithmFits(this.key, algorithm)
    const hash = nodeHashName(parts.hash)
    const key =
      parts.scheme === 'ECDSA'
        ? { key: this.#key, dsaEncoding: 'ieee-p1363' as const }
        : parts.scheme === 'RSASSA-PSS'
          ? // Salt as long as the hash: the length XAdES/CMS verifiers assume when parameters say so (RFC 4055).
            { key: this.#key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength(parts.hash) }
          : { key: this.#key, padding: constants.RSA_PKCS1_PADDING }
    // The callback form signs on libuv's thread pool: a batch keeps its event loop (reading, hashing, writing the
    // other files) turning while the private-key operation runs, and a second core can take it.
    return new Promise((resolve, reject) => {
      nodeSign(hash, toBeSigned, key, (err, signature) => (err ? reject(err) : resolve(new Uint8Array(signature))))
    })
  }

  toJSON(): { type: 'KeySigner'; key: KeyDescription } {
    return { type: 'KeySigner', key: this.key }
  }
}

function toKeyObject(key: KeyObject | webcrypto.CryptoKey | Uint8Array): KeyObject {
  if (key instanceof KeyObject) return key
  if (key instanceof Uint8Array) {
    try {
      return createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' })
    } catch (cause) {
      throw new SceauError('INPUT_MALFORMED', 'the private key is not PKCS#8 DER', { cause })
    }
  }
  return KeyObject.from(key)
}

function assertKeyMatchesCertificate(key: KeyObject, certificate: Uint8Array): void {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certificate)
  } catch (cause) {
    throw new SceauError('CERTIFICATE_MALFORMED', 'the signer certificate is not a DER X.509 certificate', { cause })
  }
  if (!cert.checkPrivateKey(key)) {
    throw new SceauError('CERTIFICATE_MALFORMED', `the certificate "${cert.subject.replace(/\n/g, ', ')}" is not the key's`)
  }
}
