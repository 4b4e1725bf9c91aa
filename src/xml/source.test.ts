// The windowed path (a ByteSource read a few bytes at a time) against the in-memory path, which the differential
// and xmlsec1 tests already hold to the specification: same canonical bytes, digests, index and errors, whatever
// token a window boundary cuts. Then what the window is for: a big file digested in bounded memory.

import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { canonicalizeElementAt, canonicalizeElementById, digestElementAt, digestElementById } from './digest.js'
import { indexDocument, type DocumentIndex } from './index-document.js'
import { XmlScanner } from './scanner.js'
import { randomXmlDocument, seededRandom, type RandomXmlOptions } from '../testing/random-xml.js'
import { bufferSource, fileSource, type ByteSource } from './source.js'

const FLOW = new URL('../../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url)
const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const WINDOWS = [16, 17, 64, 4096]
const scratch = mkdtempSync(join(tmpdir(), 'sceau-source-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function withFile<T>(path: string | URL, windowSize: number | undefined, use: (source: ByteSource) => T): T {
  const fd = openSync(path, 'r')
  try {
    return use(fileSource(fd, fstatSync(fd).size, { windowSize }))
  } finally {
    closeSync(fd)
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64')
}

/** The outcome of a call, an error reduced to what a caller switches on and reads. */
function outcome<T>(run: () => T): T | { error: string } {
  try {
    return run()
  } catch (error) {
    if (isSceauError(error)) return { error: `${error.code}: ${error.message}` }
    throw error
  }
}

/** Every recorded element canonicalised at its offset, the signatures left out as verifying does. */
function canonicalForms(input: Uint8Array | ByteSource, index: DocumentIndex): string[] {
  return index.elements.map((element) => {
    const signature = index.signatures.find((candidate) => candidate.parentStart === element.start)
    return base64(canonicalizeElementAt(input, index.encoding, element, { excludeAt: signature?.start }))
  })
}

describe('the real PES flow through a file read in small windows', () => {
  const flow = readFileSync(FLOW)
  const index = indexDocument(flow)
  const expected = canonicalForms(flow, index)

  for (const windowSize of WINDOWS) {
    it(`window of ${windowSize} bytes: same digests, index and canonical forms as in memory`, () => {
      withFile(FLOW, windowSize, (source) => {
        const bordereau = digestElementById(source, { id: 'N10025' })
        expect(base64(bordereau.digest)).toBe('G7smT2s9qRH2fdhuMW4pEYQFAaE1bMAyrYZx6zv1oDA=')
        expect(bordereau).toEqual(digestElementById(flow, { id: 'N10025' }))
        const properties = digestElementById(source, { id: 'IDC1190328100914p0100_SP', excludeSignature: false })
        expect(base64(properties.digest)).toBe('m6q2yeiad05o99FcQI1URCdoFa1DFiLvYBm7fCmFsDs=')

        const windowed = indexDocument(source)
        expect(windowed).toEqual(index)
        expect(windowed.signatures.length).toBeGreaterThan(0)
        expect(canonicalForms(source, windowed)).toEqual(expected)
        const element = index.ids.get('N10025')?.[0]
        if (element === undefined) throw new Error('fixture without N10025')
        const signature = index.signatures.find((candidate) => candidate.parentStart === element.start)
        const at = digestElementAt(source, index.encoding, element, { excludeAt: signature?.start })
        expect(base64(at.digest)).toBe('G7smT2s9qRH2fdhuMW4pEYQFAaE1bMAyrYZx6zv1oDA=')
      })
    })
  }

  it('reads an element at a known offset without reading the file before it', () => {
    const element = index.ids.get('N10025')?.[0]
    if (element === undefined) throw new Error('fixture without N10025')
    let lowest = Infinity
    const inner = bufferSource(flow, { windowSize: 64 })
    const watched: ByteSource = {
      size: inner.size,
      windowSize: 64,
      read(into, position) {
        lowest = Math.min(lowest, position)
        return inner.read(into, position)
      },
    }
    const signature = index.signatures.find((candidate) => candidate.parentStart === element.start)
    const { digest } = digestElementAt(watched, index.encoding, element, { excludeAt: signature?.start })
    expect(base64(digest)).toBe('G7smT2s9qRH2fdhuMW4pEYQFAaE1bMAyrYZx6zv1oDA=')
    expect(lowest).toBe(element.start)
  })
})

const text = (pick: (n: number) => number, texts: readonly string[]): string => texts[pick(texts.length)] as string

// The documents of differential.test.ts, with longer texts so that references, CR LF pairs and multi-byte characters
// fall on window boundaries, processing instructions, and a ds:Signature to leave out.
const DOCUMENTS: RandomXmlOptions = {
  texts: [
    'plain',
    ' a &lt; b ',
    '&amp;&gt;&quot;',
    'caf\u00e9',
    '\u20ac 10',
    'line\r\nbreak\rcr\r\n\r\n',
    '&#233;&#x1F600;',
    '\t tab ',
    'x ]]&gt; y',
    '',
    '\u00e9\u00e8\u00ea\u20ac\u{1F600}'.repeat(5),
    'long text with &amp; a reference every few bytes &#x20AC; and &lt; more '.repeat(3),
  ],
  children: 6,
  kinds: [
    text,
    (pick, texts) => `<![CDATA[<x> & \r\n ${text(pick, texts)}]]]>`,
    () => '<!-- comment & <stuff> -->',
    () => '<?pi some\r\ndata?>',
    () => `<ds:Signature xmlns:ds="${DSIG}"><ds:SignedInfo>x</ds:SignedInfo></ds:Signature>`,
    text,
  ],
  whitespace: '\r\n  ',
}

function documentBytes(seed: number, latin1: boolean): Buffer {
  return randomXmlDocument(seed, latin1, DOCUMENTS).bytes
}

/** Everything the xml layer computes on a document, errors included. */
function results(input: Uint8Array | ByteSource): unknown {
  const byId = outcome(() => base64(canonicalizeElementById(input, { id: 'target' })))
  const digest = outcome(() => digestElementById(input, { id: 'target', excludeSignature: false }))
  const index = outcome(() => indexDocument(input))
  const forms = 'error' in index ? undefined : outcome(() => canonicalForms(input, index))
  return { byId, digest, index, forms }
}

describe('generated documents through windows of every small size', () => {
  for (const latin1 of [false, true]) {
    it(`${latin1 ? 'ISO-8859-1' : 'UTF-8'}: 150 documents, windows of 10 to 64 bytes`, () => {
      for (let seed = 1; seed <= 150; seed++) {
        const bytes = documentBytes(seed, latin1)
        const expected = results(bytes)
        expect(JSON.stringify(expected), `seed ${seed}`).not.toContain('"error"')
        for (const windowSize of [10, 11, 16, 17, 23, 64]) {
          expect(results(bufferSource(bytes, { windowSize })), `seed ${seed}, window ${windowSize}`).toEqual(expected)
        }
      }
    })
  }

  it('through a real file: same results', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const bytes = documentBytes(seed, seed % 2 === 0)
      const path = join(scratch, `generated-${seed}.xml`)
      const fd = openSync(path, 'w')
      writeSync(fd, bytes)
      closeSync(fd)
      const expected = results(bytes)
      for (const windowSize of WINDOWS) expect(withFile(path, windowSize, results), `seed ${seed}`).toEqual(expected)
    }
  })

  it('broken documents: the same error as in memory', () => {
    let broken = 0
    for (let seed = 1; seed <= 60; seed++) {
      const whole = documentBytes(seed, seed % 2 === 0)
      const pick = seededRandom(seed)
      for (let k = 0; k < 6; k++) {
        const bytes = Buffer.from(whole.subarray(0, whole.length - 1 - pick(whole.length / 2)))
        if (k % 2 === 1) bytes[pick(bytes.length)] = [0x3c, 0x3e, 0x26, 0x22, 0x2f, 0x5d][pick(6)] as number
        const expected = results(bytes)
        if (JSON.stringify(expected).includes('"error"')) broken++
        for (const windowSize of [10, 17, 64]) {
          expect(results(bufferSource(bytes, { windowSize })), `seed ${seed}.${k}, window ${windowSize}`).toEqual(expected)
        }
      }
    }
    expect(broken).toBeGreaterThan(300)
  })
})

describe('limits and UTF-8 checks of the windowed scanner', () => {
  it('refuses invalid UTF-8 far beyond the first window, and accepts characters cut by every boundary', () => {
    const good = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><r Id="R">${'\u00e9\u20ac\u{1F600}a'.repeat(300_000)}</r>`, 'utf8')
    const bad = Buffer.from(good)
    bad[good.length - 1000] = 0xff
    for (const [input, ok] of [
      [good, true],
      [bad, false],
    ] as const) {
      for (const windowSize of [17, 4096, undefined]) {
        const path = join(scratch, `utf8-${ok}.xml`)
        const fd = openSync(path, 'w')
        writeSync(fd, input)
        closeSync(fd)
        const runs: ((source: ByteSource) => unknown)[] = [
          (source) => digestElementById(source, { id: 'R' }),
          (source) => indexDocument(source),
        ]
        for (const run of runs) {
          const result = outcome(() => withFile(path, windowSize, run))
          if (ok) expect(result).not.toHaveProperty('error')
          else expect(result).toEqual({ error: 'INPUT_MALFORMED: XML document declared UTF-8 holds invalid UTF-8 bytes' })
        }
      }
    }
    expect(base64(withFile(join(scratch, 'utf8-true.xml'), 17, (source) => digestElementById(source, { id: 'R' })).digest)).toBe(
      base64(digestElementById(good, { id: 'R' }).digest),
    )
  })

  it('grows the window for a tag larger than it, and refuses one over the limit', () => {
    const bytes = Buffer.from(`<r a="${'x'.repeat(5000)}"><b/></r>`)
    const read = (maxToken: number): string[] => {
      const scanner = new XmlScanner(bufferSource(bytes), 'utf8', 0, { window: 16, maxToken })
      const kinds: string[] = []
      for (let token = scanner.next(); token.kind !== 'eof'; token = scanner.next()) kinds.push(token.kind)
      return kinds
    }
    expect(read(8192)).toEqual(['start', 'start', 'end'])
    expect(outcome(() => read(1024))).toEqual({ error: 'INPUT_TOO_LARGE: XML token at byte 0 is larger than 1024 bytes' })
  })

  it('streams text and CDATA larger than the largest token in pieces', () => {
    const text = 'A'.repeat(100_000)
    const bytes = Buffer.from(`<r Id="R">${text}<![CDATA[${text}]]></r>`)
    const inner = bufferSource(bytes)
    let largest = 0
    const watched: ByteSource = {
      size: inner.size,
      windowSize: 64,
      read(into, position) {
        largest = Math.max(largest, into.length)
        return inner.read(into, position)
      },
    }
    const windowed = canonicalizeElementById(watched, { id: 'R' })
    expect(Buffer.from(windowed).toString()).toBe(`<r Id="R">${text}${text}</r>`)
    // 256: the first read looks for the XML declaration.
    expect(largest).toBeLessThanOrEqual(256)
  })
})

describe('memory', () => {
  it('digests a 64 MB file with an RSS growth far below its size', () => {
    const path = join(scratch, 'big.xml')
    const fd = openSync(path, 'w')
    const piece = '<Piece><IdPce V="1"/><Obj V="Extension du r\u00e9seau &amp; co"/><MtHT V="4874.40"/></Piece>\n'
    writeSync(fd, '<?xml version="1.0" encoding="ISO-8859-1"?>\n<PES_Aller Id="ROOT"><PES_DepenseAller>', null, 'latin1')
    for (let k = 0; k < 100; k++) writeSync(fd, `<Bordereau Id="B${k}">${piece.repeat(500)}</Bordereau>\n`, null, 'latin1')
    writeSync(fd, '</PES_DepenseAller><PES_PJ><PJ><Fichier>')
    const chunk = Buffer.alloc(1 << 20, 'QUJDRA==')
    while (fstatSync(fd).size < 64 * 1024 * 1024) writeSync(fd, chunk)
    writeSync(fd, '</Fichier></PJ></PES_PJ></PES_Aller>')
    closeSync(fd)

    // The peak is sampled on every read, so memory freed by a late collection cannot hide a document held whole.
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const before = process.memoryUsage.rss()
    let peak = before
    const sampled = (source: ByteSource): ByteSource => ({
      size: source.size,
      read(into, position) {
        peak = Math.max(peak, process.memoryUsage.rss())
        return source.read(into, position)
      },
    })
    const { digest, end } = withFile(path, undefined, (source) => digestElementById(sampled(source), { id: 'ROOT' }))
    const index = withFile(path, undefined, (source) => indexDocument(sampled(source)))
    peak = Math.max(peak, process.memoryUsage.rss())
    const growth = peak - before
    expect(end).toBe(statSync(path).size)
    expect(index.ids.size).toBe(101)
    expect(digest.length).toBe(32)
    expect(growth).toBeLessThan(32 * 1024 * 1024)
    console.log(`64 MB file digested and indexed through fileSource: peak RSS growth ${(growth / 1024 / 1024).toFixed(1)} MB`)
  })
})
