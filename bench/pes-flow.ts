// Builds unsigned PES V2 flows of a chosen size for the signing benchmarks, from the real Berger-Levrault sample so the
// structure (prologue, Bordereau/Piece shape, PES_PJ entries, ISO-8859-1 accents) is the one Hélios receives.
// Deterministic: the same options give the same bytes, so runs on different days compare.
import { readFileSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

/** Id set on `PES_Aller`; the global signature's Reference points at `#PESROOT`. */
export const PES_ROOT_ID = 'PESROOT'

export interface PesFlowOptions {
  /** Approximate size of the flow; PES_PJ attachments fill whatever the bordereaux leave. */
  targetBytes: number
  /** Number of `PES_DepenseAller/Bordereau`; default one per ~234 KB, i.e. 50 for an 11.7 MB flow. */
  bordereaux?: number
}

const SAMPLE = new URL('../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url)
const BYTES_PER_BORDEREAU = 234_000
const MAX_PIECES_PER_BORDEREAU = 8
// Real attachments are scanned invoices and PDFs of a few KB to a few hundred KB (the sample has 8.7 KB and 150 KB).
const MIN_ATTACHMENT = 20_000
const MAX_ATTACHMENT = 400_000
const PIECE_AMOUNT = 4874.4

interface SampleParts {
  head: string
  bordereauHead: string
  piece: string
  bordereauTail: string
  betweenBordereauxAndPj: string
  pj: string
  tail: string
}

function cut(text: string, start: string, end: string, from = 0): { start: number; end: number } {
  const s = text.indexOf(start, from)
  const e = s < 0 ? -1 : text.indexOf(end, s)
  if (s < 0 || e < 0) throw new Error(`PES sample has no ${start}…${end}`)
  return { start: s, end: e + end.length }
}

function sampleParts(): SampleParts {
  // latin1 maps each byte to one UTF-16 unit and back, so accents survive the round trip untouched.
  let xml = readFileSync(SAMPLE).toString('latin1')
  const signature = cut(xml, '<ds:Signature ', '</ds:Signature>')
  xml = xml.slice(0, signature.start) + xml.slice(signature.end)
  xml = xml.replace(/<n:PES_Aller\b[^>]*>/, (tag) =>
    / Id="[^"]*"/.test(tag) ? tag.replace(/ Id="[^"]*"/, ` Id="${PES_ROOT_ID}"`) : tag.replace(/>$/, ` Id="${PES_ROOT_ID}">`),
  )
  const bordereau = cut(xml, '<Bordereau ', '</Bordereau>')
  const text = xml.slice(bordereau.start, bordereau.end)
  const piece = cut(text, '<Piece>', '</Piece>')
  const pjHeader = cut(xml, '<EnTetePES_PJ>', '</EnTetePES_PJ>', bordereau.end)
  const pj = cut(xml, '<PJ>', '</PJ>', pjHeader.end)
  const lastPj = xml.lastIndexOf('</PJ>') + '</PJ>'.length
  return {
    head: xml.slice(0, bordereau.start),
    bordereauHead: text.slice(0, piece.start),
    piece: text.slice(piece.start, piece.end),
    bordereauTail: text.slice(piece.end),
    betweenBordereauxAndPj: xml.slice(bordereau.end, pj.start),
    pj: xml.slice(pj.start, pj.end),
    tail: xml.slice(lastPj),
  }
}

// xorshift32: enough to make incompressible, reproducible attachment bytes at memory speed.
function randomSource(seed: number): { next(): number; bytes(length: number): Buffer } {
  let state = seed >>> 0 || 1
  const next = (): number => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state
  }
  const bytes = (length: number): Buffer => {
    const words = new Uint32Array(Math.ceil(length / 4))
    for (let i = 0; i < words.length; i++) words[i] = next()
    return Buffer.from(words.buffer, 0, length)
  }
  return { next, bytes }
}

function pjIdUnique(n: number): string {
  return `21780537300016DEPENSE${String(2016_000_000 + n)}`
}

/**
 * Builds an unsigned PES_Aller flow of about `targetBytes` bytes, ISO-8859-1 with its declaration, root `Id="PESROOT"`,
 * bordereaux `BORD1`, `BORD2`… of 1 to 8 pieces each, and PES_PJ entries holding base64 of gzipped pseudo-random bytes.
 *
 * @example
 * const flow = makePesFlow({ targetBytes: 11.7e6 }) // 50 bordereaux, ~11.2 MB of attachments
 */
export function makePesFlow(options: PesFlowOptions): Buffer {
  const { targetBytes } = options
  const bordereaux = options.bordereaux ?? Math.max(1, Math.round(targetBytes / BYTES_PER_BORDEREAU))
  const parts = sampleParts()
  const random = randomSource(0x5cea0)
  const chunks: Buffer[] = []
  let size = 0
  const push = (text: string): void => {
    const chunk = Buffer.from(text, 'latin1')
    chunks.push(chunk)
    size += chunk.length
  }

  push(parts.head)
  let pieceCount = 0
  let pjRefCount = 0
  for (let b = 1; b <= bordereaux; b++) {
    const pieces = 1 + (random.next() % MAX_PIECES_PER_BORDEREAU)
    push(
      parts.bordereauHead
        .replace(/ Id="[^"]*"/, ` Id="BORD${b}"`)
        .replace(/<IdBord V="[^"]*"/, `<IdBord V="${b}"`)
        .replace(/<NbrPce V="[^"]*"/, `<NbrPce V="${pieces}"`)
        .replace(/<MtBordHT V="[^"]*"/, `<MtBordHT V="${(pieces * PIECE_AMOUNT).toFixed(2)}"`),
    )
    for (let p = 0; p < pieces; p++) {
      pieceCount++
      push(
        parts.piece
          .replace(/<IdPce V="[^"]*"/, `<IdPce V="${1302 + pieceCount}"`)
          .replace(/<IdUnique V="[^"]*"/g, () => `<IdUnique V="${pjIdUnique(++pjRefCount)}"`),
      )
    }
    push(parts.bordereauTail)
  }
  push(parts.betweenBordereauxAndPj)

  const [pjBefore, pjAfter] = parts.pj.split(/(?<=<Fichier [^>]*>)[^<]*/) as [string, string]
  const pjOverhead = pjBefore.length + pjAfter.length + 64
  let pj = 0
  for (;;) {
    const room = targetBytes - size - parts.tail.length - pjOverhead
    if (room < MIN_ATTACHMENT / 2 && pj > 0) break
    const wanted = MIN_ATTACHMENT + (random.next() % (MAX_ATTACHMENT - MIN_ATTACHMENT))
    // Random bytes do not compress, so base64 of the gzip is 4/3 of the raw length plus gzip's ~30 header bytes.
    const raw = Math.max(1000, Math.min(wanted, Math.floor((room * 3) / 4) - 40))
    pj++
    const content = gzipSync(random.bytes(raw), { level: 1 }).toString('base64')
    push(
      pjBefore +
        content +
        pjAfter.replace(/<IdUnique V="[^"]*"/, `<IdUnique V="${pjIdUnique(pj)}"`).replace(/<NomPJ V="[^"]*"/, `<NomPJ V="PJ${pj}.pdf"`),
    )
  }
  push(parts.tail)
  return Buffer.concat(chunks, size)
}

/** Writes {@link makePesFlow}'s output to `path`. */
export function writePesFlow(path: string, options: PesFlowOptions): void {
  writeFileSync(path, makePesFlow(options))
}
