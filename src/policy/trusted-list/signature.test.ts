import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SceauError } from '../../errors.js'
import { derToPem, pemToDer } from '../../x509/pem.js'
import { parseTrustedList } from './parse.js'
import { verifyTrustedListSignature } from './signature.js'
import { TSL_XML_MIME_TYPE } from './uris.js'

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../fixtures/${name}`, import.meta.url))
const frBytes = fixture('tl/FR-TL-seq112-2023-02-23.xml')
const frText = frBytes.toString('utf8')
const lotlBytes = fixture('tl/EU-LOTL-seq332-2023-09-27.xml')
const lotl = parseTrustedList(lotlBytes)
const jorry = pemToDer(fixture('certs/Mathieu-JORRY-3310003898jm__3727ba76.pem').toString('utf8'))[0] as Uint8Array

function signersOf(territory: string): readonly Uint8Array[] {
  const pointer = lotl.pointers.find((p) => p.territory === territory && p.mimeType === TSL_XML_MIME_TYPE)
  if (pointer === undefined) throw new Error(`no ${territory} pointer`)
  return pointer.signingCertificates
}

const frSigners = signersOf('FR')
const check = (result: ReturnType<typeof verifyTrustedListSignature>, id: string) => result.checks.find((c) => c.id === id)

// Replaces exactly one occurrence, so a test fails loudly if the fixture text it relies on is not there.
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from)
  if (at < 0) throw new Error(`"${from}" not in the fixture`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

const signatureStart = frText.indexOf('<ds:Signature ')
const signatureEnd = frText.indexOf('</ds:Signature>') + '</ds:Signature>'.length
const signatureXml = frText.slice(signatureStart, signatureEnd)

// xmlsec1 as the independent verifier. The key comes only from --pubkey-cert-pem (KeyInfo's X509Data is disabled
// by --enabled-key-data), because --trusted-pem with the signer's leaf fails: xmlsec1 then wants its issuing CA.
const work = mkdtempSync(join(tmpdir(), 'sceau-tl-signature-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function xmlsec(xml: string | Buffer, signer: Uint8Array): boolean {
  const document = join(work, 'tl.xml')
  const pem = join(work, 'signer.pem')
  writeFileSync(document, xml)
  writeFileSync(pem, derToPem(signer))
  const run = spawnSync(
    'xmlsec1',
    [
      '--verify',
      '--pubkey-cert-pem',
      pem,
      '--enabled-key-data',
      'key-name,rsa',
      '--enabled-reference-uris',
      'empty,same-doc',
      '--id-attr:Id',
      'TrustServiceStatusList',
      '--id-attr:Id',
      'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
      document,
    ],
    { encoding: 'utf8' },
  )
  if (run.error !== undefined) throw run.error
  return run.status === 0
}

describe('verifyTrustedListSignature on the French TL seq 112', () => {
  it('passes with the FR signing certificates of the LOTL pointer, and names Mathieu JORRY', () => {
    const result = verifyTrustedListSignature(frBytes, { signers: frSigners, file: 'FR-TL-seq112-2023-02-23.xml' })
    expect(result.status).toBe('pass')
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['tl.signature.present', 'pass'],
      ['tl.signature.reference', 'pass'],
      ['tl.signature.value', 'pass'],
      ['tl.signature.signer', 'pass'],
    ])
    expect(result.signer?.subject).toContain('CN=Mathieu JORRY 3310003898jm')
    expect(Buffer.from(result.signer?.certificate ?? []).equals(Buffer.from(jorry))).toBe(true)
    expect(xmlsec(frBytes, jorry)).toBe(true)
  })

  it('does not trust the list with the certificates of another country (tl.signature.signer: no chain to them)', () => {
    const result = verifyTrustedListSignature(frText, { signers: signersOf('DE') })
    expect(result.status).toBe('indeterminate')
    expect(check(result, 'tl.signature.value')?.status).toBe('pass')
    expect(check(result, 'tl.signature.signer')).toMatchObject({
      status: 'indeterminate',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      subject: expect.stringContaining('Mathieu JORRY'),
    })
    expect(xmlsec(frBytes, signersOf('DE')[0] as Uint8Array)).toBe(false)
  })

  it('is indeterminate when no signing certificates are given', () => {
    const result = verifyTrustedListSignature(frBytes, { signers: [] })
    expect(result.status).toBe('indeterminate')
    expect(check(result, 'tl.signature.value')?.status).toBe('pass')
    expect(check(result, 'tl.signature.signer')).toMatchObject({
      status: 'indeterminate',
      reason: 'no trusted-list signing certificates given: the signature was not checked against an authority',
    })
  })

  it('finds the signer among the given certificates when KeyInfo is absent', () => {
    // KeyInfo is outside SignedInfo, so dropping it leaves the signature valid.
    const withoutKeyInfo = frText.replace(/<ds:KeyInfo>[\s\S]*?<\/ds:KeyInfo>/, '')
    expect(withoutKeyInfo).not.toContain('<ds:KeyInfo>')
    const result = verifyTrustedListSignature(withoutKeyInfo, { signers: frSigners })
    expect(result.status).toBe('pass')
    expect(result.signer?.subject).toContain('Mathieu JORRY')
  })

  it('fails tl.signature.value when KeyInfo is absent and no given certificate verifies', () => {
    const withoutKeyInfo = frText.replace(/<ds:KeyInfo>[\s\S]*?<\/ds:KeyInfo>/, '')
    const result = verifyTrustedListSignature(withoutKeyInfo, { signers: signersOf('DE').slice(0, 1) })
    expect(result.status).toBe('fail')
    expect(check(result, 'tl.signature.value')).toMatchObject({
      status: 'fail',
      reason: 'the signature value does not verify with any of the 1 given signing certificates',
    })
    expect(check(result, 'tl.signature.signer')?.status).toBe('indeterminate')
  })

  it('fails tl.signature.value when one character of a service name changes, as xmlsec1 does', () => {
    const name = "Acteur de l'Administration d'Etat - Signature 3 étoiles"
    const tampered = replaceOnce(frText, name, name.replace('Etat', 'Etal'))
    const result = verifyTrustedListSignature(tampered, { signers: frSigners })
    expect(result.status).toBe('fail')
    expect(check(result, 'tl.signature.reference')?.status).toBe('pass')
    expect(check(result, 'tl.signature.value')).toMatchObject({ status: 'fail', reason: expect.stringContaining('Reference ""') })
    expect(result.signer).toBeUndefined()
    expect(xmlsec(tampered, jorry)).toBe(false)
  })

  it('refuses a duplicated Signature (wrapping attempt)', () => {
    const duplicated = replaceOnce(frText, '</SchemeInformation>', `${signatureXml}</SchemeInformation>`)
    const result = verifyTrustedListSignature(duplicated, { signers: frSigners })
    expect(result.status).toBe('fail')
    expect(check(result, 'tl.signature.present')).toMatchObject({ status: 'fail', reason: expect.stringContaining('2 ds:Signature') })
  })

  it('refuses a Signature moved away from the root', () => {
    const moved = replaceOnce(frText.replace(signatureXml, ''), '</SchemeInformation>', `${signatureXml}</SchemeInformation>`)
    const result = verifyTrustedListSignature(moved, { signers: frSigners })
    expect(result.status).toBe('fail')
    expect(check(result, 'tl.signature.reference')).toMatchObject({ status: 'fail', reason: expect.stringContaining('not a child') })
  })

  it('refuses a Signature that is not the last child of the root', () => {
    const early = replaceOnce(frText.replace(signatureXml, ''), '<SchemeInformation>', `${signatureXml}<SchemeInformation>`)
    const result = verifyTrustedListSignature(early, { signers: frSigners })
    expect(check(result, 'tl.signature.reference')).toMatchObject({ status: 'fail', reason: expect.stringContaining('last child') })
  })

  it('refuses a second Reference and a Reference to a part of the list', () => {
    const documentReference = signatureXml.slice(signatureXml.indexOf('<ds:Reference '), signatureXml.indexOf('</ds:Reference>') + 15)
    const twice = replaceOnce(frText, documentReference, documentReference + documentReference.replace('Id="xml_ref_id"', ''))
    expect(check(verifyTrustedListSignature(twice, { signers: frSigners }), 'tl.signature.reference')).toMatchObject({
      status: 'fail',
      reason: 'the signature has 2 References to the whole list, not one',
    })
    const partial = replaceOnce(frText, 'URI=""', 'URI="#part"').replace('<SchemeInformation>', '<SchemeInformation Id="part">')
    expect(check(verifyTrustedListSignature(partial, { signers: frSigners }), 'tl.signature.reference')).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('points to neither the whole list'),
    })
    const xpath = replaceOnce(
      frText,
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>97',
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>97',
    )
    expect(check(verifyTrustedListSignature(xpath, { signers: frSigners }), 'tl.signature.reference')?.status).toBe('fail')
  })

  it('refuses a SignedProperties Id repeated elsewhere in the list', () => {
    const id = /<xades:SignedProperties Id="([^"]+)"/.exec(frText)?.[1] ?? ''
    const copied = replaceOnce(frText, '<SchemeInformation>', `<SchemeInformation Id="${id}">`)
    expect(check(verifyTrustedListSignature(copied, { signers: frSigners }), 'tl.signature.reference')).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('matches 2 elements'),
    })
  })

  it('fails tl.signature.present for an unsigned list', () => {
    const unsigned = frText.replace(signatureXml, '')
    const result = verifyTrustedListSignature(unsigned, { signers: frSigners })
    expect(result.status).toBe('fail')
    expect(result.checks).toEqual([
      { id: 'tl.signature.present', status: 'fail', subIndication: 'FORMAT_FAILURE', reason: 'the list has no ds:Signature' },
    ])
  })

  it('throws INPUT_MALFORMED for a DOCTYPE, before reading anything', () => {
    const withDoctype = frText.replace('?>', '?><!DOCTYPE TrustServiceStatusList [<!ENTITY a "b">]>')
    expect(() => verifyTrustedListSignature(withDoctype, { signers: frSigners, file: 'x.xml' })).toThrow(
      expect.objectContaining({ code: 'INPUT_MALFORMED', message: expect.stringContaining('DOCTYPE') }),
    )
    expect(() => verifyTrustedListSignature('<a/>', { signers: [] })).toThrow(SceauError)
  })
})

describe('verifyTrustedListSignature on the EU LOTL seq 332', () => {
  // The LOTL's signers are announced in the OJEU; this fixture also lists them in its own EU pointer, which is
  // what is used here. Trusting a list because it names its own signers would be circular: a caller must source
  // them from the OJEU (or a previous LOTL).
  const euSigners = signersOf('EU')

  it('passes with the certificates of its own EU pointer, signed by the European Commission, as xmlsec1 agrees', () => {
    const result = verifyTrustedListSignature(lotlBytes, { signers: euSigners })
    expect(result.status).toBe('pass')
    expect(result.signer?.subject).toContain('CN=European Commission')
    expect(xmlsec(lotlBytes, result.signer?.certificate ?? new Uint8Array())).toBe(true)
  })

  it('does not trust the LOTL with the FR certificates (tl.signature.signer)', () => {
    const result = verifyTrustedListSignature(lotlBytes, { signers: frSigners })
    expect(check(result, 'tl.signature.signer')?.status).toBe('indeterminate')
  })
})
