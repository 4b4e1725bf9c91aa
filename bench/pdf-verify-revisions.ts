// Time of verifying a PDF whose signatures are each followed by later revisions, all of which the change analysis
// compares with each signature's signed revision (src/pades/judge-changes.ts): a 1,000-page PDF (the DGFiP policy
// PDF ten times over, joined by qpdf), signed four times with a visible widget, each signature extended to B-LT:
// four signatures, seven revisions after the first one.
//
//   npx tsx bench/pdf-verify-revisions.ts [--copies 100] [--signatures 4] [--runs 3]
//
// Seconds are those of verifyPdf alone (the file in memory, no network), best of the runs.
import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { extendToLt } from '../src/pades/extend-lt.js'
import { signPdf } from '../src/pades/sign-pdf.js'
import { verifyPdf } from '../src/pades/verify-pdf.js'
import { createTestPki } from '../src/testing/pki.js'
import { testSigner, testTrust } from '../src/testing/signers.js'

const { values } = parseArgs({ options: { copies: { type: 'string' }, signatures: { type: 'string' }, runs: { type: 'string' } } })
const copies = Number(values.copies ?? 100)
const signatures = Number(values.signatures ?? 4)
const runs = Number(values.runs ?? 3)

const source = join(import.meta.dirname, '..', 'fixtures', 'pdf', '1.2.250.1.131.1.5.18.21.1.4.pdf')
const dir = mkdtempSync(join(tmpdir(), 'sceau-bench-verify-'))
try {
  const joined = join(dir, 'joined.pdf')
  execFileSync('qpdf', ['--empty', '--pages', ...Array.from({ length: copies }, () => source), '--', joined])
  const pki = await createTestPki()
  let pdf: Uint8Array = readFileSync(joined)
  const lt = {
    trustedCertificates: [pki.root.certificate],
    crls: [pki.crl, pki.rootCrl],
    fetch: false,
    at: new Date(pki.now.getTime() + 60_000),
  }
  for (let k = 0; k < signatures; k++) {
    pdf = (await signPdf(pdf, testSigner(pki), { rect: [10, 10, 100, 40], page: k })).pdf
    pdf = Buffer.concat([pdf, (await extendToLt(pdf, lt)).appended])
  }
  let best = Infinity
  let verdict = ''
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    const report = await verifyPdf(pdf, testTrust(pki))
    best = Math.min(best, performance.now() - start)
    verdict = `${report.indication} (${report.signatures.map((signature) => signature.indication).join(', ')})`
  }
  console.log(`${copies * 10} pages, ${pdf.length} bytes, ${signatures} signatures, ${2 * signatures - 1} revisions after the first`)
  console.log(`verifyPdf: ${(best / 1000).toFixed(2)} s (best of ${runs}), ${verdict}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
