import { constants, verify, X509Certificate } from 'node:crypto'
import { ecdsaP1363ToDer } from '../signer/ecdsa.js'
import type { Signer } from '../signer/signer.js'
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

/** What {@link signWithEveryAlgorithm} found for one algorithm. */
export interface AlgorithmCheck {
  readonly algorithm: SignatureAlgorithm
  /** The signature verifies against the certificate. */
  readonly valid: boolean
  /** It still verifies after one byte of the data changed (it must not). */
  readonly validAfterTampering: boolean
  /** It fits in the signer's announced maximum length. */
  readonly withinMaxLength: boolean
}

/**
 * Signs `data` with every algorithm the signer offers and judges each signature with
 * {@link verifiesWithCertificate}, on the data and on the data with one byte changed.
 *
 * @example
 * ```ts
 * const bad = (await signWithEveryAlgorithm(signer, data)).filter((c) => !c.valid || c.validAfterTampering || !c.withinMaxLength)
 * expect(bad).toEqual([])
 * ```
 */
export async function signWithEveryAlgorithm(signer: Signer, data: Uint8Array): Promise<AlgorithmCheck[]> {
  const tampered = Uint8Array.from(data)
  tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0x01
  const checks: AlgorithmCheck[] = []
  for (const algorithm of signer.algorithms) {
    const signature = await signer.sign(data, algorithm)
    checks.push({
      algorithm,
      valid: verifiesWithCertificate(signer.certificate, algorithm, data, signature),
      validAfterTampering: verifiesWithCertificate(signer.certificate, algorithm, tampered, signature),
      withinMaxLength: signature.length <= signer.maxSignatureLength,
    })
  }
  return checks
}
