import { open } from 'node:fs/promises'
import { SceauError } from '../errors.js'
import { KeySigner } from './key-signer.js'
import { PKCS12_MAX_INPUT_BYTES, readPkcs12, type Pkcs12Contents } from './pkcs12.js'
import type { KeyDescription, SignatureAlgorithm, Signer, SignOptions } from './signer.js'

/** How a {@link Pkcs12Signer} is opened: the file's bytes or its path, and its password. */
export interface Pkcs12SignerOptions {
  /** The file's contents. When both are given, `bytes` is read and `file` only names it in messages. */
  readonly bytes?: Uint8Array
  /** Path of the .p12/.pfx file. */
  readonly file?: string
  /** The file's password; used to open the file, then dropped. */
  readonly password: string
  /** Take the key with this friendlyName, when the file holds several. */
  readonly friendlyName?: string
  /** Take the key at this position (0-based) among the file's keys, when it holds several. */
  readonly index?: number
  /** Highest iteration count accepted for one key derivation (see {@link readPkcs12}). */
  readonly maxIterations?: number
}

/**
 * A signer over the key of a PKCS#12 file.
 *
 * The file is read and decrypted once, in {@link Pkcs12Signer.open}; the password is not kept. Signing is done
 * in memory by a {@link KeySigner}, held in a private field so that `console.log(signer)` and
 * `JSON.stringify(signer)` show the certificate side only.
 *
 * @example
 * ```ts
 * import { Pkcs12Signer } from 'sceau/signer'
 * const signer = await Pkcs12Signer.open({ file: 'cachet-mairie.p12', password: process.env.P12_PASSWORD ?? '' })
 * const signature = await signer.sign(signedInfo, signer.algorithms[0])
 * ```
 */
export class Pkcs12Signer implements Signer {
  readonly certificate: Uint8Array
  readonly chain: readonly Uint8Array[]
  readonly key: KeyDescription
  readonly algorithms: readonly SignatureAlgorithm[]
  readonly maxSignatureLength: number
  /** The friendlyName of the key in the file, if it has one. */
  readonly friendlyName: string | undefined
  /** How the file's integrity was checked; `'none'` means the file had no MAC. */
  readonly integrity: Pkcs12Contents['integrity']
  readonly #signer: KeySigner

  private constructor(signer: KeySigner, contents: Pkcs12Contents) {
    this.#signer = signer
    this.certificate = signer.certificate
    this.chain = signer.chain
    this.key = signer.key
    this.algorithms = signer.algorithms
    this.maxSignatureLength = signer.maxSignatureLength
    this.friendlyName = contents.friendlyName
    this.integrity = contents.integrity
  }

  /**
   * Reads, checks and decrypts a PKCS#12 file and returns a signer over its key.
   *
   * @throws SceauError `FILE_NOT_FOUND`, `INPUT_TOO_LARGE`, `PKCS12_BAD_PASSWORD`, `PKCS12_MALFORMED`,
   * `PKCS12_UNSUPPORTED`, `KEY_NOT_FOUND` (see {@link readPkcs12}), `ALGORITHM_UNSUPPORTED` for a key that is
   * neither RSA nor EC P-256/P-384/P-521, `USAGE` when neither `bytes` nor `file` is given
   * @example
   * ```ts
   * const signer = await Pkcs12Signer.open({ bytes: p12Bytes, password: 'secret' })
   * console.log(signer.key, signer.algorithms)
   * ```
   */
  static async open(options: Pkcs12SignerOptions): Promise<Pkcs12Signer> {
    const { file, password } = options
    const bytes = options.bytes ?? (file === undefined ? undefined : await readPkcs12File(file))
    if (bytes === undefined) throw new SceauError('USAGE', 'Pkcs12Signer.open needs the bytes or the file of a PKCS#12')
    const { friendlyName, index, maxIterations } = options
    const contents = await readPkcs12(bytes, password, { file, friendlyName, index, maxIterations })
    let signer: KeySigner
    try {
      signer = KeySigner.fromPkcs8({ key: contents.privateKey, certificate: contents.certificate, chain: contents.chain })
    } catch (err) {
      if (err instanceof SceauError && file !== undefined) {
        throw new SceauError(err.code, `PKCS#12 file "${file}": ${err.message}`, { cause: err.cause, details: { ...err.details, file } })
      }
      throw err
    } finally {
      // KeySigner holds its own KeyObject; the DER copy is no longer needed.
      contents.privateKey.fill(0)
    }
    return new Pkcs12Signer(signer, contents)
  }

  async sign(toBeSigned: Uint8Array, algorithm: SignatureAlgorithm, options: SignOptions = {}): Promise<Uint8Array> {
    return this.#signer.sign(toBeSigned, algorithm, options)
  }

  /** What `JSON.stringify` prints: the key's description, never the key. */
  toJSON(): { type: 'Pkcs12Signer'; key: KeyDescription; friendlyName?: string } {
    return { type: 'Pkcs12Signer', key: this.key, ...(this.friendlyName === undefined ? {} : { friendlyName: this.friendlyName }) }
  }
}

async function readPkcs12File(file: string): Promise<Uint8Array> {
  try {
    // Read at most one byte past the limit, rather than trusting stat(): a FIFO or /dev/zero has no size.
    const handle = await open(file, 'r')
    try {
      const buffer = Buffer.alloc(PKCS12_MAX_INPUT_BYTES + 1)
      let length = 0
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
        if (bytesRead === 0) break
        length += bytesRead
      }
      if (length > PKCS12_MAX_INPUT_BYTES) {
        throw new SceauError('INPUT_TOO_LARGE', `PKCS#12 file "${file}" is over ${PKCS12_MAX_INPUT_BYTES} bytes; such files are refused`, {
          details: { file, limit: PKCS12_MAX_INPUT_BYTES },
        })
      }
      return new Uint8Array(buffer.subarray(0, length))
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (err instanceof SceauError) throw err
    const errno = (err as NodeJS.ErrnoException).code
    const reason =
      errno === 'ENOENT' ? 'does not exist' : errno === 'EISDIR' ? 'is a directory' : `cannot be read (${errno ?? 'unknown error'})`
    throw new SceauError('FILE_NOT_FOUND', `PKCS#12 file "${file}" ${reason}`, { cause: err, details: { file, errno } })
  }
}
