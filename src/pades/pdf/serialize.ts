// Writes PDF objects back as bytes (one char per byte: PDF syntax is not text). Strings keep the form they were
// read in, so a copied page dictionary differs from the original only where it was edited.

import { type PdfObject, type PdfString } from './objects.js'
import { isDelimiter } from './parse.js'

/** Serialises a direct object (streams are written by the caller, which owns their layout). */
export function serializeObject(value: PdfObject): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return serializeNumber(value)
  if (Array.isArray(value)) return `[${value.map(serializeObject).join(' ')}]`
  switch (value.kind) {
    case 'name':
      return serializeName(value.name)
    case 'string':
      return serializeString(value)
    case 'ref':
      return `${value.num} ${value.gen} R`
    case 'dict':
      return `<<${[...value.entries].map(([key, item]) => `${serializeName(key)} ${serializeObject(item)}`).join(' ')}>>`
    case 'stream':
      throw new TypeError('a stream cannot be written as a direct object')
  }
}

function serializeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a PDF number: ${value}`)
  if (Number.isInteger(value)) return String(value)
  // PDF has no exponent notation; 10 decimals outlast every real a PDF writer emits.
  const text = Math.abs(value) < 1e-6 || Math.abs(value) >= 1e21 ? value.toFixed(10) : String(value)
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text
}

export function serializeName(name: string): string {
  let out = '/'
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    out += code < 0x21 || code > 0x7e || code === 0x23 || isDelimiter(code) ? `#${code.toString(16).padStart(2, '0')}` : name[i]
  }
  return out
}

function serializeString(value: PdfString): string {
  if (value.hex) return `<${Buffer.from(value.bytes).toString('hex')}>`
  let out = '('
  for (const byte of value.bytes) {
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte === 0x0d) out += '\\r'
    else if (byte === 0x0a) out += '\\n'
    else out += String.fromCharCode(byte)
  }
  return `${out})`
}

/** A PDF text string (§7.9.2.2): printable ASCII as a literal, anything else as UTF-16BE with a BOM, in hex. */
export function pdfTextString(text: string): PdfString {
  if (/^[\x20-\x7e]*$/.test(text)) return { kind: 'string', bytes: new Uint8Array(Buffer.from(text, 'latin1')), hex: false }
  const utf16 = Buffer.from(`\ufeff${text}`, 'utf16le').swap16()
  return { kind: 'string', bytes: new Uint8Array(utf16), hex: true }
}

/** A PDF date (§7.9.4) in UTC: `D:YYYYMMDDHHmmSS+00'00'`. */
export function pdfDate(date: Date): PdfString {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
  const text =
    `D:${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}+00'00'`
  return { kind: 'string', bytes: new Uint8Array(Buffer.from(text, 'latin1')), hex: false }
}
