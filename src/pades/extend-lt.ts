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
import { ValidationDataGatherer, type ValidationData, type ValidationDataOptions } from '../policy/validation-data.js'
import { appendDss, type DssSignatureData } from './pdf/dss.js'
import { readPdf, type PdfSignatureField } from './pdf/read-pdf.js'
import { readTimestampToken } from '../timestamp/rfc3161.js'

/** Options of {@link extendToLt}: where the chains and revocation data come from. */
export type ExtendToLtOptions = ValidationDataOptions

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
  const gatherer = new ValidationDataGatherer(options)
  const vri: DssSignatureData[] = []
  for (const field of doc.signatures) {
    const data: ValidationData = { certificates: [], crls: [], ocsps: [] }
    for (const { leaf, intermediates } of signingCertificates(pdf, field)) await gatherer.collect(leaf, intermediates, data)
    vri.push({ signatureContents: field.contents, ...data })
  }
  const all = (kind: keyof ValidationData): Uint8Array[] => vri.flatMap((entry) => entry[kind])
  const { appended } = appendDss(pdf, { certificates: all('certificates'), crls: all('crls'), ocsps: all('ocsps'), vri })
  return { appended, missing: [...gatherer.missing] }
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
