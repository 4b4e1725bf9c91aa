// Time and peak memory of signing a PDF (one signature in an incremental update, RSA-2048, SHA-256) with sceau and with
// @signpdf, the library a Node developer would otherwise reach for, so sceau's PDF signer has numbers to beat. Inputs
// are scanned-act-like PDFs from pdf-input.ts. Every contestant runs in its own child process: its peak RSS is then
// its own, and a crash or a hang is a figure in the table rather than the end of the benchmark. Every output is checked
// with `pdfsig` (the CMS must verify against the /ByteRange) and `qpdf --check` (the incremental update must parse).
//
//   npx tsx bench/pdf-sign.ts [--sizes 1,100] [--runs 3]
//
// Seconds are measured inside the child around `run`: reading the input, signing, writing the output (node and tsx
// start-up excluded), best of the runs. Peak RSS is the largest of the runs of GNU time's %M on the node child; the
// "node idle" row is that child doing nothing, the floor under every other figure. Without /usr/bin/time, the child's
// own maxRSS, which includes what it inherited from the parent at fork.
import { execFileSync, spawnSync } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { plainAddPlaceholder } from '@signpdf/placeholder-plain'
import { SignPdf } from '@signpdf/signpdf'
import { P12Signer } from '@signpdf/signer-p12'
import 'reflect-metadata'
import { signPdfParts } from '../src/pades/sign-pdf.js'
import { KeySigner } from '../src/signer/key-signer.js'
import { bestOf, contestRow, GNU_TIME, option, printTable, runChild as runChildProcess, type Outcome } from './child-process.js'
import { makePdf } from './pdf-input.js'

interface Keys {
  keyPem: string
  certPem: string
  p12: Buffer
}

interface Contestant {
  name: string
  run(file: string, keys: Keys, outFile: string): Promise<void>
}

const TIMEOUT_MS = 300_000
const BASELINE = '@signpdf'
const SIGNED_FIELDS = { reason: 'Délibération n° 2026-042', location: 'Nice', contactInfo: 'mairie@example.fr', name: 'Signataire de banc' }

// sceau as `sceau sign-pdf` runs it: the original bytes are kept, one revision carrying the signature is built, and
// the two are written one after the other (signPdfParts), so the file is never copied in memory.
const sceau: Contestant = {
  name: 'sceau',
  async run(file, keys, outFile) {
    const key = new Uint8Array(createPrivateKey(keys.keyPem).export({ format: 'der', type: 'pkcs8' }))
    const signer = KeySigner.fromPkcs8({ key, certificate: new Uint8Array(new X509Certificate(keys.certPem).raw) })
    const { original, appended } = await signPdfParts(readFileSync(file), signer, SIGNED_FIELDS)
    const fd = openSync(outFile, 'w')
    try {
      writeSync(fd, original)
      writeSync(fd, appended)
    } finally {
      closeSync(fd)
    }
  },
}

// @signpdf as its README shows it: a placeholder added by string search on the whole file, then node-forge's PKCS#7
// over the bytes outside /Contents. Its default /SubFilter (adbe.pkcs7.detached) is kept: that is what its users get.
const signpdf: Contestant = {
  name: BASELINE,
  async run(file, keys, outFile) {
    const withPlaceholder = plainAddPlaceholder({ pdfBuffer: readFileSync(file), ...SIGNED_FIELDS })
    const signed = await new SignPdf().sign(withPlaceholder, new P12Signer(keys.p12, { passphrase: '' }))
    writeFileSync(outFile, signed)
  },
}

// The child process doing nothing: node, tsx and the modules this script loads.
const idle: Contestant = {
  name: 'node idle',
  async run() {},
}

const contestants: Contestant[] = [signpdf, sceau, idle]

async function child(name: string, file: string, keyFile: string, certFile: string, p12File: string, outFile: string): Promise<void> {
  const contestant = contestants.find((c) => c.name === name)
  if (!contestant) throw new Error(`no contestant named ${name}`)
  const keys = { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8'), p12: readFileSync(p12File) }
  const started = performance.now()
  await contestant.run(file, keys, outFile)
  const seconds = (performance.now() - started) / 1000
  // The parent reads the peak from GNU time: the child's own maxRSS would include the parent's memory, inherited at
  // fork before exec (the 100 MB PDF the parent just generated, for one).
  const rssKb = existsSync(GNU_TIME) ? undefined : process.resourceUsage().maxRSS
  process.stdout.write(`${JSON.stringify({ seconds, rssKb })}\n`)
}

function runChild(name: string, args: string[]): Promise<Outcome> {
  return runChildProcess(fileURLToPath(import.meta.url), name, args, `${args.at(-1)}.peak`, TIMEOUT_MS)
}

// pdfsig exits 0 whatever it finds, so its words are what counts; qpdf exits 0 only without errors and warnings, and
// its first complaint is the figure when there is one.
function verify(outFile: string): string {
  const pdfsig = spawnSync('pdfsig', [outFile], { encoding: 'utf8', maxBuffer: 1 << 24 })
  const valid = (pdfsig.stdout.match(/Signature Validation: Signature is Valid\./g) ?? []).length
  if (valid !== 1) return `no: pdfsig finds ${valid} valid signatures`
  const qpdf = spawnSync('qpdf', ['--check', outFile], { encoding: 'utf8', maxBuffer: 1 << 24 })
  if (qpdf.status === 0) return 'yes'
  const complaint = `${qpdf.stderr}${qpdf.stdout}`.split('\n').find((line) => /WARNING|ERROR|error/.test(line))
  return `no: qpdf exit ${qpdf.status}${complaint ? `, ${complaint.split(': ').pop()}` : ''}`
}

function makeKeys(dir: string): { keyFile: string; certFile: string; p12File: string } {
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  const p12File = join(dir, 'cert.p12')
  const subject = '/C=FR/O=Commune de Berger-Levrault/CN=Signataire de banc'
  const req = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', subject]
  execFileSync('openssl', req, { stdio: 'ignore' })
  // OpenSSL 3's default PKCS#12 (PBES2, AES-256-CBC, PBKDF2) is one node-forge reads, so no -legacy is needed.
  const p12 = ['pkcs12', '-export', '-inkey', keyFile, '-in', certFile, '-out', p12File, '-passout', 'pass:']
  execFileSync('openssl', p12, { stdio: 'ignore' })
  return { keyFile, certFile, p12File }
}

async function main(): Promise<void> {
  const sizes = (option('--sizes') ?? '1,100').split(',').map(Number)
  const runs = Number(option('--runs') ?? 3)
  const dir = mkdtempSync(join(tmpdir(), 'sceau-pdf-sign-'))
  try {
    const { keyFile, certFile, p12File } = makeKeys(dir)
    const rows: string[][] = [['size MB', 'tool', 'seconds', `vs ${BASELINE}`, 'peak RSS MB', 'verified']]
    for (const mb of sizes) {
      const input = join(dir, `act-${mb}.pdf`)
      writeFileSync(input, makePdf(mb * 1e6))
      const actual = (readFileSync(input).length / 1e6).toFixed(1)
      const results = new Map<string, number>()
      for (const contestant of contestants) {
        const out = join(dir, `${contestant.name.replace(/\W/g, '')}-${mb}.pdf`)
        const outcome = await bestOf(runs, () => runChild(contestant.name, [input, keyFile, certFile, p12File, out]))
        const verified = contestant === idle || outcome.failure !== undefined ? 'no' : verify(out)
        const row = contestRow(actual, contestant.name, outcome, results, BASELINE, verified, contestant === idle)
        console.log(row.join('\t'))
        rows.push(row)
        rmSync(out, { force: true })
      }
      rmSync(input)
    }
    printTable(rows)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') {
  const [name, file, keyFile, certFile, p12File, outFile] = process.argv.slice(3) as [string, string, string, string, string, string]
  await child(name, file, keyFile, certFile, p12File, outFile)
} else {
  await main()
}
