import { describe, expect, it } from 'vitest'
import { type PdfObject, pdfName } from './objects.js'
import { parseIndirectObject, parseObject } from './parse.js'
import { readPdf } from './read-pdf.js'
import { pdfTextString, serializeObject } from './serialize.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))
const parse = (text: string): PdfObject => parseObject(bytes(text), 0).value
const stringOf = (value: PdfObject): string =>
  value && typeof value === 'object' && !Array.isArray(value) && value.kind === 'string' ? Buffer.from(value.bytes).toString('latin1') : '?'

describe('parseObject', () => {
  it('reads scalars, names and references', () => {
    expect(parse('null')).toBe(null)
    expect(parse('  true')).toBe(true)
    expect(parse('-12.5')).toBe(-12.5)
    expect(parse('.5')).toBe(0.5)
    expect(parse('/A#20B')).toEqual(pdfName('A B'))
    expect(parse('12 0 R')).toEqual({ kind: 'ref', num: 12, gen: 0 })
    expect(parse('[1 2 3 R 4]')).toEqual([1, { kind: 'ref', num: 2, gen: 3 }, 4])
  })

  it('reads literal strings with escapes, balanced parentheses and line continuations', () => {
    expect(stringOf(parse('(a\\(b\\) (c) \\\\ \\101\\n\\\nd)'))).toBe('a(b) (c) \\ A\nd')
    expect(stringOf(parse('(x\r\ny)'))).toBe('x\ny')
    expect(stringOf(parse('<41 42 4>'))).toBe('AB@')
  })

  it('reads dictionaries with comments and records string offsets', () => {
    const value = parse('<< /K (v) % note\n /L <</M [/N]>> >>')
    expect(serializeObject(value)).toBe('<</K (v) /L <</M [/N]>>>>')
    const contents = parseObject(bytes('<</Contents <00>>>'), 0).value
    expect(
      contents && typeof contents === 'object' && !Array.isArray(contents) && contents.kind === 'dict'
        ? contents.entries.get('Contents')
        : null,
    ).toMatchObject({
      start: 12,
      end: 16,
    })
  })

  it('bounds nesting depth', () => {
    expect(() => parse('['.repeat(500))).toThrow(/nested too deeply/)
  })

  it('reads a stream whose /Length is wrong by finding endstream', () => {
    const object = parseIndirectObject(bytes('7 0 obj\n<< /Length 99 >>\nstream\nhello\nendstream\nendobj\n'), 0)
    expect(object.num).toBe(7)
    const value = object.value
    expect(
      value && typeof value === 'object' && !Array.isArray(value) && value.kind === 'stream' ? Buffer.from(value.data).toString() : '',
    ).toBe('hello')
  })

  it('round-trips what it reads', () => {
    const text = '<</A [1 -2.25 true null (x\\)) <ff00>] /B#23 /C /D 3 0 R>>'
    expect(serializeObject(parse(serializeObject(parse(text))))).toBe(serializeObject(parse(text)))
    expect(serializeObject(pdfTextString('é'))).toBe('<feff00e9>')
  })

  it('refuses a file that is not a PDF', () => {
    expect(() => readPdf(bytes('hello'))).toThrow(/malformed PDF/)
  })
})
