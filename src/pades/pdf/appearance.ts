// Draws what a visible signature shows: a thin border and a few lines of text ("Signé par …", the date, the reason
// and place), sized to fit the widget. The text is set in Helvetica, one of the standard 14 fonts every reader
// carries, so nothing is embedded: fine for ordinary PDFs, but PDF/A forbids non-embedded fonts, so a PDF/A file
// signed visibly stops being conforming.

import { pdfDict, pdfName } from './objects.js'
import { streamBody } from './revision.js'
import { serializeObject } from './serialize.js'

/** What the appearance says. */
export interface AppearanceText {
  readonly name: string
  readonly signingTime: Date
  readonly reason?: string
  readonly location?: string
}

// Helvetica advance widths (thousandths of the font size) for WinAnsiEncoding codes 32 to 255, from Adobe's
// Helvetica.afm; 0 marks the codes WinAnsi leaves undefined.
// prettier-ignore
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
  556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
  556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222, 333, 333, 350, 556, 1000,
  333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
  400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722,
  667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
  556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556, 556, 556, 556, 556, 556, 584,
  611, 556, 556, 556, 556, 500, 556, 500,
]

// Where WinAnsi (Windows-1252) departs from Latin-1: the characters it puts at 0x80–0x9F.
// prettier-ignore
const WIN_ANSI_EXTRA = new Map<number, number>([
  [0x20ac, 0x80], [0x201a, 0x82], [0x0192, 0x83], [0x201e, 0x84], [0x2026, 0x85], [0x2020, 0x86], [0x2021, 0x87],
  [0x02c6, 0x88], [0x2030, 0x89], [0x0160, 0x8a], [0x2039, 0x8b], [0x0152, 0x8c], [0x017d, 0x8e], [0x2018, 0x91],
  [0x2019, 0x92], [0x201c, 0x93], [0x201d, 0x94], [0x2022, 0x95], [0x2013, 0x96], [0x2014, 0x97], [0x02dc, 0x98],
  [0x2122, 0x99], [0x0161, 0x9a], [0x203a, 0x9b], [0x0153, 0x9c], [0x017e, 0x9e], [0x0178, 0x9f],
])

const QUESTION_MARK = 0x3f
// Largest text drawn, in points: a big widget gets a readable stamp, not a poster.
const MAX_FONT_SIZE = 12
const LEADING = 1.2

/** `text` in WinAnsiEncoding; what it cannot encode becomes '?'. */
export function winAnsiBytes(text: string): number[] {
  const bytes: number[] = []
  for (const char of text.normalize('NFC')) {
    const code = char.codePointAt(0) ?? QUESTION_MARK
    const byte = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) ? code : WIN_ANSI_EXTRA.get(code)
    bytes.push(byte ?? QUESTION_MARK)
  }
  return bytes
}

/** Width of WinAnsi `bytes` in Helvetica at size 1000. */
export function helveticaWidth(bytes: readonly number[]): number {
  return bytes.reduce((total, byte) => total + (HELVETICA_WIDTHS[byte - 32] ?? 0), 0)
}

/** The lines a visible signature shows, in French like the documents sceau signs. */
export function appearanceLines(text: AppearanceText): string[] {
  const pad = (n: number): string => String(n).padStart(2, '0')
  const t = text.signingTime
  const date = `${pad(t.getUTCDate())}/${pad(t.getUTCMonth() + 1)}/${t.getUTCFullYear()} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())} UTC`
  const lines = [`Signé par ${text.name}`, `Le ${date}`]
  if (text.reason !== undefined) lines.push(`Motif : ${text.reason}`)
  if (text.location !== undefined) lines.push(`Lieu : ${text.location}`)
  return lines
}

/**
 * The body of the form XObject a visible signature widget shows (its /AP /N), for a widget `width` × `height`.
 *
 * @example
 * ```ts
 * const body = appearanceStream(200, 60, { name: 'Jeanne Martin', signingTime: new Date() })
 * ```
 */
export function appearanceStream(width: number, height: number, text: AppearanceText): string {
  const lines = appearanceLines(text).map(winAnsiBytes)
  const margin = Math.min(4, width / 10, height / 10)
  const widest = Math.max(...lines.map(helveticaWidth))
  // The largest size at which every line fits across and all of them fit down, rounded down to a tenth of a point.
  const fit = Math.min(MAX_FONT_SIZE, ((width - 2 * margin) * 1000) / widest, (height - 2 * margin) / (lines.length * LEADING))
  const size = Math.max(0.1, Math.floor(fit * 10) / 10)
  const n = (value: number): string => serializeObject(Math.round(value * 100) / 100)
  const ops = ['q', '0.5 w 0 0 0 RG', `0.25 0.25 ${n(width - 0.5)} ${n(height - 0.5)} re S`, 'BT', `/F1 ${n(size)} Tf`, '0 0 0 rg']
  lines.forEach((line, k) => {
    // Baselines from the top: Helvetica's capitals rise about 0.72 of the size above theirs.
    const y = height - margin - 0.8 * size - k * LEADING * size
    ops.push(`1 0 0 1 ${n(margin)} ${n(y)} Tm`, `${literal(line)} Tj`)
  })
  ops.push('ET', 'Q')
  const helvetica = pdfDict([
    ['Type', pdfName('Font')],
    ['Subtype', pdfName('Type1')],
    ['BaseFont', pdfName('Helvetica')],
    ['Encoding', pdfName('WinAnsiEncoding')],
  ])
  const dict = pdfDict([
    ['Type', pdfName('XObject')],
    ['Subtype', pdfName('Form')],
    ['BBox', [0, 0, width, height]],
    ['Resources', pdfDict([['Font', pdfDict([['F1', helvetica]])]])],
  ])
  return streamBody(dict, Buffer.from(ops.join('\n'), 'latin1'))
}

/** A PDF literal string of WinAnsi bytes, kept ASCII: bytes above 0x7E as octal escapes. */
function literal(bytes: readonly number[]): string {
  let out = '('
  for (const byte of bytes) {
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte > 0x7e) out += `\\${byte.toString(8).padStart(3, '0')}`
    else out += String.fromCharCode(byte)
  }
  return `${out})`
}
