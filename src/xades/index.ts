/**
 * XAdES for PES V2 (Hélios) flows, detached XAdES (baseline B-B / B-T) of any file, and XML-DSig verification:
 * `sceau/xades`.
 *
 * @packageDocumentation
 */

export { signPes, signPesFile, type SignPesOptions, type SignPesResult, type PesSignatureMade } from './sign-pes.js'
export {
  signXadesDetached,
  signXadesDetachedFile,
  mimeTypeOf,
  type SignXadesDetachedOptions,
  type DetachedContent,
} from './sign-detached.js'
export {
  verifyXml,
  verifyXmlFile,
  type VerifyXmlOptions,
  type XmlVerificationReport,
  type SignatureReport,
  type CoveredElement,
} from './verify.js'
export type { Check, Indication, SubIndication, Verdict } from '../verdicts.js'
export type { ProductionPlace } from './build-signature.js'
export { HELIOS_POLICY, KNOWN_PES_POLICIES, type SignaturePolicy } from './policies.js'
