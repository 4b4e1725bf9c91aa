import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testSigner } from '../testing/signers.js'
import { KNOWN_PES_POLICIES } from './policies.js'
import { signPes, signPesFile, type SignPesOptions } from './sign-pes.js'
import { verifyXml, verifyXmlFile } from './verify.js'

const FIXTURES = new URL('../../fixtures/pes/', import.meta.url)
const REAL = readFileSync(new URL('PESALR2_25060187900027_190328_001.xml', FIXTURES))
const SIGNATURE_START = REAL.indexOf('<ds:Signature')
const SIGNATURE_END = REAL.indexOf('</ds:Signature>') + '</ds:Signature>'.length
/** The real flow with its signature removed: an unsigned ISO-8859-1 PES_Aller with one Bordereau N10025. */
const UNSIGNED = Buffer.concat([REAL.subarray(0, SIGNATURE_START), REAL.subarray(SIGNATURE_END)])
const BORDEREAU = UNSIGNED.subarray(UNSIGNED.indexOf('<Bordereau Id="N10025">'), UNSIGNED.indexOf('</Bordereau>') + '</Bordereau>'.length)

/** The unsigned flow with extra copies of its bordereau, under the given Ids (undefined: no Id attribute). */
function withBordereaux(ids: (string | undefined)[]): Buffer {
  const end = UNSIGNED.indexOf('</Bordereau>') + '</Bordereau>'.length
  const copies = ids.map((id) =>
    Buffer.from(
      BORDEREAU.toString('latin1').replace('<Bordereau Id="N10025">', id === undefined ? '<Bordereau>' : `<Bordereau Id="${id}">`),
      'latin1',
    ),
  )
  return Buffer.concat([UNSIGNED.subarray(0, end), ...copies, UNSIGNED.subarray(end)])
}

function signaturesOf(document: Uint8Array): { start: number; end: number }[] {
  const bytes = Buffer.from(document)
  const found: { start: number; end: number }[] = []
  for (let at = bytes.indexOf('<ds:Signature '); at >= 0; at = bytes.indexOf('<ds:Signature ', at + 1)) {
    found.push({ start: at, end: bytes.indexOf('</ds:Signature>', at) + '</ds:Signature>'.length })
  }
  return found
}

function withoutSignatures(document: Uint8Array): Buffer {
  const bytes = Buffer.from(document)
  const parts: Buffer[] = []
  let from = 0
  for (const { start, end } of signaturesOf(bytes)) {
    parts.push(bytes.subarray(from, start))
    from = end
  }
  parts.push(bytes.subarray(from))
  return Buffer.concat(parts)
}

let pki: TestPki
let rsa: KeySigner
let ec: KeySigner
const TIME = new Date('2026-03-02T09:30:00.123Z')

beforeAll(async () => {
  pki = await createTestPki()
  rsa = testSigner(pki)
  ec = testSigner(pki, 'signature-ec-p256', { chain: false })
}, 60_000)

async function sign(input: Uint8Array, options: SignPesOptions = {}, signer = rsa) {
  return signPes(input, signer, { signingTime: TIME, ...options })
}

async function verify(document: Uint8Array) {
  return verifyXml(document, {
    anchors: [pki.root.certificate],
    intermediates: [pki.intermediate.certificate],
    revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
    at: new Date(pki.now.getTime() + 60_000),
  })
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isSceauError(err)) throw new Error(`expected a SceauError, got ${String(err)}`)
  return { code: err.code, message: err.message }
}

describe('signPes per bordereau', () => {
  it('signs every bordereau, and sceau verifies each signature with the test PKI as TOTAL_PASSED', async () => {
    const input = withBordereaux(['B2', 'B3'])
    const result = await sign(input)
    expect(result.signatures.map((signature) => signature.elementId)).toEqual(['N10025', 'B2', 'B3'])
    const report = await verify(result.document)
    expect(report.kind).toBe('pes')
    expect(report.signatures.map((signature) => [signature.indication, signature.covers[0]?.id])).toEqual([
      ['TOTAL_PASSED', 'N10025'],
      ['TOTAL_PASSED', 'B2'],
      ['TOTAL_PASSED', 'B3'],
    ])
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('leaves every byte outside the signatures as it was, ISO-8859-1 included', async () => {
    const input = withBordereaux(['B2'])
    const { document } = await sign(input)
    expect(withoutSignatures(document).equals(input)).toBe(true)
    // Each signature is the last child of its bordereau, with no whitespace added around it.
    for (const { end } of signaturesOf(document))
      expect(
        Buffer.from(document)
          .subarray(end, end + 12)
          .toString('latin1'),
      ).toBe('</Bordereau>')
  })

  it('writes Latin-1 characters as bytes and others as character references in an ISO-8859-1 flow', async () => {
    const { document } = await sign(UNSIGNED, {
      role: 'Trésorière’s € deputy',
      place: { city: 'Saint-Étienne', postalCode: '42000', country: 'France' },
    })
    const bytes = Buffer.from(document)
    expect(bytes.includes(Buffer.from('<xad:ClaimedRole>Tr\xe9sori\xe8re&#x2019;s &#x20AC; deputy</xad:ClaimedRole>', 'latin1'))).toBe(true)
    expect(bytes.includes(Buffer.from('<xad:City>Saint-\xc9tienne</xad:City>', 'latin1'))).toBe(true)
    const report = await verify(document)
    expect(report.signatures[0]?.xades?.role).toBe('Trésorière’s € deputy')
    expect(report.signatures[0]?.indication).toBe('TOTAL_PASSED')
  })

  it('keeps a UTF-8 flow in UTF-8', async () => {
    const utf8 = Buffer.from(UNSIGNED.toString('latin1').replace('encoding="ISO-8859-1"', 'encoding="UTF-8"'), 'utf8')
    const { document } = await sign(utf8, { role: 'Trésorière’s' })
    expect(Buffer.from(document).includes(Buffer.from('<xad:ClaimedRole>Trésorière’s</xad:ClaimedRole>', 'utf8'))).toBe(true)
    expect(withoutSignatures(document).equals(utf8)).toBe(true)
    expect((await verify(document)).indication).toBe('TOTAL_PASSED')
  })

  it('signs with an EC key (ECDSA-SHA256, r‖s signature value)', async () => {
    const { document } = await sign(UNSIGNED, {}, ec)
    expect(Buffer.from(document).toString('latin1')).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"')
    const report = await verify(document)
    expect(report.signatures[0]?.checks.find((check) => check.id === 'xmldsig.signature-value')?.status).toBe('pass')
  })
})

describe('signPes whole flow', () => {
  it('puts one signature last in PES_Aller, covering the root by its Id', async () => {
    const { document, signatures } = await sign(withBordereaux(['B2']), { placement: 'whole' })
    expect(signatures).toEqual([
      { id: 'M07802724420170919175245964_SIG_1', element: 'PES_Aller', elementId: 'M07802724420170919175245964' },
    ])
    const text = Buffer.from(document).toString('latin1')
    expect(text.trimEnd().endsWith('</ds:Signature></n:PES_Aller>')).toBe(true)
    const report = await verify(document)
    expect(report.signatures[0]?.covers[0]).toMatchObject({ scope: 'document', id: 'M07802724420170919175245964' })
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('may cover bordereaux already signed (a technical signature over business ones), which stay valid', async () => {
    const perBordereau = await sign(withBordereaux(['B2']))
    const { document } = await sign(perBordereau.document, { placement: 'whole' })
    const report = await verify(document)
    expect(report.signatures).toHaveLength(3)
    expect(report.signatures.every((signature) => signature.indication === 'TOTAL_PASSED')).toBe(true)
  })
})

describe('signPes refusals and repairs', () => {
  it('refuses to co-sign a bordereau (ALREADY_SIGNED)', async () => {
    expect(await rejection(sign(REAL))).toMatchObject({ code: 'ALREADY_SIGNED', message: expect.stringContaining('N10025') })
  })

  it('refuses a flow whose InfoDematerialisee is 0, and sets it to 1 before hashing when asked', async () => {
    const paper = Buffer.from(UNSIGNED.toString('latin1').replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/>'), 'latin1')
    expect(await rejection(sign(paper))).toMatchObject({ code: 'PES_INFO_DEMATERIALISEE' })
    const { document, changes } = await sign(paper, { setInfoDematerialisee: true })
    expect(changes.infoDematerialisee).toBe(1)
    expect(withoutSignatures(document).equals(UNSIGNED)).toBe(true)
    expect((await verify(document)).indication).toBe('TOTAL_PASSED')
  })

  it('creates a missing InfoDematerialisee where the Xemelios signer puts it', async () => {
    const missing = Buffer.from(UNSIGNED.toString('latin1').replace('<InfoDematerialisee V="1"/>', ''), 'latin1')
    const { document } = await sign(missing, { setInfoDematerialisee: true })
    expect(withoutSignatures(document).equals(UNSIGNED)).toBe(true)
  })

  it('refuses bordereaux without a usable Id, and adds BORD_n Ids when asked', async () => {
    const noId = withBordereaux([undefined, '12345'])
    const refused = await rejection(sign(noId))
    expect(refused.code).toBe('PES_ID_INVALID')
    expect(refused.message).toMatch(/--add-ids/)
    const { document, changes } = await sign(noId, { addMissingIds: true })
    expect(changes.idsAdded).toEqual(['BORD_1', 'BORD_2'])
    const report = await verify(document)
    expect(report.signatures.map((signature) => signature.covers[0]?.id)).toEqual(['N10025', 'BORD_1', 'BORD_2'])
    expect(report.indication).toBe('TOTAL_PASSED')
  })

  it('refuses a document that is not a PES_Aller, and one with a DOCTYPE', async () => {
    expect(await rejection(sign(Buffer.from('<PES_Retour/>')))).toMatchObject({ code: 'PES_STRUCTURE' })
    const doctype = Buffer.from(UNSIGNED.toString('latin1').replace('<n:PES_Aller', '<!DOCTYPE x [<!ENTITY a "b">]><n:PES_Aller'), 'latin1')
    expect(await rejection(sign(doctype))).toMatchObject({ code: 'INPUT_MALFORMED', message: expect.stringContaining('DOCTYPE') })
  })
})

describe('the signature has the shape of the real DGFiP-profile signatures', () => {
  const shape = (xml: string): string[] => {
    const document = new DOMParser().parseFromString(`<w xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${xml}</w>`, 'text/xml')
    const names: string[] = []
    const walk = (node: Element, depth: number): void => {
      names.push(`${'  '.repeat(depth)}{${node.namespaceURI}}${node.localName}`)
      for (let child = node.firstChild; child !== null; child = child.nextSibling)
        if (child.nodeType === 1) walk(child as Element, depth + 1)
    }
    walk(document.documentElement?.firstChild as Element, 0)
    return names
  }

  it('has the elements of the 2019 production signature, in the same order', async () => {
    const { document } = await sign(UNSIGNED, { role: 'Maire', place: { city: 'NICE', postalCode: '06000', country: 'FRANCE' } })
    const ours = signaturesOf(document)[0] as { start: number; end: number }
    const real = REAL.subarray(SIGNATURE_START, SIGNATURE_END).toString('latin1')
    expect(shape(Buffer.from(document).subarray(ours.start, ours.end).toString('latin1'))).toEqual(shape(real))
  })

  it('names the issuer as Java prints it and the serial in decimal', async () => {
    const { document } = await sign(UNSIGNED)
    const text = Buffer.from(document).toString('latin1')
    expect(text).toContain('<ds:X509IssuerName>CN=sceau Test Agents CA,OU=0002 000000001,O=sceau TEST,C=FR</ds:X509IssuerName>')
    expect(text).toMatch(/<ds:X509SerialNumber>\d+<\/ds:X509SerialNumber>/)
    expect(text).toContain('<xad:SigningTime>2026-03-02T09:30:00Z</xad:SigningTime>')
    expect(text).toContain('<xad:ClaimedRole>Ordonnateur</xad:ClaimedRole>')
    expect(text).toContain('<xad:Identifier>urn:oid:1.2.250.1.131.1.5.18.21.1.7</xad:Identifier>')
  })
})

describe('signature policies', () => {
  it('knows the hashes of the 2011 policy document as they are computed from it', () => {
    const pdf = readFileSync(new URL('1.2.250.1.131.1.5.18.21.1.4.pdf', FIXTURES))
    for (const policy of KNOWN_PES_POLICIES.filter(
      (known) => known.hash === 'Jkdb+aba0Hz6+ZPKmKNhPByzQ+Q=' || known.hash.startsWith('pYtF'),
    )) {
      const node = policy.hashAlgorithm === 'SHA-1' ? 'sha1' : 'sha256'
      expect(createHash(node).update(pdf).digest('base64')).toBe(policy.hash)
    }
  })
})

describe('signPesFile: the same signatures from files read piece by piece', () => {
  it('writes exactly what signPes returns (RSA PKCS#1 v1.5 is deterministic), repairs included, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sceau-pes-file-'))
    try {
      const paper = Buffer.from(
        withBordereaux(['B2', undefined]).toString('latin1').replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/>'),
        'latin1',
      )
      writeFileSync(join(dir, 'in.xml'), paper)
      const options: SignPesOptions = { signingTime: TIME, setInfoDematerialisee: true, addMissingIds: true, role: 'Maire' }
      const inMemory = await signPes(paper, rsa, options)
      const fromFile = await signPesFile(join(dir, 'in.xml'), join(dir, 'out.xml'), rsa, options)
      expect(readFileSync(join(dir, 'out.xml')).equals(Buffer.from(inMemory.document))).toBe(true)
      expect(fromFile).toEqual({ signatures: inMemory.signatures, changes: inMemory.changes })
      expect(readdirSync(dir).sort()).toEqual(['in.xml', 'out.xml'])
      const report = await verifyXmlFile(join(dir, 'out.xml'), {
        anchors: [pki.root.certificate],
        intermediates: [pki.intermediate.certificate],
        revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
        at: new Date(pki.now.getTime() + 60_000),
      })
      expect(report.signatures.map((signature) => signature.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED', 'TOTAL_PASSED'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('leaves no output and no temporary file when the flow cannot be signed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sceau-pes-file-'))
    try {
      writeFileSync(join(dir, 'in.xml'), REAL)
      expect(await rejection(signPesFile(join(dir, 'in.xml'), join(dir, 'out.xml'), rsa))).toMatchObject({ code: 'ALREADY_SIGNED' })
      expect(await rejection(signPesFile(join(dir, 'missing.xml'), join(dir, 'out.xml'), rsa))).toMatchObject({ code: 'FILE_NOT_FOUND' })
      expect(readdirSync(dir)).toEqual(['in.xml'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
