// Decodes the streams the signer has to read itself: xref streams and object streams. Those use FlateDecode,
// usually with a PNG predictor (§7.4.4.4); content streams and images are never decoded here.

import { constants, inflateSync } from 'node:zlib'
import { type PdfObject, type PdfStream, isDict, isInteger, isName } from './objects.js'
import { malformed } from './parse.js'

// Inflated bytes one stream may grow to: a few kilobytes of deflate can expand a thousandfold (a "zip bomb"), and
// no xref stream, object stream or DSS entry (a CRL of 5,000 entries is about 200 KB) comes near this.
export const MAX_DECODED_BYTES = 64 * 1024 * 1024

/**
 * The decoded data of a FlateDecode (or unfiltered) stream, at most `maxBytes` long.
 *
 * @throws SceauError INPUT_MALFORMED for another filter, bad data, or data that inflates past `maxBytes`.
 */
export function decodeStream(stream: PdfStream, maxBytes = MAX_DECODED_BYTES): Uint8Array {
  const filter = stream.dict.entries.get('Filter')
  const params = stream.dict.entries.get('DecodeParms')
  const filters = Array.isArray(filter) ? filter : filter === undefined || filter === null ? [] : [filter]
  const paramList = Array.isArray(params) ? params : filters.map(() => params ?? null)
  let data = stream.data
  filters.forEach((name, i) => {
    if (!isName(name) || (name.name !== 'FlateDecode' && name.name !== 'Fl')) {
      throw malformed(`unsupported filter ${isName(name) ? name.name : String(name)} on an xref or object stream`)
    }
    data = inflate(data, maxBytes)
    data = unpredict(data, paramList[i] ?? null)
  })
  return data
}

function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  try {
    // Sync flush keeps what inflates before a damaged or truncated tail, as PDF readers do.
    return new Uint8Array(inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxBytes }))
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw malformed(`a FlateDecode stream inflates to more than ${maxBytes} bytes`)
    throw malformed(`cannot inflate a FlateDecode stream (${(cause as Error).message})`)
  }
}

function unpredict(data: Uint8Array, params: PdfObject): Uint8Array {
  if (!isDict(params)) return data
  const get = (key: string, fallback: number): number => {
    const value = params.entries.get(key)
    return isInteger(value) ? value : fallback
  }
  const predictor = get('Predictor', 1)
  if (predictor === 1) return data
  if (predictor < 10) throw malformed(`unsupported predictor ${predictor}`)
  const bitsPerPixel = get('Colors', 1) * get('BitsPerComponent', 8)
  const bpp = Math.max(1, Math.ceil(bitsPerPixel / 8))
  const rowLength = Math.ceil((bitsPerPixel * get('Columns', 1)) / 8)
  const rows = Math.floor(data.length / (rowLength + 1))
  const out = new Uint8Array(rows * rowLength)
  for (let row = 0; row < rows; row++) {
    const type = data[row * (rowLength + 1)]
    const src = row * (rowLength + 1) + 1
    const dst = row * rowLength
    for (let i = 0; i < rowLength; i++) {
      const raw = data[src + i] ?? 0
      const left = i >= bpp ? (out[dst + i - bpp] ?? 0) : 0
      const up = row > 0 ? (out[dst + i - rowLength] ?? 0) : 0
      const upLeft = row > 0 && i >= bpp ? (out[dst + i - rowLength - bpp] ?? 0) : 0
      let value: number
      if (type === 0) value = raw
      else if (type === 1) value = raw + left
      else if (type === 2) value = raw + up
      else if (type === 3) value = raw + ((left + up) >> 1)
      else if (type === 4) value = raw + paeth(left, up, upLeft)
      else throw malformed(`unknown PNG predictor row type ${type}`)
      out[dst + i] = value & 0xff
    }
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  if (pa <= pb && pa <= pc) return a
  return pb <= pc ? b : c
}
