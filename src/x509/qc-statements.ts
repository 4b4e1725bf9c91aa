/**
 * The qcStatements extension (RFC 3739, ETSI EN 319 412-5): what makes a certificate "qualified" in the
 * eIDAS sense. Reading it states facts; whether they satisfy a profile is the policy layer's call.
 *
 * @packageDocumentation
 */

import * as asn1js from 'asn1js'
import { SceauError } from '../errors.js'

/** id-pe-qcStatements, the extension that carries the statements. */
export const QC_STATEMENTS_OID = '1.3.6.1.5.5.7.1.3'

/** Statement and type identifiers of ETSI EN 319 412-5 and RFC 3739. */
export const QC_OIDS = {
  /** QcCompliance: an EU qualified certificate. */
  compliance: '0.4.0.1862.1.1',
  /** QcLimitValue: a transaction limit (listed in `statementIds` only). */
  limitValue: '0.4.0.1862.1.2',
  /** QcRetentionPeriod: years the registration data is kept after expiry. */
  retentionPeriod: '0.4.0.1862.1.3',
  /** QcSSCD: the private key lives in a (qualified) signature creation device. */
  sscd: '0.4.0.1862.1.4',
  /** QcPDS: where the PKI disclosure statements are. */
  pds: '0.4.0.1862.1.5',
  /** QcType: esign, eseal or web. */
  type: '0.4.0.1862.1.6',
  /** QcCClegislation: qualified under the laws of these (non-EU) countries. */
  legislation: '0.4.0.1862.1.7',
  /** id-qcs-pkixQCSyntax-v1 (RFC 3039): SemanticsInformation. */
  pkixQcSyntaxV1: '1.3.6.1.5.5.7.11.1',
  /** id-qcs-pkixQCSyntax-v2 (RFC 3739): SemanticsInformation, e.g. 0.4.0.194121.1.1 natural person. */
  pkixQcSyntaxV2: '1.3.6.1.5.5.7.11.2',
} as const

/** QcType values of EN 319 412-5 §4.2.3, by name. */
export const QC_TYPE_OIDS = {
  esign: '0.4.0.1862.1.6.1',
  eseal: '0.4.0.1862.1.6.2',
  web: '0.4.0.1862.1.6.3',
} as const

/** A QcType: its EN 319 412-5 name, or the OID as written when it is not one of the three. */
// `string & {}` keeps the three names in editors' completion while allowing any OID.
export type QcType = keyof typeof QC_TYPE_OIDS | (string & {})

/** One PKI disclosure statement location (QcPDS). */
export interface QcPdsLocation {
  readonly url: string
  /** ISO 639-1 code, lower case as most CAs write it (`'en'`, `'fr'`); kept as written. */
  readonly language: string
}

/** What the qcStatements extension of a certificate says. */
export interface QcStatements {
  /** QcCompliance (0.4.0.1862.1.1) is present. */
  readonly compliance: boolean
  /** QcSSCD (0.4.0.1862.1.4) is present. */
  readonly sscd: boolean
  /** QcType (0.4.0.1862.1.6) values; empty when the statement is absent (pre-2016 certificates). */
  readonly types: readonly QcType[]
  /** QcCClegislation (0.4.0.1862.1.7) country codes; an EU qualified certificate has none. */
  readonly legislation: readonly string[]
  /** QcPDS (0.4.0.1862.1.5) locations. */
  readonly pds: readonly QcPdsLocation[]
  /** QcRetentionPeriod (0.4.0.1862.1.3) in years, when present. */
  readonly retentionPeriod?: number
  /** Semantics identifiers of RFC 3739 SemanticsInformation (1.3.6.1.5.5.7.11.2, or .11.1), e.g. 0.4.0.194121.1.1. */
  readonly semanticsIds: readonly string[]
  /** Every statement id, in certificate order, known or not, so a later check can spot the unexpected. */
  readonly statementIds: readonly string[]
  /**
   * Ids of the statements whose information could not be decoded (Certum QCA 2017 writes QcType as a bare OID, not
   * a SEQUENCE OF OID); what they would have said is unknown, not absent. Present only when there are some.
   */
  readonly undecodable?: readonly string[]
}

/** What {@link encodeQcStatements} writes. Statements appear in EN 319 412-5 order. */
export interface QcStatementsSpec {
  readonly compliance?: boolean
  readonly sscd?: boolean
  readonly types?: readonly QcType[]
  readonly legislation?: readonly string[]
  readonly pds?: readonly QcPdsLocation[]
  readonly retentionPeriod?: number
  /** Written as one id-qcs-pkixQCSyntax-v2 statement. */
  readonly semanticsId?: string
}

const TYPE_NAMES = new Map<string, QcType>(Object.entries(QC_TYPE_OIDS).map(([name, oid]) => [oid, name]))

class Malformed extends Error {}

function fail(what: string): never {
  throw new Malformed(what)
}

function children(node: asn1js.AsnType, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) fail(`${what} is not a SEQUENCE`)
  return node.valueBlock.value
}

function oid(node: asn1js.AsnType | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) fail(`${what} is not an OBJECT IDENTIFIER`)
  return node.getValue()
}

function text(node: asn1js.AsnType | undefined, type: typeof asn1js.IA5String | typeof asn1js.PrintableString, what: string): string {
  if (!(node instanceof type)) fail(`${what} is not a ${type === asn1js.IA5String ? 'IA5String' : 'PrintableString'}`)
  return node.getValue()
}

/**
 * Decodes the value (the OCTET STRING's contents) of a qcStatements extension. A statement whose information
 * does not follow EN 319 412-5 is listed in `undecodable`; the others are read.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when the value is not a SEQUENCE OF QCStatement (RFC 3739), each
 * a SEQUENCE starting with an OBJECT IDENTIFIER.
 *
 * @example
 * ```ts
 * const statements = parseQcStatements(extensionValue)
 * if (statements.compliance && statements.types.includes('esign')) console.log('EU qualified, for e-signatures')
 * ```
 */
export function parseQcStatements(value: Uint8Array): QcStatements {
  try {
    const decoded = asn1js.fromBER(value)
    if (decoded.offset === -1 || decoded.offset !== value.byteLength) fail('the value is not one DER element')
    let compliance = false
    let sscd = false
    let retentionPeriod: number | undefined
    const types: QcType[] = []
    const legislation: string[] = []
    const pds: QcPdsLocation[] = []
    const semanticsIds: string[] = []
    const statementIds: string[] = []
    const undecodable: string[] = []
    for (const statement of children(decoded.result, 'QCStatements')) {
      const [idNode, info] = children(statement, 'a QCStatement')
      const id = oid(idNode, 'a statementId')
      statementIds.push(id)
      // One statement whose information does not follow EN 319 412-5 says nothing; the others still do.
      try {
        switch (id) {
          case QC_OIDS.compliance:
            compliance = true
            break
          case QC_OIDS.sscd:
            sscd = true
            break
          case QC_OIDS.type: {
            const read = children(info ?? fail('QcType has no value'), 'QcType').map((type) => oid(type, 'a QcType'))
            types.push(...read.map((typeOid) => TYPE_NAMES.get(typeOid) ?? typeOid))
            break
          }
          case QC_OIDS.legislation: {
            const read = children(info ?? fail('QcCClegislation has no value'), 'QcCClegislation')
            legislation.push(...read.map((country) => text(country, asn1js.PrintableString, 'a QcCClegislation country')))
            break
          }
          case QC_OIDS.pds: {
            const read = children(info ?? fail('QcPDS has no value'), 'QcPDS').map((location) => {
              const [url, language] = children(location, 'a PdsLocation')
              return { url: text(url, asn1js.IA5String, 'a PDS url'), language: text(language, asn1js.PrintableString, 'a PDS language') }
            })
            pds.push(...read)
            break
          }
          case QC_OIDS.retentionPeriod:
            if (!(info instanceof asn1js.Integer)) fail('QcRetentionPeriod is not an INTEGER')
            retentionPeriod = info.valueBlock.valueDec
            break
          case QC_OIDS.pkixQcSyntaxV1:
          case QC_OIDS.pkixQcSyntaxV2: {
            // SemanticsInformation: an optional semanticsIdentifier, then optional registration authorities.
            const first = info === undefined ? undefined : children(info, 'SemanticsInformation')[0]
            if (first instanceof asn1js.ObjectIdentifier) semanticsIds.push(first.getValue())
            break
          }
          default:
            break
        }
      } catch (err) {
        if (!(err instanceof Malformed)) throw err
        undecodable.push(id)
      }
    }
    return {
      compliance,
      sscd,
      types,
      legislation,
      pds,
      ...(retentionPeriod === undefined ? {} : { retentionPeriod }),
      semanticsIds,
      statementIds,
      ...(undecodable.length === 0 ? {} : { undecodable }),
    }
  } catch (err) {
    if (!(err instanceof Malformed)) throw err
    throw new SceauError('CERTIFICATE_MALFORMED', `the qcStatements extension cannot be decoded: ${err.message}`, {
      details: { extension: QC_STATEMENTS_OID },
    })
  }
}

/**
 * Encodes a qcStatements extension value (DER), for test certificates and fixtures.
 *
 * @example
 * ```ts
 * const value = encodeQcStatements({ compliance: true, sscd: true, types: ['esign'], pds: [{ url: 'https://ca.test/pds-en.pdf', language: 'en' }] })
 * const extension = new Extension(QC_STATEMENTS_OID, false, value)
 * ```
 */
export function encodeQcStatements(spec: QcStatementsSpec): Uint8Array {
  const statement = (id: string, info?: asn1js.AsnType): asn1js.Sequence =>
    new asn1js.Sequence({
      value: info === undefined ? [new asn1js.ObjectIdentifier({ value: id })] : [new asn1js.ObjectIdentifier({ value: id }), info],
    })
  const statements: asn1js.Sequence[] = []
  if (spec.semanticsId !== undefined) {
    statements.push(
      statement(QC_OIDS.pkixQcSyntaxV2, new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: spec.semanticsId })] })),
    )
  }
  if (spec.compliance === true) statements.push(statement(QC_OIDS.compliance))
  if (spec.retentionPeriod !== undefined)
    statements.push(statement(QC_OIDS.retentionPeriod, new asn1js.Integer({ value: spec.retentionPeriod })))
  if (spec.sscd === true) statements.push(statement(QC_OIDS.sscd))
  if (spec.pds !== undefined && spec.pds.length > 0) {
    const locations = spec.pds.map(
      (location) =>
        new asn1js.Sequence({
          value: [new asn1js.IA5String({ value: location.url }), new asn1js.PrintableString({ value: location.language })],
        }),
    )
    statements.push(statement(QC_OIDS.pds, new asn1js.Sequence({ value: locations })))
  }
  if (spec.types !== undefined && spec.types.length > 0) {
    const types = spec.types.map((type) => new asn1js.ObjectIdentifier({ value: (QC_TYPE_OIDS as Record<string, string>)[type] ?? type }))
    statements.push(statement(QC_OIDS.type, new asn1js.Sequence({ value: types })))
  }
  if (spec.legislation !== undefined && spec.legislation.length > 0) {
    const countries = spec.legislation.map((country) => new asn1js.PrintableString({ value: country }))
    statements.push(statement(QC_OIDS.legislation, new asn1js.Sequence({ value: countries })))
  }
  return new Uint8Array(new asn1js.Sequence({ value: statements }).toBER(false))
}
