/**
 * PAdES baseline B-B signatures on PDFs, by incremental update: the original bytes stay as they are.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'
import { signCms } from '../cms/sign.js'
import { SceauError } from '../errors.js'
import { algorithmParts } from '../signer/algorithms.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import { describeCertificate } from '../x509/describe.js'
import { prepareSignature } from './pdf/prepare-signature.js'

/** Options of {@link signPdf}. */
export interface SignPdfOptions {
  /** /Reason, e.g. "Délibération n° 2026-042". */
  readonly reason?: string
  /** /Location, e.g. the city. */
  readonly location?: string
  /** /ContactInfo. */
  readonly contactInfo?: string
  /** /Name; default the signer certificate's common name. */
  readonly name?: string
  /** /M; default now. PAdES puts the claimed time here, not in the CMS. */
  readonly signingTime?: Date
  /** Default RSASSA-PKCS1-v1_5-SHA256 for RSA keys, ECDSA-SHA256 for EC keys. */
  readonly algorithm?: SignatureAlgorithm
  /** Name of the new signature field; default the first free `SignatureN`. */
  readonly fieldName?: string
  /** 0-based page of the widget; default 0. */
  readonly page?: number
  /** Widget rectangle in user space; default an invisible signature. */
  readonly rect?: readonly [number, number, number, number]
  readonly signal?: AbortSignal
}

/** What {@link signPdf} returns. */
export interface SignPdfResult {
  /** The input followed by the new revision carrying the signature. */
  readonly pdf: Uint8Array
  /** The /ByteRange written: everything but the /Contents hex string. */
  readonly byteRange: readonly [number, number, number, number]
}

// Room for the CMS beyond the certificates and the signature value: algorithm identifiers, signed attributes,
// SignerInfo framing. Generous on purpose: the space must be reserved before the signature exists.
const CMS_OVERHEAD = 4096

/**
 * Signs a PDF (PAdES B-B, /SubFilter ETSI.CAdES.detached): a new revision with a signature field, its widget and a
 * CMS SignedData carrying content-type, message-digest and ESS signing-certificate-v2, the signer certificate and
 * its chain. Only the signed attributes' digest reaches a token.
 *
 * @throws SceauError PDF_ENCRYPTED, INPUT_MALFORMED (not a PDF, broken cross-reference), USAGE (bad page or field
 * name), and the signer's errors.
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises'
 * import { signPdf } from 'sceau/pades'
 * const { pdf } = await signPdf(await readFile('deliberation.pdf'), signer, { reason: 'Délibération n° 42', location: 'Nice' })
 * await writeFile('deliberation-signed.pdf', pdf)
 * ```
 */
export async function signPdf(input: Uint8Array, signer: Signer, options: SignPdfOptions = {}): Promise<SignPdfResult> {
  const algorithm = options.algorithm ?? defaultAlgorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const certificates = [signer.certificate, ...signer.chain].reduce((total, der) => total + der.length, 0)
  const contentsSize = certificates + signer.maxSignatureLength + CMS_OVERHEAD
  const prepared = prepareSignature(input, {
    contentsSize,
    signingTime: options.signingTime ?? new Date(),
    reason: options.reason,
    location: options.location,
    contactInfo: options.contactInfo,
    name: options.name ?? describeCertificate(signer.certificate).subjectCommonName,
    fieldName: options.fieldName,
    page: options.page,
    rect: options.rect,
  })
  const pdf = Buffer.from(prepared.pdf.buffer, prepared.pdf.byteOffset, prepared.pdf.byteLength)
  const [a, b, c, d] = prepared.byteRange
  const digest = createHash(hash.replace('-', '').toLowerCase())
    .update(pdf.subarray(a, a + b))
    .update(pdf.subarray(c, c + d))
    .digest()
  const { der } = await signCms({ signer, algorithm, contentDigest: new Uint8Array(digest), signal: options.signal })
  if (der.length > contentsSize) {
    throw new SceauError('INPUT_TOO_LARGE', `the CMS signature (${der.length} bytes) is larger than the ${contentsSize} bytes reserved`)
  }
  pdf.write(Buffer.from(der).toString('hex'), prepared.contentsStart, 'latin1')
  return { pdf: new Uint8Array(pdf), byteRange: prepared.byteRange as [number, number, number, number] }
}

function defaultAlgorithm(signer: Signer): SignatureAlgorithm {
  const wanted: SignatureAlgorithm = signer.key.type === 'EC' ? 'ECDSA-SHA256' : 'RSASSA-PKCS1-v1_5-SHA256'
  if (!signer.algorithms.includes(wanted)) {
    throw new SceauError('ALGORITHM_UNSUPPORTED', `the key cannot produce ${wanted}`, { details: { algorithm: wanted } })
  }
  return wanted
}
