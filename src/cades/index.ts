/**
 * CAdES signatures of any file: `sceau/cades`. Detached (`.p7s`) or enveloping (`.p7m`), B-B, B-T and B-LT,
 * co-signatures and counter-signatures, and their verification.
 *
 * @packageDocumentation
 */

export { signCades, signCadesFile, signCadesEnvelopingFile, type SignCadesOptions } from './sign-cades.js'
export { cosignCades, counterSignCades, type ContentDigestOf, type CounterSignOptions } from './cosign.js'
export { extendCadesToLt, type ExtendCadesResult } from './extend-lt.js'
export { readEnvelopedFile, hashEnvelopedContent, writeEnveloping, type EnvelopedCms, type EnvelopedContent } from './enveloped.js'
export {
  verifyCades,
  verifyCadesFile,
  type CadesSignatureReport,
  type CadesVerificationReport,
  type VerifyCadesOptions,
} from './verify-cades.js'
export { hashFile } from '../signer/hash-file.js'
export { COMMITMENT_TYPES, type CommitmentType } from '../commitment.js'
export type { SignaturePolicyReference } from '../cms/signed-attributes.js'
export type { ValidationDataOptions } from '../policy/validation-data.js'
