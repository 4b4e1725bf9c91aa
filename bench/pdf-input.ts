// Builds unsigned PDFs of a chosen size for the PDF signing benchmark, shaped like a scanned act: a few A4 pages, each
// one RGB image covering the page, so nearly all the bytes are in image streams that no signer can skip or compress.
// The pixels come from AES-CTR over zeros with a fixed key: incompressible like a scan, and deterministic, so the same
// size gives the same bytes on every run. A classic cross-reference table and trailer, as most producers still write
// and as @signpdf/placeholder-plain requires (it cannot read cross-reference streams).
import { createCipheriv } from 'node:crypto'

export interface PdfOptions {
  /** Number of pages, each carrying an equal share of the image bytes; default one per 25 MB, at least 3. */
  pages?: number
}

// A4 at 300 dpi is 2480 pixels wide; the height follows from the bytes each page must carry.
const IMAGE_WIDTH = 2480
const BYTES_PER_PIXEL = 3

function pixels(length: number, page: number): Buffer {
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(page, 0)
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 0x5c), iv).update(Buffer.alloc(length))
}

/**
 * An unsigned PDF of about `targetBytes` bytes that `qpdf --check` accepts.
 *
 * @example
 * ```ts
 * writeFileSync('act-100mb.pdf', makePdf(100e6))
 * ```
 */
export function makePdf(targetBytes: number, options: PdfOptions = {}): Uint8Array {
  const pages = options.pages ?? Math.max(3, Math.round(targetBytes / 25e6))
  const rowBytes = IMAGE_WIDTH * BYTES_PER_PIXEL
  const height = Math.max(1, Math.round(targetBytes / pages / rowBytes))
  const parts: Buffer[] = []
  const offsets: number[] = []
  let length = 0
  const push = (part: Buffer | string): void => {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part
    parts.push(bytes)
    length += bytes.length
  }
  const object = (body: string, stream?: Buffer): void => {
    offsets.push(length)
    push(`${offsets.length} 0 obj\n${body}\n`)
    if (stream) {
      push('stream\n')
      push(stream)
      push('\nendstream\n')
    }
    push('endobj\n')
  }

  // The binary comment line tells transfer tools the file is not text.
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
  // Objects are numbered in the order written: catalog 1, page tree 2, font 3, then page i is 4 + 3i, its content
  // stream the next number and its image the one after; the page tree must name its kids before they exist.
  const kids = Array.from({ length: pages }, (_, i) => `${4 + 3 * i} 0 R`).join(' ')
  object('<< /Type /Catalog /Pages 2 0 R >>')
  object(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`)
  object('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>')
  for (let i = 0; i < pages; i++) {
    const page = 4 + 3 * i
    const content = Buffer.from(
      `q 595 0 0 842 0 0 cm /Im0 Do Q\nBT /F1 10 Tf 40 20 Td (Acte de banc, page ${i + 1} sur ${pages}) Tj ET`,
      'latin1',
    )
    object(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${page + 1} 0 R ` +
        `/Resources << /XObject << /Im0 ${page + 2} 0 R >> /Font << /F1 3 0 R >> >> >>`,
    )
    object(`<< /Length ${content.length} >>`, content)
    const image = pixels(height * rowBytes, i)
    object(
      `<< /Type /XObject /Subtype /Image /Width ${IMAGE_WIDTH} /Height ${height} /ColorSpace /DeviceRGB ` +
        `/BitsPerComponent 8 /Length ${image.length} >>`,
      image,
    )
  }

  const xref = length
  // Each entry is exactly 20 bytes, end of line included (ISO 32000-1 §7.5.4).
  const entries = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')
  push(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n${entries}`)
  push(`trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`)
  return Buffer.concat(parts, length)
}
