import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { ExclusiveCanonicalization } from 'xml-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testSigner, testTrust } from '../testing/signers.js'
import { startPkiTsa } from '../testing/tsa.js'
import { canonicalizeElementAt } from '../xml/digest.js'
import { elementById, indexDocument } from '../xml/index-document.js'
import { canonicalSignedInfo, mimeTypeOf, signXadesDetached, signXadesDetachedFile } from './sign-detached.js'
import { verifyXmlFile, type SignatureReport, type VerifyXmlOptions } from './verify.js'

const DS = 'http://www.w3.org/2000/09/xmldsig#'
const XADES = 'http://uri.etsi.org/01903/v1.3.2#'
const TIME = new Date('2026-03-02T09:30:00.123Z')

let pki: TestPki
let rsa: KeySigner
let ec: KeySigner
let dir: string

beforeAll(async () => {
  pki = await createTestPki()
  rsa = testSigner(pki)
  ec = testSigner(pki, 'signature-ec-p256', { chain: false })
  dir = mkdtempSync(join(tmpdir(), 'sceau-xades-detached-'))
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function trust(extra: VerifyXmlOptions = {}): VerifyXmlOptions {
  return { ...testTrust(pki), intermediates: [pki.intermediate.certificate], ...extra }
}

/** Writes `content` as `name` in a fresh directory and signs it there; returns both paths. */
async function signed(
  name: string,
  content: Uint8Array,
  signer = rsa,
  options: Parameters<typeof signXadesDetachedFile>[2] = {},
): Promise<{ file: string; signature: string; xml: string }> {
  const folder = mkdtempSync(join(dir, 'case-'))
  const file = join(folder, name)
  writeFileSync(file, content)
  const bytes = await signXadesDetachedFile(file, signer, { signingTime: TIME, ...options })
  const signature = `${file}.xades.xml`
  writeFileSync(signature, bytes)
  return { file, signature, xml: Buffer.from(bytes).toString('utf8') }
}

function check(signature: SignatureReport | undefined, id: string): { status: string; reason: string } | undefined {
  return signature?.checks.find((entry) => entry.id === id)
}

/** Re-signs a changed signature document with `signer`: new SignedProperties digest and SignatureValue. */
async function resign(xml: string, signer: KeySigner): Promise<string> {
  const bytes = Buffer.from(xml, 'utf8')
  const index = indexDocument(bytes)
  const id = /<xades:SignedProperties Id="([^"]+)"/.exec(xml)?.[1] ?? ''
  const digest = createHash('sha256')
    .update(canonicalizeElementAt(bytes, index.encoding, elementById(index, id)))
    .digest('base64')
  const withDigest = xml.replace(
    /(URI="#[^"]+-signedprops">[\s\S]*?<ds:DigestValue>)[^<]*(<\/ds:DigestValue>)/,
    (_, open: string, close: string) => `${open}${digest}${close}`,
  )
  const value = await signer.sign(canonicalSignedInfo(Buffer.from(withDigest, 'utf8')), 'RSASSA-PKCS1-v1_5-SHA256')
  return withDigest.replace(/(<ds:SignatureValue[^>]*>)[^<]*/, (_, open: string) => open + Buffer.from(value).toString('base64'))
}

describe('signXadesDetachedFile', () => {
  it('RSA: a standalone ds:Signature over the file, XAdES B-B, that verifies TOTAL_PASSED and covers the file', async () => {
    const { signature, xml } = await signed('offre.zip', new Uint8Array(3 * 1024 * 1024 + 5).fill(7))
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<ds:Signature xmlns:ds="')).toBe(true)
    const doc = new DOMParser().parseFromString(xml, 'text/xml')
    const references = doc.getElementsByTagNameNS(DS, 'Reference')
    expect(references.length).toBe(2)
    expect(references[0]?.getAttribute('URI')).toBe('offre.zip')
    expect(references[0]?.getElementsByTagNameNS(DS, 'Transform').length).toBe(0)
    expect(references[1]?.getAttribute('Type')).toBe('http://uri.etsi.org/01903#SignedProperties')
    expect(doc.getElementsByTagNameNS(DS, 'X509Certificate').length).toBe(2)
    const format = doc.getElementsByTagNameNS(XADES, 'DataObjectFormat')[0]
    expect(format?.getAttribute('ObjectReference')).toBe(`#${references[0]?.getAttribute('Id')}`)
    expect(format?.textContent).toBe('application/zip')
    expect(doc.getElementsByTagNameNS(XADES, 'SigningTime')[0]?.textContent).toBe('2026-03-02T09:30:00Z')
    expect(doc.getElementsByTagNameNS(XADES, 'IssuerSerialV2').length).toBe(1)

    const report = await verifyXmlFile(signature, trust())
    const [result] = report.signatures
    expect(result?.checks.filter((entry) => entry.status !== 'pass')).toEqual([])
    expect(report).toMatchObject({ indication: 'TOTAL_PASSED', kind: 'xml' })
    expect(result?.covers.filter((covered) => covered.scope === 'detached')).toEqual([
      { uri: 'offre.zip', scope: 'detached', element: 'offre.zip', file: signature.replace(/\.xades\.xml$/, ''), digestValid: true },
    ])
    expect(check(result, 'xades.signing-certificate')?.reason).toMatch(/^SigningCertificateV2 /)
    expect(check(result, 'xades.data-object-format')?.status).toBe('pass')
    expect(result?.timestamp).toBeUndefined()
  })

  it('EC: the signature value is r‖s (64 bytes for P-256) and verifies', async () => {
    const { signature, xml } = await signed('contrat.pdf', new TextEncoder().encode('%PDF-1.7 contrat'), ec)
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"')
    const value = /<ds:SignatureValue[^>]*>([^<]*)</.exec(xml)?.[1] ?? ''
    expect(Buffer.from(value, 'base64').length).toBe(64)
    expect(xml).toContain('<xades:MimeType>application/pdf</xades:MimeType>')
    const report = await verifyXmlFile(signature, trust())
    expect(report.signatures[0]?.checks.filter((entry) => entry.status !== 'pass')).toEqual([])
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('fails with HASH_FAILURE once one byte of the content changes', async () => {
    const { file, signature } = await signed('offre.zip', new Uint8Array(2 * 1024 * 1024).fill(1))
    const bytes = readFileSync(file)
    bytes[1_500_000] = 2
    writeFileSync(file, bytes)
    const report = await verifyXmlFile(signature, trust())
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    expect(report.signatures[0]?.covers.find((covered) => covered.scope === 'detached')?.digestValid).toBe(false)
  })

  it('fails once the SigningTime changes (the SignedProperties are signed)', async () => {
    const { signature, xml } = await signed('note.txt', new TextEncoder().encode('hello'))
    writeFileSync(signature, xml.replace('2026-03-02T09:30:00Z', '2026-03-01T09:30:00Z'))
    const report = await verifyXmlFile(signature, trust())
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    expect(report.signatures[0]?.covers.find((covered) => covered.scope === 'signed-properties')?.digestValid).toBe(false)
  })

  it('percent-encodes a name with spaces and accents in the URI, and finds the file again from it', async () => {
    const name = 'Offre finale lot n°2 (été).docx'
    const { signature, xml } = await signed(name, new TextEncoder().encode('docx'))
    expect(xml).toContain('URI="Offre%20finale%20lot%20n%C2%B02%20(%C3%A9t%C3%A9).docx"')
    expect(xml).toContain('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
    const report = await verifyXmlFile(signature, trust())
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.signatures[0]?.covers[0]).toMatchObject({ scope: 'detached', element: name, digestValid: true })
  })

  it('uses the `content` option whatever the name, and is INDETERMINATE SIGNED_DATA_NOT_FOUND without content', async () => {
    const { file, signature } = await signed('offre.zip', new TextEncoder().encode('offer'))
    const moved = join(dir, 'elsewhere', 'renamed.bin')
    mkdirSync(join(dir, 'elsewhere'), { recursive: true })
    renameSync(file, moved)
    const missing = await verifyXmlFile(signature, trust())
    expect(missing).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' })
    expect(check(missing.signatures[0], 'xmldsig.reference')?.reason).toMatch(/cannot be read/)
    const given = await verifyXmlFile(signature, trust({ content: moved }))
    expect(given.indication).toBe('TOTAL_PASSED')
    expect(given.signatures[0]?.covers[0]).toMatchObject({ scope: 'detached', file: moved, digestValid: true })
  })

  it('never reads above the signature directory nor fetches URIs with a scheme, unless the content is given', async () => {
    for (const [uri, why] of [
      ['..%2Fsecret.zip', /outside the signature's directory/],
      ['https://example.org/offre.zip', /https: URI, which sceau never fetches/],
      ['file:///etc/passwd', /file: URI/],
      ['/etc/passwd', /absolute path/],
    ] as const) {
      const { file, signature } = await signed('offre.zip', new TextEncoder().encode('offer'), rsa, { referenceUri: uri })
      const report = await verifyXmlFile(signature, trust())
      // Content sceau will not read is data it cannot obtain: undecided (EN 319 102-1 §5.2.7), never fetched.
      expect(check(report.signatures[0], 'xmldsig.reference')).toMatchObject({
        status: 'indeterminate',
        subIndication: 'SIGNED_DATA_NOT_FOUND',
        reason: expect.stringMatching(why),
      })
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' })
      expect((await verifyXmlFile(signature, trust({ content: file }))).indication).toBe('TOTAL_PASSED')
    }
  })

  it('writes and reports the commitment type, the role and the policy', async () => {
    const policyHash = createHash('sha256').update('policy').digest('base64')
    const { signature, xml } = await signed('offre.zip', new TextEncoder().encode('offer'), rsa, {
      commitmentType: 'approval',
      role: 'Directeur <achats> & marchés',
      policy: { oid: '1.2.250.1.999.1', hashAlgorithm: 'SHA-256', hash: policyHash, uri: 'https://example.fr/politique.pdf' },
      mimeType: 'application/x-custom',
    })
    expect(xml).toContain('<xades:Identifier>http://uri.etsi.org/01903/v1.2.2#ProofOfApproval</xades:Identifier>')
    expect(xml).toContain('<xades:ClaimedRole>Directeur &#x3C;achats&#x3E; &#x26; marchés</xades:ClaimedRole>')
    const report = await verifyXmlFile(signature, trust())
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(report.signatures[0]?.xades).toMatchObject({
      version: XADES,
      commitmentTypes: ['approval'],
      role: 'Directeur <achats> & marchés',
      policy: { oid: '1.2.250.1.999.1', hash: policyHash, known: false },
    })
  })

  it('guesses MIME types from the extension', () => {
    expect(['a.PDF', 'b.xlsx', 'c.odt', 'd.csv', 'e.p7s', 'f.unknown', 'noext'].map(mimeTypeOf)).toEqual([
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.oasis.opendocument.text',
      'text/csv',
      'application/pkcs7-signature',
      'application/octet-stream',
      'application/octet-stream',
    ])
  })

  it('refuses a content digest made with another hash than the algorithm signs', async () => {
    const digest = createHash('sha384').update('x').digest()
    await expect(signXadesDetached({ digest, hash: 'SHA-384', name: 'x.txt' }, rsa)).rejects.toMatchObject({ code: 'USAGE' })
  })

  it('refuses a reference URI that would point into the signature itself', async () => {
    const digest = createHash('sha256').update('x').digest()
    for (const referenceUri of ['', '#id']) {
      await expect(signXadesDetached({ digest, hash: 'SHA-256', name: 'x.txt' }, rsa, { referenceUri })).rejects.toMatchObject({
        code: 'USAGE',
      })
    }
  })

  it('refuses a file it cannot read with FILE_NOT_FOUND', async () => {
    await expect(signXadesDetachedFile(join(dir, 'absent.zip'), rsa)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
  })
})

describe('the canonical SignedInfo', () => {
  it('is byte for byte what xml-crypto’s exclusive canonicaliser makes of the written SignedInfo', async () => {
    for (const signer of [rsa, ec]) {
      const xml = Buffer.from(
        await signXadesDetached({ digest: createHash('sha256').update('x').digest(), hash: 'SHA-256', name: 'é x.pdf' }, signer, {
          commitmentType: 'origin',
        }),
      )
      const doc = new DOMParser().parseFromString(xml.toString('utf8'), 'text/xml')
      const signedInfo = doc.getElementsByTagNameNS(DS, 'SignedInfo')[0]
      const theirs = new ExclusiveCanonicalization().process(signedInfo as never, {}) as unknown as string
      expect(Buffer.from(canonicalSignedInfo(xml)).toString('utf8')).toBe(theirs)
      // The SignedProperties digest too: the same canonicaliser, the other way round.
      const signedProperties = doc.getElementsByTagNameNS(XADES, 'SignedProperties')[0]
      const propertiesDigest = createHash('sha256')
        .update(new ExclusiveCanonicalization().process(signedProperties as never, {}) as unknown as string)
        .digest('base64')
      expect(doc.getElementsByTagNameNS(DS, 'DigestValue')[1]?.textContent).toBe(propertiesDigest)
    }
  })
})

describe('XAdES checks on a detached signature', () => {
  it('fails when IssuerSerialV2 names another certificate (signed, so only the comparison can catch it)', async () => {
    const { signature, xml } = await signed('offre.zip', new TextEncoder().encode('offer'))
    const other = await signed('other.zip', new TextEncoder().encode('x'), ec)
    const otherIssuerSerial = /<xades:IssuerSerialV2>([^<]*)</.exec(other.xml)?.[1] ?? ''
    writeFileSync(signature, await resign(xml.replace(/(<xades:IssuerSerialV2>)[^<]*/, `$1${otherIssuerSerial}`), rsa))
    const report = await verifyXmlFile(signature, trust())
    expect(check(report.signatures[0], 'xmldsig.signature-value')?.status).toBe('pass')
    expect(check(report.signatures[0], 'xades.signing-certificate')).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/^SigningCertificateV2: IssuerSerialV2 serial \d+ is not the certificate's/),
    })
    expect(report.indication).toBe('TOTAL_FAILED')
  })

  it('warns when DataObjectFormat points at no Reference (it describes data, it binds nothing)', async () => {
    const { signature, xml } = await signed('offre.zip', new TextEncoder().encode('offer'))
    writeFileSync(signature, await resign(xml.replace(/ObjectReference="#[^"]+"/, 'ObjectReference="#nowhere"'), rsa))
    const report = await verifyXmlFile(signature, trust())
    expect(check(report.signatures[0], 'xmldsig.signature-value')?.status).toBe('pass')
    expect(check(report.signatures[0], 'xades.data-object-format')).toMatchObject({
      status: 'warning',
      reason: expect.stringContaining('#nowhere'),
    })
    expect(report.indication).toBe('TOTAL_PASSED')
  })
})

describe('B-T', () => {
  it('time-stamps the canonical SignatureValue; the time is reported and the signer judged at it', async () => {
    const tsa = await startPkiTsa(pki)
    try {
      const { signature, xml } = await signed('offre.zip', new TextEncoder().encode('offer'), rsa, {
        timestamp: { url: tsa.url },
        signingTime: new Date(),
      })
      expect(xml).toMatch(
        /<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="[^"]+"><ds:CanonicalizationMethod Algorithm="http:\/\/www.w3.org\/2001\/10\/xml-exc-c14n#"\/><xades:EncapsulatedTimeStamp>/,
      )
      const report = await verifyXmlFile(signature, trust())
      const [result] = report.signatures
      expect(result?.checks.filter((entry) => entry.status !== 'pass')).toEqual([])
      expect(check(result, 'timestamp')).toMatchObject({ status: 'pass', reason: expect.stringContaining('sceau Test TSA') })
      expect(Math.abs(Date.parse(result?.timestamp ?? '') - Date.now())).toBeLessThan(60_000)

      // Four years on the signer certificate has expired, and so has RSA-2048 with PKCS#1 v1.5 (ETSI TS 119 312:
      // acceptable until 2029): the time-stamp's own signature is past that date with nothing proving it older, so it
      // proves no time any more (only an archive time-stamp, B-LTA, would) and the signature is undecided, as an
      // untimed one is.
      const later = trust({ at: new Date(pki.now.getTime() + 4 * 365 * 24 * 3600 * 1000) })
      const aged = await verifyXmlFile(signature, later)
      expect(aged).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' })
      expect(check(aged.signatures[0], 'timestamp')).toMatchObject({ status: 'warning', reason: expect.stringMatching(/RSA/) })
      const untimed = await signed('offre.zip', new TextEncoder().encode('offer'))
      expect(await verifyXmlFile(untimed.signature, later)).toMatchObject({
        indication: 'INDETERMINATE',
        subIndication: 'OUT_OF_BOUNDS_NO_POE',
      })

      // A time-stamp over another SignatureValue (taken from another signature) does not match the imprint: it proves
      // no time (EN 319 102-1 §5.5.4 sets it aside), so years later the signature is undecided, as if never stamped.
      const token = /<xades:EncapsulatedTimeStamp>([^<]*)</.exec(xml)?.[1] ?? ''
      const second = await signed('offre.zip', new TextEncoder().encode('offer'), rsa, { timestamp: { url: tsa.url } })
      writeFileSync(second.signature, second.xml.replace(/(<xades:EncapsulatedTimeStamp>)[^<]*/, `$1${token}`))
      const swapped = await verifyXmlFile(second.signature, later)
      expect(check(swapped.signatures[0], 'timestamp')).toMatchObject({ status: 'warning', reason: expect.stringContaining('imprint') })
      expect(swapped).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' })
      expect(swapped.signatures[0]?.timestamp).toBeUndefined()
    } finally {
      await tsa.close()
    }
  })
})
