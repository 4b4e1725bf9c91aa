// Writes fixtures/hostile/pdf/: the hostile and legitimate PDFs of src/testing/hostile-pdfs.ts, signed with a test
// PKI made for the occasion, with that PKI's root, intermediate and CRLs under trust/ (never its private keys), the
// instant to verify at, and EXPECTED.md (file → verdict → why). Run: `npx tsx scripts/build-hostile-pdfs.ts`.

import 'reflect-metadata'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { buildHostilePdfs } from '../src/testing/hostile-pdfs.js'
import { createTestPki } from '../src/testing/pki.js'
import { testSigner } from '../src/testing/signers.js'
import { derToPem } from '../src/x509/pem.js'

const out = join(import.meta.dirname, '..', 'fixtures', 'hostile', 'pdf')
const pki = await createTestPki()
const files = await buildHostilePdfs({ pki, signer: testSigner(pki) })
const at = new Date(pki.now.getTime() + 120_000).toISOString()

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'trust'), { recursive: true })
writeFileSync(join(out, 'trust', 'root.pem'), derToPem(pki.root.certificate))
writeFileSync(join(out, 'trust', 'intermediate.pem'), derToPem(pki.intermediate.certificate))
writeFileSync(join(out, 'trust', 'crl.der'), pki.crl)
writeFileSync(join(out, 'trust', 'root-crl.der'), pki.rootCrl)
writeFileSync(join(out, 'trust', 'at.txt'), `${at}\n`)
for (const file of files) writeFileSync(join(out, file.name), file.pdf)

const rows = files.map((file) => {
  const verdict = `${file.expected}${file.expected === 'TOTAL_FAILED' ? ' (FORMAT_FAILURE, exit 1)' : file.warning ? ' with a warning (exit 0; INDETERMINATE with --strict)' : ' (exit 0)'}`
  return `| \`${file.name}\` | ${verdict} | ${file.why} The report names: “${file.names}”. |`
})
const expected = `# fixtures/hostile/pdf — expected verdicts

Built by \`npx tsx scripts/build-hostile-pdfs.ts\` (src/testing/hostile-pdfs.ts) from a two-page PDF written by hand,
signed with a test PKI made for the occasion (its root, intermediate and CRLs are in \`trust/\`; its private keys were
never written). Every later revision is an incremental update written by sceau's own writer
(src/pades/pdf/revision.ts), as an attacker or a legitimate tool would append it. Verify at the instant in
\`trust/at.txt\`:

\`\`\`
sceau verify --trust trust/root.pem --intermediates trust/intermediate.pem --crl trust/crl.der --crl trust/root-crl.der \\
  --no-crl-fetch --at "$(cat trust/at.txt)" FILE.pdf
\`\`\`

native-tests/hostile-pdf.test.ts runs exactly that on each file and checks the verdict and the named object or byte
range; it also asks pdfsig and qpdf, which find most of the hostile files valid (they check the byte ranges, not
what later revisions change).

| file | expected | why |
| --- | --- | --- |
${rows.join('\n')}
`
// Written as the repository's formatter would, so that `npm run lint` passes on a fresh build.
writeFileSync(join(out, 'EXPECTED.md'), await format(expected, { parser: 'markdown', ...(await resolveConfig(join(out, 'EXPECTED.md'))) }))
console.log(`${files.length} files written to ${out}`)
