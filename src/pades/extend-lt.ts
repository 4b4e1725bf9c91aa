/**
 * PAdES B-LT (ETSI EN 319 142-1 §5.4): adds to a signed PDF, in a further incremental update, the certificates
 * and revocation data that validate its signatures, so that they can be verified later without the network.
 *
 * @packageDocumentation
 */

import { parseCms } from '../cms/parse.js'
import { SceauError } from '../errors.js'
import { ValidationDataGatherer, type ValidationData, type ValidationDataOptions } from '../policy/validation-data.js'
import { appendDss, type DssSignatureData } from './pdf/dss.js'
import { readPdf } from './pdf/read-pdf.js'
import { certificatesToValidate } from '../timestamp/signature-certificates.js'

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
    const cms = parseCms(field.contents)
    for (const { leaf, intermediates } of certificatesToValidate(cms, cms.signer)) await gatherer.collect(leaf, intermediates, data)
    vri.push({ signatureContents: field.contents, ...data })
  }
  const all = (kind: keyof ValidationData): Uint8Array[] => vri.flatMap((entry) => entry[kind])
  const { appended } = appendDss(pdf, { certificates: all('certificates'), crls: all('crls'), ocsps: all('ocsps'), vri })
  return { appended, missing: [...gatherer.missing] }
}
