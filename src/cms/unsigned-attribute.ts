import { SceauError } from '../errors.js'
import { readChildren, readTlv, type Tlv } from '../x509/der.js'
import { setOf, TAG, tlv } from './der-encode.js'
import { encodeUnsigned } from './sign.js'

/**
 * Adds an unsigned attribute with one value to the first SignerInfo of a DER ContentInfo(SignedData), leaving
 * every other byte as it was: the signed attributes and the signature value are untouched, so the signature
 * stays valid. Trailing zero bytes (the padding of a PDF /Contents) are dropped.
 *
 * @example
 * ```ts
 * // PAdES B-T: a time-stamp token over the signature value
 * const withTimestamp = addUnsignedAttribute(cms.der, CMS_OIDS.signatureTimeStampToken, timeStampTokenDer)
 * ```
 */
export function addUnsignedAttribute(cmsDer: Uint8Array, type: string, valueDer: Uint8Array): Uint8Array {
  const value = readTlv(valueDer, 0)
  if (value === undefined || value.end !== valueDer.length) {
    throw new SceauError('INPUT_MALFORMED', 'the attribute value is not one DER element')
  }
  const fail = (why: string): never => {
    throw new SceauError('INPUT_MALFORMED', `not a DER CMS SignedData: ${why}`)
  }
  const contentInfo = readTlv(cmsDer, 0) ?? fail('no outer element')
  if (contentInfo.tag !== TAG.sequence || !cmsDer.subarray(contentInfo.end).every((byte) => byte === 0)) fail('not one SEQUENCE')
  const path = descend(cmsDer, contentInfo, [
    [1, TAG.context0],
    [0, TAG.sequence],
    [-1, TAG.set],
    [0, TAG.sequence],
  ])
  if (path === undefined) return fail('no SignerInfo')
  const signerInfo = path.at(-1) as Tlv
  const fields = readChildren(cmsDer, signerInfo) ?? fail('SignerInfo is not DER')
  const added = encodeUnsigned({ oid: type, values: [valueDer] })
  const last = fields.at(-1)
  const replaced =
    last?.tag === TAG.context1
      ? [...fields.slice(0, -1).map((field) => slice(cmsDer, field)), unsignedSet(cmsDer, last, added)]
      : [...fields.map((field) => slice(cmsDer, field)), setOf([added], TAG.context1)]
  let rebuilt = tlv(signerInfo.tag, ...replaced)
  // Walk back up, replacing the one child on the path in each ancestor.
  const ancestors = [contentInfo, ...path.slice(0, -1)]
  for (let level = ancestors.length - 1; level >= 0; level--) {
    const parent = ancestors[level] as Tlv
    const child = level + 1 < ancestors.length ? (ancestors[level + 1] as Tlv) : signerInfo
    const children = readChildren(cmsDer, parent) ?? fail('not DER')
    rebuilt = tlv(parent.tag, ...children.map((element) => (element.start === child.start ? rebuilt : slice(cmsDer, element))))
  }
  return rebuilt
}

function unsignedSet(bytes: Uint8Array, set: Tlv, added: Uint8Array): Uint8Array {
  const existing = readChildren(bytes, set)
  if (existing === undefined) throw new SceauError('INPUT_MALFORMED', 'unsigned attributes are not DER')
  return setOf([...existing.map((element) => slice(bytes, element)), added], TAG.context1)
}

/** Follows [child index (negative from the end), expected tag] steps; the elements visited, or undefined. */
function descend(bytes: Uint8Array, from: Tlv, steps: readonly (readonly [number, number])[]): Tlv[] | undefined {
  const visited: Tlv[] = []
  let current = from
  for (const [index, tag] of steps) {
    const next = readChildren(bytes, current)?.at(index)
    if (next?.tag !== tag) return undefined
    visited.push(next)
    current = next
  }
  return visited
}

function slice(bytes: Uint8Array, element: Tlv): Uint8Array {
  return bytes.subarray(element.start, element.end)
}
