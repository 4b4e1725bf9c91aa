/**
 * PAdES signatures on PDFs: `sceau/pades`.
 *
 * @packageDocumentation
 */

export { signPdf, signPdfParts, type SignPdfOptions, type SignPdfResult, type SignedPdfParts } from './sign-pdf.js'
export { verifyPdf, type VerifyPdfOptions, type PdfVerificationReport, type PdfSignatureReport } from './verify-pdf.js'
export { requestTimestamp, readTimestampToken, verifyTimestampToken, type Timestamp, type TimestampInfo } from '../timestamp/rfc3161.js'
export { extendToLt, type ExtendToLtOptions, type ExtendToLtResult } from './extend-lt.js'
export { appendDss, readDss, vriKey } from './pdf/dss.js'
export { timestampPdfParts, type DocumentTimestampOptions } from './document-timestamp.js'
