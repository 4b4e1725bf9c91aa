/**
 * SubjectPublicKeyInfo of a certificate, and comparing public keys: how a token's key is paired with its
 * certificate when their CKA_IDs disagree.
 *
 * @packageDocumentation
 */

import { AsnConvert } from '@peculiar/asn1-schema'
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509'
import { SceauError } from '../errors.js'
import { certificateSpki } from './der.js'

/**
 * The SubjectPublicKeyInfo of a certificate, as the bytes appear in it (not re-encoded).
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `certDer` is not a DER X.509 certificate.
 *
 * @example
 * ```ts
 * const spki = spkiOf(signer.certificate)
 * const publicKey = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
 * ```
 */
export function spkiOf(certDer: Uint8Array): Uint8Array {
  const spki = certificateSpki(certDer)
  if (spki === undefined)
    throw new SceauError('CERTIFICATE_MALFORMED', 'not a DER X.509 certificate: its SubjectPublicKeyInfo cannot be found')
  return certDer.slice(spki.start, spki.end)
}

// rsaEncryption and RSASSA-PSS name the same kind of key: a certificate may restrict the key to PSS while the
// token describes the same modulus and exponent as a plain RSA key.
const RSA_ALGORITHMS = new Set(['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.10'])

interface KeyIdentity {
  readonly family: string
  readonly key: Buffer
}

function identity(spki: Uint8Array, which: string): KeyIdentity {
  let parsed: SubjectPublicKeyInfo
  try {
    parsed = AsnConvert.parse(spki, SubjectPublicKeyInfo)
  } catch (err) {
    throw new SceauError('INPUT_MALFORMED', `the ${which} public key is not a DER SubjectPublicKeyInfo`, { cause: err })
  }
  const { algorithm, parameters } = parsed.algorithm
  // Absent parameters and an explicit NULL are two encodings of "no parameters" seen for RSA keys.
  const params =
    parameters === null || parameters === undefined || parameters.byteLength === 0 || isNull(parameters)
      ? ''
      : Buffer.from(parameters).toString('hex')
  const family = RSA_ALGORITHMS.has(algorithm) ? 'rsa' : `${algorithm}/${params}`
  return { family, key: Buffer.from(parsed.subjectPublicKey) }
}

function isNull(parameters: ArrayBuffer): boolean {
  const bytes = new Uint8Array(parameters)
  return bytes.length === 2 && bytes[0] === 0x05 && bytes[1] === 0x00
}

/**
 * True when two SubjectPublicKeyInfo DER values hold the same public key. Byte-different encodings of the same
 * key still match: RSA keys under rsaEncryption or RSASSA-PSS, parameters absent or NULL. EC keys match on
 * curve parameters and point bytes as written (a compressed and an uncompressed point do not match).
 *
 * @throws SceauError `INPUT_MALFORMED` when either value is not a SubjectPublicKeyInfo.
 *
 * @example
 * ```ts
 * const certificate = certificates.find((cert) => spkiEquals(spkiOf(cert.der), tokenKeySpki))
 * ```
 */
export function spkiEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return true
  const left = identity(a, 'first')
  const right = identity(b, 'second')
  return left.family === right.family && left.key.equals(right.key)
}
