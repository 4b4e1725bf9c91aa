// The certificates a CMS signature's validity rests on: its signer's, its counter-signers', and those of the
// time-stamping authorities that time-stamped them — what B-LT must keep the validation data of.

import { CMS_OIDS } from '../cms/oids.js'
import { parseCms, type CmsSignerInfo, type ParsedCms } from '../cms/parse.js'
import { findSignerCertificate } from '../cms/verify.js'
import { readTimestampToken, timestampTokenOf } from './rfc3161.js'

/** A certificate to validate, with the certificates found beside it to build its path. */
export interface CertificateToValidate {
  readonly leaf: Uint8Array
  readonly intermediates: readonly Uint8Array[]
}

/** The certificates of `signer` (a SignerInfo of `cms`), its counter-signers and their signature time-stamps. */
export function certificatesToValidate(cms: ParsedCms, signer: CmsSignerInfo): CertificateToValidate[] {
  const out: CertificateToValidate[] = []
  const certificate = findSignerCertificate(cms, signer)
  if (certificate !== undefined) out.push({ leaf: certificate, intermediates: cms.certificates })
  const tokens = signer.unsignedAttributes
    .filter((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken)
    .flatMap((attribute) => attribute.values)
  for (const value of tokens) {
    const { token } = timestampTokenOf(value)
    const tsa = readTimestampToken(token).tsaCertificate
    if (tsa) out.push({ leaf: tsa, intermediates: parseCms(token).certificates })
  }
  for (const counter of signer.counterSignatures) out.push(...certificatesToValidate(cms, counter))
  return out
}
