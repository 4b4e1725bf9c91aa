import { describe, expect, it } from 'vitest'
import { appearanceLines, appearanceStream, helveticaWidth, winAnsiBytes } from './appearance.js'

const text = { name: 'Jeanne Martin', signingTime: new Date('2026-03-02T09:30:00Z'), reason: 'Délibération n° 42', location: 'Nice' }

/** The size set by `Tf` and the lines shown by `Tj`, decoded from the content stream. */
function drawn(body: string): { size: number; lines: string[] } {
  const size = Number(/\/F1 ([\d.]+) Tf/.exec(body)?.[1])
  const lines = [...body.matchAll(/\((.*)\) Tj/g)].map((match) =>
    (match[1] ?? '').replace(/\\([0-7]{3}|.)/g, (_, escaped: string) =>
      escaped.length === 3 ? String.fromCharCode(parseInt(escaped, 8)) : escaped,
    ),
  )
  return { size, lines }
}

describe('the appearance of a visible signature', () => {
  it('encodes text in WinAnsi, é as 0xE9 and € as 0x80, and replaces what WinAnsi lacks with ?', () => {
    expect(winAnsiBytes('é€Ÿ漢\n')).toEqual([0xe9, 0x80, 0x9f, 0x3f, 0x3f])
    // A decomposed é (e + combining acute) is the same letter.
    expect(winAnsiBytes('e\u0301')).toEqual([0xe9])
  })

  it('measures with the Helvetica widths', () => {
    expect(helveticaWidth(winAnsiBytes('Hello'))).toBe(722 + 556 + 222 + 222 + 556)
    expect(helveticaWidth(winAnsiBytes('é'))).toBe(556)
  })

  it('says who signed, when (UTC), why and where; without a reason or place, two lines', () => {
    expect(appearanceLines(text)).toEqual([
      'Signé par Jeanne Martin',
      'Le 02/03/2026 09:30 UTC',
      'Motif : Délibération n° 42',
      'Lieu : Nice',
    ])
    expect(appearanceLines({ name: 'A', signingTime: text.signingTime })).toHaveLength(2)
  })

  it('writes the lines as escaped WinAnsi literals with a Helvetica font resource', () => {
    const body = appearanceStream(200, 60, { ...text, name: 'Jeanne (Martin) \\' })
    expect(body).toContain('/BBox [0 0 200 60]')
    expect(body).toContain('/F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding>>')
    expect(body).toContain('(Sign\\351 par Jeanne \\(Martin\\) \\\\) Tj')
    expect(drawn(body).lines).toEqual([
      'Signé par Jeanne (Martin) \\',
      'Le 02/03/2026 09:30 UTC',
      'Motif : Délibération n° 42',
      'Lieu : Nice',
    ])
    const length = Number(/\/Length (\d+)/.exec(body)?.[1])
    expect(body.slice(body.indexOf('stream\n') + 7, body.lastIndexOf('\nendstream'))).toHaveLength(length)
  })

  it('shrinks the text until every line fits across and all fit down', () => {
    for (const [width, height] of [
      [400, 200],
      [120, 60],
      [300, 20],
    ] as const) {
      const { size, lines } = drawn(appearanceStream(width, height, text))
      expect(size).toBeGreaterThan(0)
      expect(size).toBeLessThanOrEqual(12)
      for (const line of lines) expect((helveticaWidth(winAnsiBytes(line)) * size) / 1000).toBeLessThanOrEqual(width)
      expect(lines.length * 1.2 * size).toBeLessThanOrEqual(height)
    }
    expect(drawn(appearanceStream(400, 200, text)).size).toBe(12)
    expect(drawn(appearanceStream(120, 60, text)).size).toBeLessThan(12)
  })
})
