// CAdES B-LT (ETSI EN 319 122-1 §6.3 and §5.5.1): the certificates and the revocation data that validate every
// signer and every time-stamping authority, put in the SignedData's certificates and crls fields (OCSP responses as
// RFC 5940 other revocation info), which no signature covers, so adding them leaves every signature valid.

import { CMS_OIDS } from '../cms/oids.js'
import { parseCms } from '../cms/parse.js'
import { joinSignedData, ocspRevocationChoice } from '../cms/signed-data.js'
import { SceauError } from '../errors.js'
import { ValidationDataGatherer, type ValidationData, type ValidationDataOptions } from '../policy/validation-data.js'
import { certificatesToValidate } from '../timestamp/signature-certificates.js'

/** What {@link extendCadesToLt} made. */
export interface ExtendCadesResult {
  /** The CMS with the validation data, DER. */
  readonly der: Uint8Array
  /** Certificates (subject, and why) for which no revocation data was found: the signature is not LT until it is. */
  readonly missing: readonly string[]
}

/**
 * Extends a CAdES B-T signature (every SignerInfo time-stamped) to B-LT. Signatures without a time-stamp are
 * refused: baseline B-LT builds on B-T.
 *
 * @throws SceauError `USAGE` when a signer has no signature time-stamp.
 *
 * @example
 * ```ts
 * const { der, missing } = await extendCadesToLt(p7sBT, { trustedCertificates: [rootDer] })
 * if (missing.length > 0) throw new Error(missing.join('\n'))
 * ```
 */
export async function extendCadesToLt(cmsDer: Uint8Array, options: ValidationDataOptions = {}): Promise<ExtendCadesResult> {
  const cms = parseCms(cmsDer)
  const gatherer = new ValidationDataGatherer(options)
  const data: ValidationData = { certificates: [], crls: [], ocsps: [] }
  for (const [index, signer] of cms.signers.entries()) {
    if (!signer.unsignedAttributes.some((attribute) => attribute.oid === CMS_OIDS.signatureTimeStampToken)) {
      throw new SceauError('USAGE', `signer ${index + 1} has no signature time-stamp: B-LT extends a B-T signature (sign with a TSA)`)
    }
    for (const { leaf, intermediates } of certificatesToValidate(cms, signer)) await gatherer.collect(leaf, intermediates, data)
  }
  const parts = {
    ...cms.parts,
    certificates: [...cms.parts.certificates, ...data.certificates],
    crls: [...cms.parts.crls, ...data.crls, ...data.ocsps.map(ocspRevocationChoice)],
  }
  return { der: joinSignedData(parts, cms.content), missing: [...gatherer.missing] }
}
