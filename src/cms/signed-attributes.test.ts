import { X509Certificate } from 'node:crypto'
import { randomBytes } from 'node:crypto'
import * as asn1js from 'asn1js'
import { beforeAll, describe, expect, it } from 'vitest'
import { digest } from '../signer/digest-info.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { CMS_OIDS } from './oids.js'
import { signedAttributes } from './signed-attributes.js'
import { decodeSigningCertificate } from './signing-certificate.js'

let pki: TestPki

beforeAll(async () => {
  pki = await createTestPki()
}, 60_000)

/** The attributes of a DER SET OF Attribute, decoded by asn1js rather than by the code under test. */
function attributesOf(der: Uint8Array): { oid: string; der: Uint8Array; value: Uint8Array }[] {
  const parsed = asn1js.fromBER(der)
  expect(parsed.offset).toBe(der.length)
  const set = parsed.result as asn1js.Set
  expect(set.idBlock.tagNumber).toBe(17)
  return set.valueBlock.value.map((element) => {
    const [type, values] = (element as asn1js.Sequence).valueBlock.value as [asn1js.ObjectIdentifier, asn1js.Set]
    expect(values.valueBlock.value).toHaveLength(1)
    const value = values.valueBlock.value[0] as asn1js.AsnType
    return {
      oid: type.getValue(),
      der: new Uint8Array(element.valueBeforeDecodeView),
      value: new Uint8Array(value.valueBeforeDecodeView),
    }
  })
}

describe('signedAttributes', () => {
  it('writes content-type, message-digest and signing-certificate-v2 in DER order', () => {
    const certificate = pki.leaf('signature-rsa2048').certificate
    const contentDigest = digest('SHA-256', randomBytes(100))
    const der = signedAttributes({ contentDigest, hash: 'SHA-256', certificate, signingTime: new Date('2026-01-02T03:04:05Z') })
    const attributes = attributesOf(der)
    expect(attributes.map((attribute) => attribute.oid).sort()).toEqual(
      [CMS_OIDS.contentType, CMS_OIDS.messageDigest, CMS_OIDS.signingCertificateV2, CMS_OIDS.signingTime].sort(),
    )
    // X.690 §11.6: ascending as octet strings. Buffer.compare agrees with the padded comparison here because
    // no encoding is a prefix of another (each starts with a distinct SEQUENCE header and OID).
    for (let i = 1; i < attributes.length; i++) {
      expect(Buffer.compare(attributes[i - 1]?.der ?? new Uint8Array(), attributes[i]?.der ?? new Uint8Array())).toBeLessThan(0)
    }
    const byOid = new Map(attributes.map((attribute) => [attribute.oid, attribute.value]))
    expect(Buffer.from(byOid.get(CMS_OIDS.messageDigest) ?? []).toString('hex')).toBe(`0420${Buffer.from(contentDigest).toString('hex')}`)
    expect(Buffer.from(byOid.get(CMS_OIDS.signingTime) ?? []).toString('latin1')).toBe('\x17\x0d260102030405Z')
  })

  it('leaves signing-time out unless asked, as PAdES wants', () => {
    const certificate = pki.leaf('signature-rsa2048').certificate
    const der = signedAttributes({ contentDigest: new Uint8Array(32), hash: 'SHA-256', certificate })
    expect(attributesOf(der).map((attribute) => attribute.oid)).not.toContain(CMS_OIDS.signingTime)
  })

  it('omits the DEFAULT SHA-256 hashAlgorithm of ESSCertIDv2 and writes the others', () => {
    const certificate = pki.leaf('signature-ec-p256').certificate
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const der = signedAttributes({ contentDigest: new Uint8Array(digest(hash, new Uint8Array()).length), hash, certificate })
      const value = attributesOf(der).find((attribute) => attribute.oid === CMS_OIDS.signingCertificateV2)?.value ?? new Uint8Array()
      const essCertId = ((asn1js.fromBER(value).result as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock
        .value[0] as asn1js.Sequence
      const first = essCertId.valueBlock.value[0]
      expect(first instanceof asn1js.OctetString).toBe(hash === 'SHA-256')
      const decoded = decodeSigningCertificate(value, 2)
      expect(decoded.hash).toBe(hash)
      expect(decoded.certHash).toEqual(digest(hash, certificate))
    }
  })

  it('names the certificate by its issuer and serial number, byte for byte', () => {
    const certificate = pki.leaf('signature-rsa2048').certificate
    const der = signedAttributes({ contentDigest: new Uint8Array(32), hash: 'SHA-256', certificate })
    const value = attributesOf(der).find((attribute) => attribute.oid === CMS_OIDS.signingCertificateV2)?.value ?? new Uint8Array()
    const { issuerSerial } = decodeSigningCertificate(value, 2)
    const x509 = new X509Certificate(certificate)
    expect(
      Buffer.from(issuerSerial?.serialNumber ?? [])
        .toString('hex')
        .toUpperCase(),
    ).toMatch(new RegExp(`^0210(00)?${x509.serialNumber}$`))
    const issuerDer = issuerSerial?.issuerNames[0] ?? new Uint8Array()
    // The intermediate's subject, as its own certificate encodes it, must be the same bytes.
    expect(Buffer.from(pki.intermediate.certificate).includes(Buffer.from(issuerDer))).toBe(true)
  })

  it('refuses a digest of the wrong length', () => {
    const certificate = pki.leaf('signature-rsa2048').certificate
    expect(() => signedAttributes({ contentDigest: new Uint8Array(20), hash: 'SHA-256', certificate })).toThrow(
      expect.objectContaining({ code: 'INPUT_MALFORMED' }),
    )
  })
})
