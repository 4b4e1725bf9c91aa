import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki, type TestPki } from '../testing/pki.js'
import { testSigner } from '../testing/signers.js'
import { startPkiTsa } from '../testing/tsa.js'
import { pdfDict, pdfName } from './pdf/objects.js'
import { readPdf } from './pdf/read-pdf.js'
import { revisionId, writeRevision } from './pdf/revision.js'
import { serializeObject } from './pdf/serialize.js'
import { signPdf } from './sign-pdf.js'
import { verifyPdf } from './verify-pdf.js'

const POLICY_PDF = new URL('../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)

let pki: TestPki
let rsa: KeySigner
let ec: KeySigner
let dir: string

beforeAll(async () => {
  pki = await createTestPki()
  rsa = testSigner(pki)
  ec = testSigner(pki, 'signature-ec-p256', { chain: false })
  dir = mkdtempSync(join(tmpdir(), 'sceau-pades-unit-'))
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function verify(pdf: Uint8Array) {
  return verifyPdf(pdf, {
    anchors: [pki.root.certificate],
    intermediates: [pki.intermediate.certificate],
    revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
    at: new Date(pki.now.getTime() + 60_000),
  })
}

/** pdfsig's "Signature Validation" lines, one per signature. */
function pdfsig(pdf: Uint8Array, name: string): string[] {
  const file = join(dir, name)
  writeFileSync(file, pdf)
  const run = spawnSync('pdfsig', [file], { encoding: 'utf8' })
  return [...run.stdout.matchAll(/Signature Validation: (.*)/g)].map((match) => (match[1] ?? '').trim())
}

/** The policy PDF rewritten by qpdf with the given options (object streams, linearisation…). */
function variant(name: string, ...options: string[]): Uint8Array {
  const out = join(dir, `${name}.pdf`)
  execFileSync('qpdf', [...options, POLICY_PDF.pathname, out])
  return new Uint8Array(readFileSync(out))
}

describe('signPdf then verifyPdf, on the shapes PDFs come in', () => {
  const shapes: [string, () => Uint8Array][] = [
    ['a classic xref table (the real DGFiP policy PDF)', () => new Uint8Array(readFileSync(POLICY_PDF))],
    ['object streams and an xref stream', () => variant('objstm', '--object-streams=generate', '--compress-streams=y')],
    ['a linearised file', () => variant('linearized', '--linearize')],
  ]
  for (const [name, make] of shapes) {
    it(`${name}: pdfsig says valid, sceau says TOTAL_PASSED and covers the whole document`, async () => {
      const input = make()
      const { pdf } = await signPdf(input, rsa, {
        reason: 'Délibération n° 42',
        location: 'Nice',
        signingTime: new Date('2026-03-02T09:30:00Z'),
      })
      expect(Buffer.from(pdf.subarray(0, input.length)).equals(Buffer.from(input))).toBe(true)
      expect(pdfsig(pdf, `${name.length}.pdf`)).toEqual(['Signature is Valid.'])
      const report = await verify(pdf)
      expect(report.signatures).toHaveLength(1)
      expect(report.signatures[0]).toMatchObject({
        indication: 'TOTAL_PASSED',
        coversWholeDocument: true,
        subFilter: 'ETSI.CAdES.detached',
        reason: 'Délibération n° 42',
        location: 'Nice',
        signingTime: "D:20260302093000+00'00'",
      })
    })
  }

  it('keeps the first signature valid when a second signer signs, and says what each covers', async () => {
    const input = new Uint8Array(readFileSync(POLICY_PDF))
    const once = (await signPdf(input, rsa)).pdf
    const twice = (await signPdf(once, ec)).pdf
    expect(pdfsig(twice, 'twice.pdf')).toEqual(['Signature is Valid.', 'Signature is Valid.'])
    const report = await verify(twice)
    expect(report.signatures.map((signature) => [signature.field, signature.indication, signature.coversWholeDocument])).toEqual([
      ['Signature1', 'TOTAL_PASSED', false],
      ['Signature2', 'TOTAL_PASSED', true],
    ])
    expect(report.signatures[0]?.bytesAfter).toBe(twice.length - once.length)
  })

  it('fails a signature whose signed bytes changed (HASH_FAILURE) and one whose /ByteRange skips bytes', async () => {
    const { pdf } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)
    const changed = Buffer.from(pdf)
    changed[100] = (changed[100] as number) ^ 0x20
    expect((await verify(changed)).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })

    // A /ByteRange that leaves the first 10 bytes out: whatever they hold is not signed.
    const text = Buffer.from(pdf).toString('latin1')
    const range = /\/ByteRange \[0 (\d+)/.exec(text)
    if (range === null) throw new Error('no /ByteRange')
    const shifted = text.replace(range[0], `/ByteRange [10 ${Number(range[1]) - 10}`.padEnd(range[0].length, ' '))
    const report = await verify(Buffer.from(shifted, 'latin1'))
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' })
  })

  it('B-T: a time-stamp from an RFC 3161 authority on the signature value, checked and reported', async () => {
    const tsa = await startPkiTsa(pki)
    try {
      const { pdf } = await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { timestamp: { url: tsa.url } })
      expect(pdfsig(pdf, 'b-t.pdf')).toEqual(['Signature is Valid.'])
      const report = await verify(pdf)
      const [signature] = report.signatures
      expect(signature?.checks.filter((check) => check.status !== 'pass')).toEqual([])
      expect(signature?.indication).toBe('TOTAL_PASSED')
      expect(signature?.checks.find((check) => check.id === 'timestamp')).toMatchObject({
        status: 'pass',
        reason: expect.stringContaining('sceau Test TSA'),
      })
      expect(Math.abs(Date.parse(signature?.timestamp ?? '') - Date.now())).toBeLessThan(60_000)
    } finally {
      await tsa.close()
    }
  })

  it('B-T: a time-stamping authority that does not answer fails the signing with TIMESTAMP_FAILED', async () => {
    const tsa = await startPkiTsa(pki, { chain: false, mode: 'slow' })
    try {
      const signing = signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { timestamp: { url: tsa.url, timeoutMs: 300 } })
      await expect(signing).rejects.toMatchObject({ code: 'TIMESTAMP_FAILED' })
    } finally {
      await tsa.close()
    }
  })

  it('reports an unsigned PDF as TOTAL_FAILED', async () => {
    const report = await verify(new Uint8Array(readFileSync(POLICY_PDF)))
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', signatures: [] })
  })
})

/** Page 1 rendered by pdftoppm at 50 dpi, as a PPM: whether every pixel of a box (in user space points) is white. */
function whiteIn(pdf: Uint8Array, name: string, [x1, y1, x2, y2]: readonly [number, number, number, number]): boolean {
  const file = join(dir, `${name}.pdf`)
  writeFileSync(file, pdf)
  execFileSync('pdftoppm', ['-r', '50', '-f', '1', '-l', '1', file, join(dir, name)])
  const ppm = readFileSync(join(dir, `${name}-01.ppm`))
  const [, width = 0, height = 0] = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString('latin1', 0, 32))?.map(Number) ?? []
  const header = /^P6\s+\d+\s+\d+\s+255\s/.exec(ppm.toString('latin1', 0, 32))?.[0].length ?? 0
  const scale = 50 / 72
  const pageHeight = height / scale
  for (let y = Math.floor((pageHeight - y2) * scale); y < Math.ceil((pageHeight - y1) * scale); y++) {
    for (let x = Math.floor(x1 * scale); x < Math.ceil(x2 * scale) && x < width; x++) {
      const at = header + 3 * (y * width + x)
      if (ppm.subarray(at, at + 3).some((channel) => channel < 250)) return false
    }
  }
  return true
}

describe('visible signatures', () => {
  it('draws who signed, when, why and where inside the widget; pdftotext reads it, qpdf and pdfsig accept the file', async () => {
    const input = new Uint8Array(readFileSync(POLICY_PDF))
    // The blank top-left corner of the policy PDF's first page (612 × 792 pt).
    const rect = [20, 720, 200, 780] as const
    const elsewhere = [432, 720, 600, 790] as const
    expect(whiteIn(input, 'unsigned', rect)).toBe(true)
    const { pdf } = await signPdf(input, rsa, {
      page: 0,
      rect,
      name: 'Jeanne Martin',
      reason: 'Délibération n° 42',
      location: 'Nice',
      signingTime: new Date('2026-03-02T09:30:00Z'),
    })
    expect(whiteIn(pdf, 'visible', rect)).toBe(false)
    expect(whiteIn(pdf, 'visible', elsewhere)).toBe(true)
    const text = execFileSync('pdftotext', ['-f', '1', '-l', '1', join(dir, 'visible.pdf'), '-'], { encoding: 'utf8' })
    expect(text).toContain('Signé par Jeanne Martin')
    expect(text).toContain('Le 02/03/2026 09:30 UTC')
    expect(text).toContain('Motif : Délibération n° 42')
    expect(spawnSync('qpdf', ['--check', join(dir, 'visible.pdf')]).status).toBe(0)
    expect(pdfsig(pdf, 'visible-pdfsig.pdf')).toEqual(['Signature is Valid.'])
  })
})

describe('certification (DocMDP)', () => {
  it('certify: 2 writes the DocMDP reference and /Perms; pdfsig and qpdf accept it, and a second signature keeps both valid', async () => {
    const certified = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { certify: 2 })).pdf
    const text = Buffer.from(certified).toString('latin1')
    expect(text).toMatch(
      /\/Reference \[<<\/Type \/SigRef \/TransformMethod \/DocMDP \/TransformParams <<\/Type \/TransformParams \/P 2 \/V \/1.2>>>>\]/,
    )
    expect(text).toMatch(/\/Perms <<\/DocMDP \d+ 0 R>>/)
    // poppler 22.12's pdfsig says nothing of certification: it judges the signature as any other.
    expect(pdfsig(certified, 'certified.pdf')).toEqual(['Signature is Valid.'])
    expect(spawnSync('qpdf', ['--check', join(dir, 'certified.pdf')]).status).toBe(0)
    const report = await verify(certified)
    expect(report.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', certification: { permissions: 2 } })
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pdf.docmdp', status: 'pass' }))

    const twice = (await signPdf(certified, ec)).pdf
    expect(pdfsig(twice, 'certified-twice.pdf')).toEqual(['Signature is Valid.', 'Signature is Valid.'])
    const second = await verify(twice)
    expect(second.indication).toBe('TOTAL_PASSED')
    expect(second.signatures[1]?.certification).toBeUndefined()
    expect(second.checks).toContainEqual(expect.objectContaining({ id: 'pdf.docmdp', status: 'pass' }))
  })

  it('refuses to certify a signed PDF and to sign one certified with no changes allowed', async () => {
    const signed = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa)).pdf
    await expect(signPdf(signed, ec, { certify: 2 })).rejects.toMatchObject({ code: 'USAGE', message: /only the first signature/ })
    const locked = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { certify: 1 })).pdf
    await expect(signPdf(locked, ec)).rejects.toMatchObject({ code: 'USAGE', message: /no changes allowed/ })
  })

  it('fails the certification when a revision follows it that P=1 does not allow', async () => {
    const locked = (await signPdf(new Uint8Array(readFileSync(POLICY_PDF)), rsa, { certify: 1 })).pdf
    const clean = await verify(locked)
    expect(clean.signatures[0]?.certification).toEqual({ permissions: 1 })
    expect(clean.indication).toBe('TOTAL_PASSED')

    // Another tool's incremental update: the catalog rewritten with a new /Lang.
    const doc = readPdf(locked)
    const catalog = pdfDict(doc.catalog.entries)
    catalog.entries.set('Lang', pdfName('fr'))
    const { appended } = writeRevision(doc, new Map([[doc.rootRef.num, { gen: doc.rootRef.gen, body: serializeObject(catalog) }]]), {
      size: doc.size,
      id: revisionId(doc.trailer, locked, 'edit'),
    })
    const report = await verify(Buffer.concat([locked, appended]))
    expect(report.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({
        id: 'pdf.changes',
        status: 'fail',
        subIndication: 'FORMAT_FAILURE',
        reason: expect.stringMatching(
          /the certification \(DocMDP P=1\) does not allow: object \d+ 0: catalog \/Lang changed after signing/,
        ),
      }),
    )
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' })
  })
})
