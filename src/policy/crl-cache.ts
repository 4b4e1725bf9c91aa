import type { ParsedCrl } from './crl.js'

/**
 * CRLs fetched from distribution points, kept by URL until their nextUpdate, so that a batch of signatures by
 * the agents of one CA downloads its CRL once (French CA CRLs weigh up to a few MB).
 *
 * @example
 * ```ts
 * const crlCache = new CrlCache()
 * for (const cert of certificates) await checkCertificate(cert, { at, trustedLists, revocation: { crlCache } })
 * ```
 */
export class CrlCache {
  readonly #byUrl = new Map<string, ParsedCrl>()

  /** The CRL fetched from `url`, if it is still current at `at` (before its nextUpdate). */
  get(url: string, at: Date): ParsedCrl | undefined {
    const crl = this.#byUrl.get(url)
    if (crl === undefined) return undefined
    // A CRL without nextUpdate gives no date to keep it until: fetch again.
    if (crl.nextUpdate === undefined || at.getTime() >= crl.nextUpdate.getTime()) {
      this.#byUrl.delete(url)
      return undefined
    }
    return crl
  }

  /** Keeps a CRL fetched from `url`. */
  set(url: string, crl: ParsedCrl): void {
    this.#byUrl.set(url, crl)
  }

  /** Number of CRLs held. */
  get size(): number {
    return this.#byUrl.size
  }
}
