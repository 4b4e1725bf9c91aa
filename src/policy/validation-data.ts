// The validation data of a signature (B-LT in CAdES, PAdES, XAdES): for a certificate, its path up to an anchor
// and, for each certificate below the anchor, a CRL (given, else fetched) or an OCSP response that concludes on it.

import { buildChain } from './chain.js'
import type { RevocationOptions } from './check-certificate.js'
import { checkCrl, MAX_CRL_BYTES, parseCrl, type ParsedCrl } from './crl.js'
import { getBytes } from './http-fetch.js'
import { checkOcsp } from './ocsp.js'
import { describeCertificate } from '../x509/describe.js'

/** Where {@link ValidationDataGatherer} looks for chains and revocation data. */
export interface ValidationDataOptions extends Pick<RevocationOptions, 'getCrl' | 'postOcsp' | 'ocspCache' | 'crlCache'> {
  /** Trust anchors, DER: the chains are built up to them, and they are stored too. */
  readonly trustedCertificates?: readonly Uint8Array[]
  /** Other CA certificates, DER, to build the chains with. */
  readonly intermediates?: readonly Uint8Array[]
  /** CRLs at hand (DER or PEM); used first. */
  readonly crls?: readonly Uint8Array[]
  /** Fetch the CRLs named by the certificates' distribution points when none at hand covers them. Default true. */
  readonly fetch?: boolean
  /** Ask the OCSP responders named by the certificates when no CRL covers them. Default false. */
  readonly ocsp?: boolean
  /** The date the revocation data must be current at; default now. */
  readonly at?: Date
}

/** Validation data gathered: certificates, CRLs and OCSP responses, DER, without repeats. */
export interface ValidationData {
  certificates: Uint8Array[]
  crls: Uint8Array[]
  ocsps: Uint8Array[]
}

/**
 * Gathers validation data certificate by certificate, looking each one up once however many signatures share it.
 *
 * @example
 * ```ts
 * const gatherer = new ValidationDataGatherer({ trustedCertificates: [rootDer] })
 * const data = { certificates: [], crls: [], ocsps: [] }
 * await gatherer.collect(signerCertificate, cmsCertificates, data)
 * if (gatherer.missing.size > 0) console.warn([...gatherer.missing])
 * ```
 */
export class ValidationDataGatherer {
  /** Certificates (subject, and why) for which no revocation data was found. */
  readonly missing = new Set<string>()
  // Per certificate (by DER), so that a CA shared by several signatures is looked up once.
  readonly #revocation = new Map<string, { crls: Uint8Array[]; ocsps: Uint8Array[] }>()
  private readonly at: Date
  private readonly given: ParsedCrl[]

  constructor(private readonly options: ValidationDataOptions = {}) {
    this.at = options.at ?? new Date()
    this.given = (options.crls ?? []).map((crl) => parseCrl(crl))
  }

  /** Adds to `into` the chain of `leaf` (built with `intermediates` and the options') and its revocation data. */
  async collect(leaf: Uint8Array, intermediates: readonly Uint8Array[], into: ValidationData): Promise<void> {
    const chain = buildChain(leaf, {
      anchors: this.options.trustedCertificates ?? [],
      intermediates: [...intermediates, ...(this.options.intermediates ?? [])],
      at: this.at,
    })
    const ders = chain.chain.map((element) => element.der)
    addUnique(into.certificates, ders)
    // Every certificate below the last one has its issuer in the path; the last is the anchor, or where the path
    // broke off, and has no issuer to ask.
    for (let i = 0; i + 1 < ders.length; i++) {
      const certificate = ders[i]
      const issuer = ders[i + 1]
      if (certificate === undefined || issuer === undefined) continue
      const found = await this.revocationOf(certificate, issuer)
      addUnique(into.crls, found.crls)
      addUnique(into.ocsps, found.ocsps)
    }
  }

  private async revocationOf(certificate: Uint8Array, issuer: Uint8Array): Promise<{ crls: Uint8Array[]; ocsps: Uint8Array[] }> {
    const key = Buffer.from(certificate).toString('base64')
    const known = this.#revocation.get(key)
    if (known) return known
    const found = { crls: [] as Uint8Array[], ocsps: [] as Uint8Array[] }
    this.#revocation.set(key, found)
    const concludes = (crl: ParsedCrl): boolean => checkCrl(certificate, issuer, [crl], { at: this.at }).status !== 'indeterminate'
    found.crls.push(...this.given.filter(concludes).map((crl) => crl.der))
    if (found.crls.length > 0) return found

    const info = describeCertificate(certificate)
    const problems: string[] = []
    if (this.options.fetch !== false) {
      for (const url of info.crlDistributionPoints.filter((u) => /^https?:/i.test(u))) {
        try {
          const cached = this.options.crlCache?.get(url, this.at)
          const crl =
            cached ??
            parseCrl(
              this.options.getCrl ? await this.options.getCrl(url) : await getBytes(url, { timeoutMs: 10_000, maxBytes: MAX_CRL_BYTES }),
            )
          if (cached === undefined) this.options.crlCache?.set(url, crl)
          if (concludes(crl)) {
            found.crls.push(crl.der)
            return found
          }
          problems.push(`the CRL of ${url} does not cover it`)
        } catch (err) {
          // An unreachable distribution point is not fatal: the next one or OCSP may answer, else `missing` says why.
          problems.push(`${url}: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
    }
    if (this.options.ocsp && info.ocspUrls.length > 0) {
      const ocsp = await checkOcsp(certificate, issuer, { at: this.at, fetch: this.options.postOcsp, cache: this.options.ocspCache })
      if (ocsp.status !== 'indeterminate' && ocsp.response) {
        found.ocsps.push(ocsp.response)
        return found
      }
      problems.push(`OCSP: ${ocsp.reason}`)
    }
    this.missing.add(problems.length > 0 ? `${info.subject} (${problems.join('; ')})` : info.subject)
    return found
  }
}

/** Appends the items `list` does not hold yet. */
export function addUnique(list: Uint8Array[], items: readonly Uint8Array[]): void {
  for (const item of items) if (!list.some((other) => Buffer.compare(other, item) === 0)) list.push(item)
}
