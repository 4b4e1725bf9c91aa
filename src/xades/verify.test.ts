import 'reflect-metadata'
import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SignedXml } from 'xml-crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { derToPem } from '../x509/pem.js'
import { signPes } from './sign-pes.js'
import { verifyXml, type SignatureReport } from './verify.js'

const PES = new URL('../../fixtures/pes/', import.meta.url)
const TL = new URL('../../fixtures/tl/', import.meta.url)
const WAIVE = { revocation: { waive: true } } as const

function check(signature: SignatureReport | undefined, id: string): string[] {
  return (signature?.checks ?? []).filter((entry) => entry.id === id).map((entry) => entry.status)
}

describe('verifyXml on real signed PES flows', () => {
  it('PESALR2 (2019, Xemelios signer): both references and the signature value verify; covers Bordereau N10025', async () => {
    const report = await verifyXml(readFileSync(new URL('PESALR2_25060187900027_190328_001.xml', PES)), WAIVE)
    const [signature] = report.signatures
    expect(report.kind).toBe('pes')
    expect(check(signature, 'xmldsig.reference')).toEqual(['pass', 'pass'])
    expect(check(signature, 'xmldsig.signature-value')).toEqual(['pass'])
    expect(check(signature, 'xades.signing-certificate')).toEqual(['pass'])
    expect(check(signature, 'pes.policy')).toEqual(['pass'])
    expect(check(signature, 'pes.placement')).toEqual(['pass'])
    expect(signature?.covers.map((covered) => [covered.scope, covered.id])).toEqual([
      ['bordereau', 'N10025'],
      ['signed-properties', 'IDC1190328100914p0100_SP'],
    ])
    expect(signature?.xades).toMatchObject({ role: 'Maire', place: { city: 'NICE', postalCode: '06000', country: 'FRANCE' } })
    expect(signature?.signingTime).toBe('2019-03-28T09:09:14.187Z')
  })

  it('test-perime (expired DGFiP-issued signer): cryptographically valid, INDETERMINATE OUT_OF_BOUNDS_NO_POE', async () => {
    const report = await verifyXml(readFileSync(new URL('test-perime-04-04-2016.xml', PES)), WAIVE)
    const [signature] = report.signatures
    expect(check(signature, 'xmldsig.reference')).toEqual(['pass', 'pass'])
    expect(check(signature, 'xmldsig.signature-value')).toEqual(['pass'])
    expect(signature).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' })
    expect(signature?.checks.find((entry) => entry.id === 'certificate')?.reason).toMatch(
      /valid from 2013-04-04T08:17:46.000Z to 2016-04-04T08:17:46.000Z, not at /,
    )
  })

  it('test-alteree: the SignedProperties reference fails, as xmlsec1 says (TOTAL_FAILED HASH_FAILURE)', async () => {
    const report = await verifyXml(readFileSync(new URL('test-alteree.xml', PES)), WAIVE)
    const [signature] = report.signatures
    expect(signature?.covers.map((covered) => [covered.scope, covered.digestValid])).toEqual([
      ['bordereau', true],
      ['signed-properties', false],
    ])
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
  })
})

describe('verifyXml on real trusted lists', () => {
  for (const name of ['FR-TL-seq112-2023-02-23.xml', 'EU-LOTL-seq332-2023-09-27.xml']) {
    it(`${name}: one XAdES signature over the whole list verifies`, async () => {
      const bytes = readFileSync(new URL(name, TL))
      const report = await verifyXml(bytes, WAIVE)
      expect(report.kind).toBe('xml')
      const [signature] = report.signatures
      expect(signature?.covers[0]).toMatchObject({ uri: '', scope: 'document', element: 'TrustServiceStatusList', digestValid: true })
      expect(check(signature, 'xmldsig.signature-value')).toEqual(['pass'])
      expect(check(signature, 'xades.signing-certificate')).toEqual(['pass'])

      const tampered = Buffer.from(bytes)
      // The first character of the scheme operator's name (TLs use the default namespace, no prefix).
      const text = tampered.indexOf('>', tampered.indexOf('<Name', tampered.indexOf('<SchemeOperatorName>'))) + 1
      expect(text).toBeGreaterThan(0)
      tampered[text] = tampered[text] === 0x41 ? 0x42 : 0x41
      const broken = await verifyXml(tampered, WAIVE)
      expect(broken).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }
})

describe('signature wrapping and misplaced signatures', () => {
  let pki: TestPki
  let signed: Buffer
  beforeAll(async () => {
    pki = await createTestPki()
    const leaf = pki.leaf('signature-rsa2048')
    const real = readFileSync(new URL('PESALR2_25060187900027_190328_001.xml', PES))
    const unsigned = Buffer.concat([real.subarray(0, real.indexOf('<ds:Signature')), real.subarray(real.indexOf('</ds:Signature>') + 15)])
    const bordereau = unsigned
      .subarray(unsigned.indexOf('<Bordereau Id="N10025">'), unsigned.indexOf('</Bordereau>') + 12)
      .toString('latin1')
    const end = unsigned.indexOf('</Bordereau>') + 12
    const two = Buffer.concat([unsigned.subarray(0, end), Buffer.from(bordereau.replace('N10025', 'B2'), 'latin1'), unsigned.subarray(end)])
    const signer = KeySigner.fromPkcs8({ key: leaf.privateKey, certificate: leaf.certificate })
    signed = Buffer.from((await signPes(two, signer)).document)
  }, 60_000)

  it('refuses an Id carried twice: a copy of the signed bordereau slipped in beside a changed original', async () => {
    const text = signed.toString('latin1')
    const original = text.slice(text.indexOf('<Bordereau Id="N10025">'), text.indexOf('</Bordereau>') + 12)
    const unsignedCopy = original.slice(0, original.indexOf('<ds:Signature')) + '</Bordereau>'
    const wrapped = Buffer.from(
      text.replace('</PES_DepenseAller>', `${unsignedCopy.replace('4874.40', '9874.40')}</PES_DepenseAller>`),
      'latin1',
    )
    const report = await verifyXml(wrapped, WAIVE)
    const reference = report.signatures[0]?.checks.find((entry) => entry.id === 'xmldsig.reference')
    expect(reference).toMatchObject({ status: 'fail', reason: expect.stringMatching(/Id "N10025" is carried by 2 elements/) })
    expect(report.indication).toBe('TOTAL_FAILED')
  })

  it('refuses a signature moved into another bordereau (it covers something else than where it sits)', async () => {
    const text = signed.toString('latin1')
    const first = text.slice(text.indexOf('<ds:Signature'), text.indexOf('</ds:Signature>') + 15)
    const withoutFirst = text.replace(first, '')
    const secondSignature = withoutFirst.indexOf('<ds:Signature')
    const moved = withoutFirst.slice(0, secondSignature) + first + withoutFirst.slice(secondSignature)
    const report = await verifyXml(Buffer.from(moved, 'latin1'), WAIVE)
    expect(report.signatures.find((signature) => signature.covers[0]?.id === 'N10025')?.checks).toContainEqual(
      expect.objectContaining({ id: 'pes.placement', status: 'fail' }),
    )
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pes.bordereaux-signed', status: 'fail' }))
  })

  it('never fetches a reference outside the document, and fails the flow whose bordereau it no longer signs', async () => {
    const outside = Buffer.from(signed.toString('latin1').replace('URI="#N10025"', 'URI="https://example.org/flow.xml"'), 'latin1')
    const report = await verifyXml(outside, WAIVE)
    expect(report.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({
        id: 'xmldsig.reference',
        status: 'indeterminate',
        subIndication: 'SIGNED_DATA_NOT_FOUND',
        reason: expect.stringContaining('outside the document'),
      }),
    )
    expect(report.indication).toBe('TOTAL_FAILED')
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pes.bordereaux-signed', status: 'fail' }))
  })

  it('reports an unsigned flow as TOTAL_FAILED', async () => {
    const report = await verifyXml(
      Buffer.from(signed.toString('latin1').replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, ''), 'latin1'),
      WAIVE,
    )
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', signatures: [] })
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pes.signed', status: 'fail' }))
  })
})

describe('signatures made by xml-crypto', () => {
  let pki: TestPki
  beforeAll(async () => {
    pki = await createTestPki()
  }, 60_000)

  const xml = '<doc xmlns="urn:example" xmlns:x="urn:x"><a x:attr="1">caf\u00e9 &amp; tea</a><b Id="part"><c>  text  </c></b></doc>'

  for (const canonicalization of ['http://www.w3.org/2001/10/xml-exc-c14n#', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315']) {
    it(`verifies an enveloped signature with ${canonicalization.split('/').pop()} and refuses it once changed`, async () => {
      const leaf = pki.leaf('signature-rsa2048')
      const signer = new SignedXml({
        privateKey: createPrivateKey({ key: Buffer.from(leaf.privateKey), format: 'der', type: 'pkcs8' }),
        publicCert: derToPem(leaf.certificate),
        signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        canonicalizationAlgorithm: canonicalization,
      })
      signer.addReference({
        xpath: "//*[local-name(.)='b']",
        transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', canonicalization],
        digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      })
      signer.computeSignature(xml, { location: { reference: "//*[local-name(.)='doc']", action: 'append' } })
      const signedXml = Buffer.from(signer.getSignedXml(), 'utf8')
      const report = await verifyXml(signedXml, WAIVE)
      const [signature] = report.signatures
      expect(signature?.covers).toEqual([{ uri: '#part', scope: 'element', element: 'b', id: 'part', digestValid: true }])
      expect(check(signature, 'xmldsig.signature-value')).toEqual(['pass'])
      const changed = await verifyXml(Buffer.from(signedXml.toString('utf8').replace('  text  ', ' text  '), 'utf8'), WAIVE)
      expect(changed).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }
})
