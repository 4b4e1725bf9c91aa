/**
 * PAdES B-LT (ETSI EN 319 142-1 §5.4): adds to a signed PDF, in a further incremental update, the certificates
 * and revocation data that validate its signatures, so that they can be verified later without the network.
 *
 * @packageDocumentation
 */

import { CMS_OIDS } from '../cms/oids.js'
import { parseCms } from '../cms/parse.js'
import { verifyCms } from '../cms/verify.js'
import { SceauError } from '../errors.js'
import { buildChain } from '../policy/chain.js'
import type { RevocationOptions } from '../policy/check-certificate.js'
import { checkCrl, MAX_CRL_BYTES, parseCrl, type ParsedCrl } from '../policy/crl.js'
import { getBytes } from '../policy/http-fetch.js'
import { checkOcsp } from '../policy/ocsp.js'
import { describeCertificate } from '../x509/describe.js'
import { appendDss, type DssSignatureData } from './pdf/dss.js'
import { readPdf, type PdfSignatureField } from './pdf/read-pdf.js'
import { readTimestampToken } from '../timestamp/rfc3161.js'

/** Options of {@link extendToLt}. */
export interface ExtendToLtOptions extends Pick<RevocationOptions, 'getCrl' | 'postOcsp' | 'ocspCache' | 'crlCache'> {
  /** Trust anchors, DER: the chains are built up to them, and they are stored too. */
  readonly trustedCertificates?: readonly Uint8Array[]
  /** Other CA certificates, DER, to build the chains with (the signatures' own certificates are always used). */
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

/** What {@link extendToLt} added. */
export interface ExtendToLtResult {
  /** The new revision, to write after the original bytes. */
  readonly appended: Uint8Array
  /** Certificates (subject, and why) for which no revocation data was found: their signatures are not LT until it is. */
  readonly missing: readonly string[]
}

/**
 * Extends every signature of a PDF to PAdES B-LT: for the signer certificate and the time-stamping authority's,
 * builds the chain, gathers a CRL (given, else fetched) or an OCSP response for each certificate below the anchor,
 * and stores them in the Document Security Store with one /VRI entry per signature.
 *
 * @throws SceauError `USAGE` when the PDF has no signature; `PDF_ENCRYPTED`, `INPUT_MALFORMED` from the PDF layer.
 *
 * @example
 * ```ts
 * const { appended, missing } = await extendToLt(signed, { trustedCertificates: [rootDer] })
 * if (missing.length === 0) await writeFile('signed-lt.pdf', Buffer.concat([signed, appended]))
 * ```
 */
export async function extendToLt(pdf: Uint8Array, options: ExtendToLtOptions = {}): Promise<ExtendToLtResult> {
  const doc = readPdf(pdf)
  if (doc.signatures.length === 0) throw new SceauError('USAGE', 'the PDF has no signature to extend')
  const at = options.at ?? new Date()
  const given = (options.crls ?? []).map((crl) => parseCrl(crl))
  const gatherer = new Gatherer(at, given, options)
  const vri: DssSignatureData[] = []
  for (const field of doc.signatures) {
    const data: MutableData = { certificates: [], crls: [], ocsps: [] }
    for (const { leaf, intermediates } of signingCertificates(pdf, field)) await gatherer.collect(leaf, intermediates, data)
    vri.push({ signatureContents: field.contents, ...data })
  }
  const all = (kind: keyof MutableData): Uint8Array[] => vri.flatMap((entry) => entry[kind])
  const { appended } = appendDss(pdf, { certificates: all('certificates'), crls: all('crls'), ocsps: all('ocsps'), vri })
  return { appended, missing: [...gatherer.missing] }
}

interface MutableData {
  certificates: Uint8Array[]
  crls: Uint8Array[]
  ocsps: Uint8Array[]
}

/** The signer certificate of a signature and that of its time-stamp token, each with the certificates beside it. */
function signingCertificates(pdf: Uint8Array, field: PdfSignatureField): { leaf: Uint8Array; intermediates: readonly Uint8Array[] }[] {
  const [a = 0, b = 0, c = 0, d = 0] = field.byteRange
  const content = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)])
  // verifyCms finds the certificate the SignerInfo names; its verdict on the signature is verifyPdf's business.
  const { signerCertificate, cms } = verifyCms(field.contents, { content })
  const out: { leaf: Uint8Array; intermediates: readonly Uint8Array[] }[] = []
  if (signerCertificate) out.push({ leaf: signerCertificate, intermediates: cms.certificates })
  const token = cms.signer.unsignedAttributes.find((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken)?.values[0]
  if (token !== undefined) {
    const tsa = readTimestampToken(token).tsaCertificate
    if (tsa) out.push({ leaf: tsa, intermediates: parseCms(token).certificates })
  }
  return out
}

class Gatherer {
  readonly missing = new Set<string>()
  // Per certificate (by DER), so that a CA shared by several signatures is looked up once.
  readonly #revocation = new Map<string, { crls: Uint8Array[]; ocsps: Uint8Array[] }>()

  constructor(
    private readonly at: Date,
    private readonly given: ParsedCrl[],
    private readonly options: ExtendToLtOptions,
  ) {}

  async collect(leaf: Uint8Array, intermediates: readonly Uint8Array[], into: MutableData): Promise<void> {
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

function addUnique(list: Uint8Array[], items: readonly Uint8Array[]): void {
  for (const item of items) if (!list.some((other) => Buffer.compare(other, item) === 0)) list.push(item)
}
