import { describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { encodeQcStatements, parseQcStatements } from './qc-statements.js'

// qcStatements extension values of two real certificates (fixtures/certs/SOURCES.md), copied from
// `openssl asn1parse` output.
const ANTS_AGENT = Buffer.from('30293008060604008E4601013008060604008E4601043013060604008E4601063009060704008E46010601', 'hex')
const CLEARBUS_SEAL = Buffer.from(
  '30643008060604008E460101300B060604008E4601030201073036060604008E460105302C302A162468747470733A2F2F756B2E636572746575726F70652E66722F74727573742D636861696E1302454E3013060604008E4601063009060704008E46010602',
  'hex',
)

describe('encodeQcStatements', () => {
  it('writes the same bytes as the ANTS CA for QcCompliance + QcSSCD + QcType esign', () => {
    expect(Buffer.from(encodeQcStatements({ compliance: true, sscd: true, types: ['esign'] })).equals(ANTS_AGENT)).toBe(true)
  })

  it('writes the same bytes as CertEurope for a seal with QcRetentionPeriod and QcPDS', () => {
    const value = encodeQcStatements({
      compliance: true,
      retentionPeriod: 7,
      pds: [{ url: 'https://uk.certeurope.fr/trust-chain', language: 'EN' }],
      types: ['eseal'],
    })
    expect(Buffer.from(value).equals(CLEARBUS_SEAL)).toBe(true)
  })

  it('round-trips QcCClegislation, unknown QcTypes and the RFC 3739 semantics identifier', () => {
    const parsed = parseQcStatements(
      encodeQcStatements({ semanticsId: '0.4.0.194121.1.1', compliance: true, types: ['web', '1.2.3.4'], legislation: ['CH', 'GB'] }),
    )
    expect(parsed).toEqual({
      compliance: true,
      sscd: false,
      types: ['web', '1.2.3.4'],
      legislation: ['CH', 'GB'],
      pds: [],
      semanticsIds: ['0.4.0.194121.1.1'],
      statementIds: ['1.3.6.1.5.5.7.11.2', '0.4.0.1862.1.1', '0.4.0.1862.1.6', '0.4.0.1862.1.7'],
    })
  })
})

describe('parseQcStatements', () => {
  it('lists a statement it does not interpret without failing', () => {
    // QcLimitValue (0.4.0.1862.1.2): { currency "EUR", amount 1000, exponent 0 }.
    const limit = Buffer.from('30183016060604008e460102300c1303455552020203e8020100', 'hex')
    expect(parseQcStatements(limit).statementIds).toEqual(['0.4.0.1862.1.2'])
  })

  it('throws CERTIFICATE_MALFORMED when the value is not a SEQUENCE OF QCStatement', () => {
    const bad = [
      Buffer.from('04020000', 'hex'), // an OCTET STRING, not a SEQUENCE
      Buffer.from('3008060604008e460101ff', 'hex'), // trailing byte
      Buffer.from('300531030201ff', 'hex'), // a statement that is a SET, not a SEQUENCE
      Buffer.from('3005300302 0101'.replace(/ /g, ''), 'hex'), // a statementId that is an INTEGER
    ]
    for (const value of bad) {
      let thrown: unknown
      try {
        parseQcStatements(value)
      } catch (err) {
        thrown = err
      }
      expect(isSceauError(thrown, 'CERTIFICATE_MALFORMED'), value.toString('hex')).toBe(true)
    }
  })

  it('reads the other statements when one statement’s information does not follow EN 319 412-5, and lists it', () => {
    // Certum QCA 2017 writes QcType as a bare OBJECT IDENTIFIER instead of a SEQUENCE OF OBJECT IDENTIFIER:
    // { QcCompliance, QcType esign (bare), QcSSCD }.
    const certum = Buffer.from('30273008060604008e4601013011060604008e460106060704008e460106013008060604008e460104', 'hex')
    expect(parseQcStatements(certum)).toEqual({
      compliance: true,
      sscd: true,
      types: [],
      legislation: [],
      pds: [],
      semanticsIds: [],
      statementIds: ['0.4.0.1862.1.1', '0.4.0.1862.1.6', '0.4.0.1862.1.4'],
      undecodable: ['0.4.0.1862.1.6'],
    })
    const others = [
      ['300a3008060604008e460106', '0.4.0.1862.1.6'], // QcType without its value
      ['3012301006060400 8e460105300630041602 6869', '0.4.0.1862.1.5'], // PdsLocation without language
      ['3010300e060604008e460107310413024652', '0.4.0.1862.1.7'], // QcCClegislation as a SET
      ['300d300b060604008e460103040107', '0.4.0.1862.1.3'], // QcRetentionPeriod as an OCTET STRING
    ] as const
    for (const [hex, id] of others) {
      const parsed = parseQcStatements(Buffer.from(hex.replace(/ /g, ''), 'hex'))
      expect(parsed.undecodable, hex).toEqual([id])
      expect(parsed.statementIds).toEqual([id])
    }
  })
})
