import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SceauError } from '../../errors.js'
import { isDict, isString } from './objects.js'
import { prepareSignature } from './prepare-signature.js'
import { readPdf, textOf } from './read-pdf.js'

const work = mkdtempSync(join(tmpdir(), 'sceau-pdf-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const policyPdf = new Uint8Array(readFileSync(new URL('../../../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)))
const signingTime = new Date('2024-05-06T07:08:09Z')
let counter = 0

function tempFile(bytes?: Uint8Array): string {
  const path = join(work, `f${counter++}.pdf`)
  if (bytes) writeFileSync(path, bytes)
  return path
}

function qpdf(args: string[]): { status: number | null; out: string } {
  const result = spawnSync('qpdf', args, { encoding: 'utf8' })
  return { status: result.status, out: `${result.stdout}${result.stderr}` }
}

function qpdfVariant(input: Uint8Array, args: string[]): Uint8Array {
  const from = tempFile(input)
  const to = tempFile()
  const result = qpdf([...args, from, to])
  expect(result.status, result.out).toBe(0)
  return new Uint8Array(readFileSync(to))
}

function pdfsigCount(bytes: Uint8Array): number {
  const result = spawnSync('pdfsig', [tempFile(bytes)], { encoding: 'utf8' })
  return [...result.stdout.matchAll(/^Signature #\d+:/gm)].length
}

// A minimal one-page PDF written by hand, so that the reader is tested on bytes no library of ours produced.
function smallPdf(options: { annotsIndirect?: boolean; secondRevision?: boolean } = {}): Uint8Array {
  const content = 'BT /F1 24 Tf 72 720 Td (Bonjour) Tj ET'
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>',
    `<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>${options.annotsIndirect ? ' /Annots 7 0 R' : ''} >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Title (Petit \\(test\\)) /Producer <FEFF00E9> >>',
    '[]',
  ]
  let text = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
  const offsets: number[] = []
  objects.forEach((body, i) => {
    offsets.push(text.length)
    text += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  let xref = text.length
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`
  for (const offset of offsets) text += `${String(offset).padStart(10, '0')} 00000 n\r\n`
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n${xref}\n%%EOF\n`
  if (options.secondRevision) {
    const content2 = 'BT /F1 24 Tf 72 700 Td (Au revoir) Tj ET'
    const at = text.length
    text += `4 0 obj\n<< /Length ${content2.length} >>\nstream\n${content2}\nendstream\nendobj\n`
    const prev = xref
    xref = text.length
    text += `xref\n4 1\n${String(at).padStart(10, '0')} 00000 n\r\n`
    text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R /Prev ${prev} >>\nstartxref\n${xref}\n%%EOF`
  }
  return new Uint8Array(Buffer.from(text, 'latin1'))
}

// A hybrid file (§7.5.8.4): the classic table marks object 5 free, the stream at /XRefStm puts it in object stream 8.
function hybridPdf(): Uint8Array {
  const font = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
  const content = 'BT /F1 24 Tf 72 720 Td (Hybride) Tj ET'
  const objects: Record<number, string> = {
    1: '<< /Type /Catalog /Pages 2 0 R >>',
    2: '<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>',
    3: '<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    4: `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    8: `<< /Type /ObjStm /N 1 /First 4 /Length ${4 + font.length} >>\nstream\n5 0 ${font}\nendstream`,
    9: '<< /Type /XRef /Size 10 /W [1 1 1] /Index [5 1] /Length 3 >>\nstream\n\x02\x08\x00\nendstream',
  }
  let text = '%PDF-1.5\n'
  const offsets = new Map<number, number>()
  for (const [num, body] of Object.entries(objects)) {
    offsets.set(Number(num), text.length)
    text += `${num} 0 obj\n${body}\nendobj\n`
  }
  const xref = text.length
  text += 'xref\n0 10\n'
  for (let num = 0; num < 10; num++) {
    const offset = offsets.get(num)
    text += offset === undefined ? '0000000000 65535 f\r\n' : `${String(offset).padStart(10, '0')} 00000 n\r\n`
  }
  text += `trailer\n<< /Size 10 /Root 1 0 R /XRefStm ${offsets.get(9)} >>\nstartxref\n${xref}\n%%EOF\n`
  return new Uint8Array(Buffer.from(text, 'latin1'))
}

function expectValidUpdate(input: Uint8Array, output: Uint8Array): void {
  expect(Buffer.from(output.subarray(0, input.length)).equals(Buffer.from(input))).toBe(true)
  const check = qpdf(['--check', tempFile(output)])
  expect(check.out).toContain('No syntax or stream encoding errors found')
  expect(check.status, check.out).toBe(0)
}

function prepareAndCheck(input: Uint8Array, name: string): Uint8Array {
  const before = readPdf(input)
  const prepared = prepareSignature(input, { contentsSize: 4096, signingTime })
  expectValidUpdate(input, prepared.pdf)
  expect(pdfsigCount(prepared.pdf)).toBe(pdfsigCount(input) + 1)
  const after = readPdf(prepared.pdf)
  expect(after.lastSection).toBe(before.lastSection)
  expect(after.fields.map((field) => field.name)).toEqual([...before.fields.map((field) => field.name), name])
  const signature = after.signatures.find((sig) => sig.name === name)
  expect(signature?.byteRange).toEqual([...prepared.byteRange])
  expect(signature?.contents).toEqual(new Uint8Array(4096))
  expect(signature?.contentsStart).toBe(prepared.contentsStart - 1)
  expect(signature?.contentsEnd).toBe(prepared.contentsEnd + 1)
  // The gap is exactly `<hex>`, and the ranges reach the end of the file.
  const [a, b, c, d] = prepared.byteRange
  expect(a).toBe(0)
  expect(prepared.pdf[b]).toBe(0x3c)
  expect(prepared.pdf[c - 1]).toBe(0x3e)
  expect(c + d).toBe(prepared.pdf.length)
  expect(c - b - 2).toBe(2 * 4096)
  return prepared.pdf
}

describe('prepareSignature', () => {
  it('appends a signature revision to the DGFiP policy PDF (classic xref table)', () => {
    prepareAndCheck(policyPdf, 'Signature1')
  })

  it('appends an xref stream to a file with object streams', () => {
    const input = qpdfVariant(policyPdf, ['--object-streams=generate', '--compress-streams=y'])
    expect(readPdf(input).lastSection).toBe('stream')
    prepareAndCheck(input, 'Signature1')
  })

  it('signs a linearised file and an unpacked one', () => {
    prepareAndCheck(qpdfVariant(policyPdf, ['--linearize']), 'Signature1')
    prepareAndCheck(qpdfVariant(policyPdf, ['--object-streams=disable']), 'Signature1')
  })

  it('signs a small hand-written PDF, in one revision and in two', () => {
    const one = smallPdf()
    expect(readPdf(one).pages).toHaveLength(1)
    prepareAndCheck(one, 'Signature1')
    const two = smallPdf({ secondRevision: true })
    const content = readPdf(two).getObject({ kind: 'ref', num: 4, gen: 0 })
    expect(content && typeof content === 'object' && 'data' in content ? Buffer.from(content.data).toString('latin1') : '').toContain(
      'Au revoir',
    )
    prepareAndCheck(two, 'Signature1')
  })

  it('reads a hybrid file through /XRefStm and continues it with a table', () => {
    const input = hybridPdf()
    const font = readPdf(input).getObject({ kind: 'ref', num: 5, gen: 0 })
    expect(isDict(font) && font.entries.get('BaseFont')).toEqual({ kind: 'name', name: 'Helvetica' })
    prepareAndCheck(input, 'Signature1')
  })

  it('adds the widget to an indirect /Annots array', () => {
    const output = prepareAndCheck(smallPdf({ annotsIndirect: true }), 'Signature1')
    const doc = readPdf(output)
    const annots = doc.getObject({ kind: 'ref', num: 7, gen: 0 })
    expect(annots).toEqual([doc.signatures[0]?.ref])
  })

  it('keeps existing signature fields and numbers the next one Signature2', () => {
    const once = prepareAndCheck(policyPdf, 'Signature1')
    const twice = prepareAndCheck(once, 'Signature2')
    const doc = readPdf(twice)
    expect(doc.signatures.map((sig) => sig.name)).toEqual(['Signature1', 'Signature2'])
    expect(doc.acroForm?.dict.entries.get('SigFlags')).toBe(3)
    // The first signature's bytes are untouched, so its ByteRange still describes the same bytes.
    expect(doc.signatures[0]?.byteRange).toEqual(readPdf(once).signatures[0]?.byteRange)
  })

  it('does the same on a file with xref streams', () => {
    const input = qpdfVariant(policyPdf, ['--object-streams=generate'])
    const twice = prepareAndCheck(prepareAndCheck(input, 'Signature1'), 'Signature2')
    expect(pdfsigCount(twice)).toBe(2)
  })

  it('writes a visible widget with an appearance, text strings and the signing time', () => {
    const input = smallPdf()
    const prepared = prepareSignature(input, {
      contentsSize: 100,
      signingTime,
      rect: [50, 50, 250, 100],
      reason: 'Lu et approuvé',
      location: 'Paris (75)',
      name: 'Jeanne Dupont',
      fieldName: 'Visa',
    })
    expectValidUpdate(input, prepared.pdf)
    const doc = readPdf(prepared.pdf)
    const field = doc.getObject(doc.signatures[0]?.ref ?? { kind: 'ref', num: 0, gen: 0 })
    expect(isDict(field) && isDict(field.entries.get('AP'))).toBe(true)
    const sig = doc.getObject(doc.signatures[0]?.sigRef ?? { kind: 'ref', num: 0, gen: 0 })
    if (!isDict(sig)) throw new Error('no signature dictionary')
    const text = (key: string): string => {
      const value = sig.entries.get(key)
      return isString(value) ? textOf(value) : ''
    }
    expect(text('Reason')).toBe('Lu et approuvé')
    expect(text('Location')).toBe('Paris (75)')
    expect(text('M')).toBe("D:20240506070809+00'00'")
    expect(doc.signatures[0]?.name).toBe('Visa')
  })

  it('refuses an encrypted PDF', () => {
    const input = qpdfVariant(policyPdf, ['--encrypt', 'user', 'owner', '256', '--'])
    expect(readPdf(input).encrypted).toBe(true)
    const error = (() => {
      try {
        prepareSignature(input, { contentsSize: 100, signingTime })
      } catch (err) {
        return err
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(SceauError)
    // INPUT_MALFORMED until errors.ts has a PDF_ENCRYPTED code.
    expect(error).toMatchObject({ code: 'PDF_ENCRYPTED', message: expect.stringMatching(/the PDF is encrypted/) })
  })

  it('refuses a page that does not exist and a field name already taken', () => {
    expect(() => prepareSignature(smallPdf(), { contentsSize: 100, signingTime, page: 1 })).toThrow(/page 1 does not exist/)
    const once = prepareSignature(smallPdf(), { contentsSize: 100, signingTime }).pdf
    expect(() => prepareSignature(once, { contentsSize: 100, signingTime, fieldName: 'Signature1' })).toThrow(/already has a field/)
  })
})
