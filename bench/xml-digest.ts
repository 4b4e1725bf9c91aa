// Streaming exclusive C14N digest of a PES element (src/xml) against, in the same run: Node's raw SHA-256 of the
// same bytes (the ceiling) and xml-crypto's DOM-based exclusive canonicalisation (what a Node developer would use).
// Builds its own PES-like input; prints figures and ratios, asserts nothing.
// SCEAU_BENCH_MB sets the document size (default 20).
import { createHash, randomBytes } from 'node:crypto'
import { DOMParser } from '@xmldom/xmldom'
import { ExclusiveCanonicalization } from 'xml-crypto'
import { digestElementById } from '../src/xml/digest.js'

const TARGET_MB = Number(process.env.SCEAU_BENCH_MB ?? 20)

function pesDocument(megabytes: number): { bytes: Buffer; lastBordereau: string } {
  const parts: Buffer[] = [
    Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller" Id="ROOT"><PES_DepenseAller>',
      'latin1',
    ),
  ]
  let size = 0
  let count = 0
  const piece =
    '<Piece><BlocPiece><InfoPce><IdPce V="1"/><Obj V="Extension du r\u00e9seau d\'eau &amp; co"/></InfoPce></BlocPiece>' +
    '<LigneDePiece><BlocLignePiece><InfoLignePce><IdLigne V="1"/><Libelle V="Travaux \u00e9t\u00e9"/><MtHT V="4874.40"/></InfoLignePce></BlocLignePiece></LigneDePiece></Piece>\n'
  while (size < megabytes * 0.6e6) {
    const text = `<Bordereau Id="B${count}">${piece.repeat(20)}</Bordereau>\n`
    parts.push(Buffer.from(text, 'latin1'))
    size += text.length
    count++
  }
  parts.push(Buffer.from('</PES_DepenseAller><PES_PJ>', 'latin1'))
  while (size < megabytes * 1e6) {
    const text = `<PJ><Contenu><Fichier MIMEType="application/pdf">${randomBytes(750_000).toString('base64')}</Fichier></Contenu></PJ>`
    parts.push(Buffer.from(text, 'latin1'))
    size += text.length
  }
  parts.push(Buffer.from('</PES_PJ></n:PES_Aller>', 'latin1'))
  return { bytes: Buffer.concat(parts), lastBordereau: `B${count - 1}` }
}

function time<T>(run: () => T): { ms: number; result: T } {
  const started = performance.now()
  const result = run()
  return { ms: performance.now() - started, result }
}

const { bytes, lastBordereau } = pesDocument(TARGET_MB)
const mb = bytes.length / 1e6
console.log(`PES-like document: ${mb.toFixed(1)} MB, ISO-8859-1, last bordereau ${lastBordereau}`)
const raw = time(() => createHash('sha256').update(bytes).digest())
const root = time(() => digestElementById(bytes, { id: 'ROOT', excludeSignature: true }))
const one = time(() => digestElementById(bytes, { id: lastBordereau }))
const dom = time(() => {
  const doc = new DOMParser().parseFromString(bytes.toString('latin1'), 'text/xml')
  const canonical = new ExclusiveCanonicalization().process(doc.documentElement as never, {}) as string
  return createHash('sha256').update(canonical, 'utf8').digest()
})
const same = Buffer.from(root.result.digest).equals(dom.result)
const rows: [string, number][] = [
  ['raw SHA-256 of the bytes (ceiling)', raw.ms],
  ['sceau: exc-c14n digest of the whole root', root.ms],
  ['sceau: exc-c14n digest of one bordereau', one.ms],
  ['xml-crypto + xmldom: whole root', dom.ms],
]
console.log('what                                         time (ms)    MB/s   vs xml-crypto')
for (const [what, ms] of rows) {
  console.log(
    `${what.padEnd(44)}${ms.toFixed(0).padStart(10)}${(mb / (ms / 1000)).toFixed(0).padStart(8)}${(dom.ms / ms).toFixed(2).padStart(10)}x`,
  )
}
console.log(
  `root digests identical (sceau vs xml-crypto): ${same}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (includes the document and the DOM)`,
)
