// Parapheur workflows: a second agent co-signs the same file (a parallel SignerInfo), or counter-signs a signature
// (a SignerInfo over another's signature value, as an unsigned attribute of it). Both leave earlier signatures
// byte for byte as they were.

import { CMS_OIDS } from '../cms/oids.js'
import { parseCms } from '../cms/parse.js'
import { signSignerInfo } from '../cms/sign.js'
import { joinSignedData, mergeSignedData } from '../cms/signed-data.js'
import { withUnsignedAttribute } from '../cms/unsigned-attribute.js'
import { equalBytes } from '../bytes.js'
import { SceauError } from '../errors.js'
import { algorithmParts, defaultSha256Algorithm } from '../signer/algorithms.js'
import { digest } from '../signer/digest-info.js'
import { oncePerHash } from '../signer/hash-file.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm } from '../types.js'
import { signCadesParts, timestampSignerInfo, type SignCadesOptions } from './sign-cades.js'

/** The digest of the signed content with a hash algorithm, computed when asked (once per algorithm is enough). */
export type ContentDigestOf = (hash: DigestAlgorithm | 'SHA-1') => Promise<Uint8Array>

/**
 * Adds a parallel signer to a detached CAdES signature (DER, without content). The content's digest is checked
 * against every existing signer's message-digest first, so a .p7s is never co-signed over another file.
 *
 * @throws SceauError `CONTENT_MISMATCH` when an existing signer signed other bytes; `INPUT_MALFORMED` when `existing` is not CMS.
 *
 * @example
 * ```ts
 * const cosigned = await cosignCades(await readFile('offre.zip.p7s'), (hash) => hashFile('offre.zip', hash), signer)
 * ```
 */
export async function cosignCades(
  existing: Uint8Array,
  contentDigestOf: ContentDigestOf,
  signer: Signer,
  options: SignCadesOptions = {},
): Promise<Uint8Array> {
  const cms = parseCms(existing)
  // Existing signers and the new one often share a hash: the content is then read once.
  const digestOf = oncePerHash(contentDigestOf)
  for (const [index, other] of cms.signers.entries()) {
    const hash = other.digestAlgorithm
    const expected = other.attributes.messageDigest
    if (!isComputedDigest(hash)) {
      throw new SceauError(
        'INPUT_MALFORMED',
        `signer ${index + 1} of the existing signature uses digest ${hash}, which sceau does not compute`,
      )
    }
    if (expected === undefined || !equalBytes(await digestOf(hash), expected)) {
      throw new SceauError('CONTENT_MISMATCH', `signer ${index + 1} of the existing signature did not sign this content`, {
        details: { signer: index + 1 },
      })
    }
  }
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const added = await signCadesParts(await digestOf(hash), hash, signer, { ...options, algorithm })
  return joinSignedData(mergeSignedData(cms.parts, added.parts))
}

/** Options of {@link counterSignCades}. */
export interface CounterSignOptions extends Pick<SignCadesOptions, 'algorithm' | 'signingTime' | 'timestamp' | 'signal'> {
  /** Which SignerInfo to counter-sign, from 0 in the order written. Default the last one (the latest signer). */
  readonly signerIndex?: number
}

/**
 * Counter-signs a SignerInfo of a CAdES signature (DER, detached or not): RFC 5652 §11.4, a SignerInfo whose
 * message-digest is that of the counter-signed signature value, without content-type, put in its unsigned
 * attributes. The counter-signer's certificates join the SignedData's.
 *
 * @example
 * ```ts
 * const countersigned = await counterSignCades(await readFile('contrat.pdf.p7s'), directorSigner)
 * ```
 */
export async function counterSignCades(existing: Uint8Array, signer: Signer, options: CounterSignOptions = {}): Promise<Uint8Array> {
  const cms = parseCms(existing)
  const index = options.signerIndex ?? cms.signers.length - 1
  const target = cms.signers[index]
  if (target === undefined) throw new SceauError('USAGE', `the signature has ${cms.signers.length} signer(s), not a number ${index + 1}`)
  const algorithm = options.algorithm ?? defaultSha256Algorithm(signer)
  const { hash } = algorithmParts(algorithm)
  const counter = await signSignerInfo({
    signer,
    algorithm,
    contentDigest: digest(hash, target.signatureValue),
    counterSignature: true,
    signingTime: options.signingTime ?? new Date(),
    signal: options.signal,
  })
  const counterSignerInfo =
    options.timestamp === undefined
      ? counter.signerInfo
      : await timestampSignerInfo(counter.signerInfo, counter.signatureValue, hash, options.timestamp)
  const signerInfos = cms.parts.signerInfos.map((signerInfo, at) =>
    at === index ? withUnsignedAttribute(signerInfo, CMS_OIDS.counterSignature, counterSignerInfo) : signerInfo,
  )
  const certificates = [...cms.parts.certificates, signer.certificate, ...signer.chain]
  return joinSignedData({ ...cms.parts, signerInfos, certificates }, cms.content)
}

function isComputedDigest(name: string): name is DigestAlgorithm | 'SHA-1' {
  return name === 'SHA-1' || name === 'SHA-256' || name === 'SHA-384' || name === 'SHA-512'
}
