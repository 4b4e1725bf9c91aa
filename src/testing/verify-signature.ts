import { constants, verify, X509Certificate } from 'node:crypto'
import { ecdsaP1363ToDer } from '../signer/ecdsa.js'
import type { SignatureAlgorithm } from '../types.js'

/**
 * Checks a signature from the certificate alone with Node's OpenSSL, so tests and the demo judge the signers
 * with code they did not write. ECDSA signatures are expected in the P1363 form every signer returns.
 *
 * @example
 * ```ts
 * expect(verifiesWithCertificate(signer.certificate, 'ECDSA-SHA256', data, await signer.sign(data, 'ECDSA-SHA256'))).toBe(true)
 * ```
 */
export function verifiesWithCertificate(
  certificate: Uint8Array,
  algorithm: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = new X509Certificate(certificate).publicKey
  const bits = Number(algorithm.slice(-3))
  const hash = `sha${bits}`
  if (algorithm.startsWith('ECDSA')) return verify(hash, data, key, ecdsaP1363ToDer(signature))
  if (algorithm.startsWith('RSASSA-PSS')) {
    return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }, signature)
  }
  return verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
}
