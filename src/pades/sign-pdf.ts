/**
 * PAdES baseline B-B signatures on PDFs, by incremental update: the original bytes stay as they are.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto'
import { CMS_OIDS } from '../cms/oids.js'
import { signCms } from '../cms/sign.js'
import { addUnsignedAttribute } from '../cms/unsigned-attribute.js'
import { SceauError } from '../errors.js'
import { algorithmParts, defaultSha256Algorithm, nodeHashName } from '../signer/algorithms.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import { describeCertificate } from '../x509/describe.js'
import { byteRangeParts, prepareSignature } from './pdf/prepare-signature.js'
import { requestTimestamp } from '../timestamp/rfc3161.js'

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
  /**
   * Widget rectangle in user space; default an invisible signature. A rectangle with an area shows who signed,
   * when, and the reason and location when given.
   */
  readonly rect?: readonly [number, number, number, number]
  /**
   * Certifies the PDF (DocMDP): the changes allowed after this signature are 1 none, 2 filling in forms and
   * signing, 3 that plus annotations. Only for the first signature of a PDF.
   */
  readonly certify?: 1 | 2 | 3
  /**
   * PAdES B-T: an RFC 3161 time-stamp on the signature value from this time-stamping authority, added as the
   * signature-time-stamp unsigned attribute. Without it the signature is B-B.
   */
  readonly timestamp?: { readonly url: string; readonly timeoutMs?: number }
  readonly signal?: AbortSignal
}

/** What {@link signPdf} returns. */
export interface SignPdfResult {
  /** The input followed by the new revision carrying the signature. */
  readonly pdf: Uint8Array
  /** The /ByteRange written: everything but the /Contents hex string. */
  readonly byteRange: readonly [number, number, number, number]
}

/** What {@link signPdfParts} returns: the signed PDF is `original` followed by `appended`. */
export interface SignedPdfParts {
  readonly original: Uint8Array
  readonly appended: Uint8Array
  readonly byteRange: readonly [number, number, number, number]
}

// A time-stamp token carries the TSA's certificate and often its chain: room for a few certificates.
const TIMESTAMP_ROOM = 16 * 1024

// Room for the CMS beyond the certificates and the signature value: algorithm identifiers, signed attributes,
// SignerInfo framing. Generous on purpose: the space must be reserved before the signature exists.
const CMS_OVERHEAD = 4096

/**
 * Signs a PDF (PAdES B-B, or B-T with `timestamp`; /SubFilter ETSI.CAdES.detached): a new revision with a signature field, its widget and a
 * CMS SignedData carrying content-type, message-digest and ESS signing-certificate-v2, the signer certificate and
 * its chain. Only the signed attributes' digest reaches a token.
 *
 * @throws SceauError PDF_ENCRYPTED, TIMESTAMP_FAILED, INPUT_MALFORMED (not a PDF, broken cross-reference), USAGE (bad page or field
 * name, certifying a signed PDF, signing a PDF certified with no changes allowed), and the signer's errors.
 *
 * Returns the input and the new revision separately, so a big PDF is written out without being copied.
 *
 * @example
 * ```ts
 * const { original, appended } = await signPdfParts(await readFile('scan.pdf'), signer)
 * await writeAtomically('scan-signed.pdf', (write) => (write(original), write(appended)))
 * ```
 */
export async function signPdfParts(input: Uint8Array, signer: Signer, options: SignPdfOptions = {}): Promise<SignedPdfParts> {
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const certificates = [signer.certificate, ...signer.chain].reduce((total, der) => total + der.length, 0)
  const contentsSize = certificates + signer.maxSignatureLength + CMS_OVERHEAD + (options.timestamp === undefined ? 0 : TIMESTAMP_ROOM)
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
    certify: options.certify,
  })
  const original = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const appended = Buffer.from(prepared.appended.buffer, prepared.appended.byteOffset, prepared.appended.byteLength)
  const hasher = createHash(nodeHashName(hash))
  for (const part of byteRangeParts(original, appended, prepared.byteRange)) hasher.update(part)
  const digest = hasher.digest()
  const signed = await signCms({ signer, algorithm, contentDigest: new Uint8Array(digest), signal: options.signal })
  let der = signed.der
  if (options.timestamp !== undefined) {
    const { token } = await requestTimestamp(options.timestamp.url, {
      data: signed.signatureValue,
      hash,
      timeoutMs: options.timestamp.timeoutMs,
    })
    der = addUnsignedAttribute(der, CMS_OIDS.signatureTimeStampToken, token)
  }
  if (der.length > contentsSize) {
    throw new SceauError('INPUT_TOO_LARGE', `the CMS signature (${der.length} bytes) is larger than the ${contentsSize} bytes reserved`)
  }
  appended.write(Buffer.from(der).toString('hex'), prepared.contentsStart - original.length, 'latin1')
  return { original, appended, byteRange: prepared.byteRange as [number, number, number, number] }
}

/**
 * {@link signPdfParts} as one buffer: the input followed by the new revision.
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
  const { original, appended, byteRange } = await signPdfParts(input, signer, options)
  return { pdf: Buffer.concat([original, appended]), byteRange }
}
