/**
 * PAdES signatures on PDFs: `sceau/pades`.
 *
 * @packageDocumentation
 */

export { signPdf, type SignPdfOptions, type SignPdfResult } from './sign-pdf.js'
export { verifyPdf, type VerifyPdfOptions, type PdfVerificationReport, type PdfSignatureReport } from './verify-pdf.js'
