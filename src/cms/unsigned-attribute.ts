import { SceauError } from '../errors.js'
import { readChildren, readTlv } from '../x509/der.js'
import { setOf, TAG, tlv } from './der-encode.js'
import { parseCms } from './parse.js'
import { joinSignedData } from './signed-data.js'
import { encodeUnsigned } from './sign.js'

/**
 * Adds an unsigned attribute with one value to a SignerInfo (the first by default) of a ContentInfo(SignedData),
 * leaving the signed attributes and the signature values as they were, so every signature stays valid. Trailing
 * zero bytes (the padding of a PDF /Contents) are dropped.
 *
 * @example
 * ```ts
 * // B-T: a time-stamp token over the signature value
 * const withTimestamp = addUnsignedAttribute(cms.der, CMS_OIDS.signatureTimeStampToken, timeStampTokenDer)
 * ```
 */
export function addUnsignedAttribute(cmsDer: Uint8Array, type: string, valueDer: Uint8Array, signerIndex = 0): Uint8Array {
  const cms = parseCms(cmsDer)
  const signerInfo = cms.parts.signerInfos[signerIndex]
  if (signerInfo === undefined) throw new SceauError('USAGE', `the CMS has no SignerInfo number ${signerIndex + 1}`)
  const signerInfos = cms.parts.signerInfos.map((each, index) =>
    index === signerIndex ? withUnsignedAttribute(each, type, valueDer) : each,
  )
  return joinSignedData({ ...cms.parts, signerInfos }, cms.content)
}

/** A DER SignerInfo with one more unsigned attribute (one value), every other field's bytes kept. */
export function withUnsignedAttribute(signerInfo: Uint8Array, type: string, valueDer: Uint8Array): Uint8Array {
  const value = readTlv(valueDer, 0)
  if (value === undefined || value.end !== valueDer.length) {
    throw new SceauError('INPUT_MALFORMED', 'the attribute value is not one DER element')
  }
  const outer = readTlv(signerInfo, 0)
  const fields = outer === undefined || outer.end !== signerInfo.length ? undefined : readChildren(signerInfo, outer)
  if (outer?.tag !== TAG.sequence || fields === undefined) throw new SceauError('INPUT_MALFORMED', 'the SignerInfo is not DER')
  const bytesOf = (element: { start: number; end: number }): Uint8Array => signerInfo.subarray(element.start, element.end)
  const added = encodeUnsigned({ oid: type, values: [valueDer] })
  const last = fields.at(-1)
  if (last?.tag !== TAG.context1) return tlv(TAG.sequence, ...fields.map(bytesOf), setOf([added], TAG.context1))
  const existing = readChildren(signerInfo, last)
  if (existing === undefined) throw new SceauError('INPUT_MALFORMED', 'unsigned attributes are not DER')
  return tlv(TAG.sequence, ...fields.slice(0, -1).map(bytesOf), setOf([...existing.map(bytesOf), added], TAG.context1))
}
