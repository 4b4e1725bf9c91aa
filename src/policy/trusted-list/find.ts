/**
 * Finds the trust services that issued a certificate.
 *
 * @packageDocumentation
 */

import { X509Certificate } from 'node:crypto'
import { SceauError } from '../../errors.js'
import type { TrustedList, TrustService, TrustServiceProvider } from './types.js'

/** A service of a trusted list together with its provider. */
export interface ServiceMatch {
  readonly provider: TrustServiceProvider
  readonly service: TrustService
}

// Parsing the same service certificate again for every lookup would dominate the cost on a 1000-cert TL.
const parsed = new WeakMap<Uint8Array, X509Certificate | null>()

function load(der: Uint8Array): X509Certificate | null {
  let cert = parsed.get(der)
  if (cert === undefined) {
    try {
      cert = new X509Certificate(der)
    } catch {
      cert = null
    }
    parsed.set(der, cert)
  }
  return cert
}

/**
 * The services whose digital identity issued `certDer`: a service certificate (current or in the history)
 * whose subject is the certificate's issuer and whose public key verifies the certificate's signature. A name
 * match alone is not enough, since CAs reuse names across key rollovers.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `certDer` is not a certificate.
 *
 * @example
 * ```ts
 * for (const { provider, service } of findServicesForCertificate(tl, signer.certificate)) {
 *   console.log(provider.name, service.name, service.status)
 * }
 * ```
 */
export function findServicesForCertificate(tl: TrustedList, certDer: Uint8Array): ServiceMatch[] {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certDer)
  } catch (err) {
    throw new SceauError('CERTIFICATE_MALFORMED', 'the bytes are not a DER X.509 certificate', { cause: err })
  }
  const matches: ServiceMatch[] = []
  for (const provider of tl.providers) {
    for (const service of provider.services) {
      const identities = [service, ...service.history].flatMap((entry) => entry.digitalIdentity.certificates)
      const issued = identities.some((der) => {
        const issuer = load(der)
        return issuer !== null && cert.checkIssued(issuer) && cert.verify(issuer.publicKey)
      })
      if (issued) matches.push({ provider, service })
    }
  }
  return matches
}
