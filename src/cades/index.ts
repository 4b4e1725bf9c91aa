/**
 * Detached CAdES signatures of any file: `sceau/cades`.
 *
 * @packageDocumentation
 */

export { signCades, signCadesFile, hashFile, type SignCadesOptions } from './sign-cades.js'
export { verifyCadesFile, type CadesVerificationReport, type VerifyCadesOptions } from './verify-cades.js'
