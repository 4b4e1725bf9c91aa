/**
 * sceau: sign and verify the documents of French public bodies with RGS/eIDAS certificates held on PKCS#11
 * tokens, PKCS#12 files or in-memory keys.
 *
 * The stable API is re-exported here by name; `sceau/pkcs11`, `sceau/signer` and `sceau/errors` give the
 * same names per layer.
 *
 * @packageDocumentation
 */
import 'reflect-metadata'

export { SceauError, PinIncorrectError, isSceauError, type SceauErrorCode, type SceauErrorDetails, type PinTriesLeft } from './errors.js'
export type { Signer, SignOptions, SignatureAlgorithm, DigestAlgorithm, KeyDescription, KeyType, NamedCurve } from './signer/signer.js'
export { KeySigner, type KeySignerOptions } from './signer/key-signer.js'
export { Pkcs11Signer, type Pkcs11SignerOptions } from './signer/pkcs11-signer.js'
export { Pkcs12Signer } from './signer/pkcs12-signer.js'
export { ecdsaDerToP1363, ecdsaP1363ToDer } from './signer/ecdsa.js'
export { Token, type OpenTokenOptions } from './pkcs11/token.js'
export { listTokens, type Inventory } from './pkcs11/inventory.js'
export { pinFromEnv, pinFromFile, pinFromPrompt, pinPad, type PinSource } from './pkcs11/pin.js'
export { parsePkcs11Uri, formatPkcs11Uri, type Pkcs11Uri } from './pkcs11/uri.js'
export { findModules, defaultModule, resolveModule } from './pkcs11/discover.js'
export { describeCertificate, type CertificateInfo } from './x509/describe.js'
export { checkCertificate, type CertificateReport, type CheckCertificateOptions } from './policy/check-certificate.js'
export { parseTrustedList, verifyTrustedListSignature, type TrustedList } from './policy/trusted-list/index.js'
export {
  signPes,
  signXadesDetachedFile,
  verifyXml,
  verifyXmlFile,
  HELIOS_POLICY,
  type SignPesOptions,
  type SignPesResult,
  type XmlVerificationReport,
} from './xades/index.js'
export { signPdf, verifyPdf, type SignPdfOptions, type PdfVerificationReport } from './pades/index.js'
export {
  signCadesFile,
  signCadesEnvelopingFile,
  cosignCades,
  counterSignCades,
  extendCadesToLt,
  verifyCades,
  verifyCadesFile,
  type CadesVerificationReport,
} from './cades/index.js'
export {
  decide,
  worst,
  FAILED_SUB_INDICATIONS,
  INDETERMINATE_SUB_INDICATIONS,
  type Check,
  type CheckStatus,
  type Indication,
  type SubIndication,
  type FailedSubIndication,
  type IndeterminateSubIndication,
  type Verdict,
} from './verdicts.js'
export { VERSION } from './version.js'
