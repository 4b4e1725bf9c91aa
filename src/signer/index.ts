/**
 * Signers: the seam every signature format uses, and its implementations for PKCS#11 tokens, PKCS#12 files
 * and in-memory keys.
 *
 * @packageDocumentation
 */
export type { Signer, SignOptions, SignatureAlgorithm, DigestAlgorithm, KeyDescription, KeyType, NamedCurve } from './signer.js'
export { SIGNATURE_ALGORITHMS, algorithmParts, algorithmsForKey, type AlgorithmParts } from './algorithms.js'
export { KeySigner, type KeySignerOptions } from './key-signer.js'
export { Pkcs11Signer, type Pkcs11SignerOptions } from './pkcs11-signer.js'
export { Pkcs12Signer, type Pkcs12SignerOptions } from './pkcs12-signer.js'
export { readPkcs12, type Pkcs12Contents, type ReadPkcs12Options } from './pkcs12.js'
export { ecdsaDerToP1363, ecdsaP1363ToDer } from './ecdsa.js'
export { digestInfo } from './digest-info.js'
export { hashFile, type HashFileOptions } from './hash-file.js'
