// How close sceau's batch core (signBatch) gets to the token's raw signing rate on many small files, the case where
// the token, not hashing, should be the limit: 1,500 PES flows of ~8.5 KB signed globally, and 200 PDFs of ~90 KB.
// Ceiling and contenders run in the same process on the same SoftHSM token (RSA-2048), so the ratios mean something
// whatever the machine. xadesjs and @signpdf, with a software key, are there for scale. Prints tables; asserts
// nothing; a sample of the signed flows is checked with xmlsec1 and of the signed PDFs with pdfsig.
//
//   npx tsx bench/batch-sign.ts [--files 1500] [--pdfs 200] [--sessions 4]
//
// Rates are items ended per second of wall-clock time around the whole batch (outputs fsynced and renamed). The
// "loop max ms" column is the longest the event loop went without a turn during the run (a 5 ms timer's longest
// gap): a batch that never yields shows its whole duration there, and a Ctrl-C or a progress timer waits that long.
import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { plainAddPlaceholder } from '@signpdf/placeholder-plain'
import { SignPdf } from '@signpdf/signpdf'
import { P12Signer } from '@signpdf/signer-p12'
import { writeAtomically } from '../src/atomic-write.js'
import { pdfJob, pesJob } from '../src/batch/jobs.js'
import { defaultConcurrency, signBatch, type BatchItem, type BatchJob } from '../src/batch/sign-batch.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { digest, digestInfo } from '../src/signer/digest-info.js'
import { KeySigner } from '../src/signer/key-signer.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { Signer } from '../src/signer/signer.js'
import { buildEnvelopedSignature } from '../src/xades/build-signature.js'
import { issuerSerialOf } from '../src/xades/certificate-ref.js'
import { indexPes, readPesFlow } from '../src/xades/pes-flow.js'
import { HELIOS_POLICY } from '../src/xades/policies.js'
import { signPes, signPesFile } from '../src/xades/sign-pes.js'
import { digestElementAt } from '../src/xml/digest.js'
import { option, printTable } from './child-process.js'
import { makePdf } from './pdf-input.js'
import { makePesFlow } from './pes-flow.js'
import { BENCH_PIN_ENV, createBenchToken, loadPkcs11js, rawRate, type BenchToken } from './softhsm-bench.js'
import { xadesjsPesSigner, xmlsec1Verifies } from './xadesjs-pes.js'

const FILES = Number(option('--files') ?? 1500)
const PDFS = Number(option('--pdfs') ?? 200)
const SESSIONS = Number(option('--sessions') ?? 4)
const RAW_SECONDS = Number(process.env.SCEAU_BENCH_SECONDS ?? 3)
// makePesFlow lands a little under its target: 8,600 gives a flow of ~8.5 KB (one bordereau, one small PES_PJ).
const PES_TARGET_BYTES = 8_600
const PDF_TARGET_BYTES = 100_000
// xadesjs builds a DOM per flow and takes tens of ms for each: a subset says its rate well enough.
const XADESJS_FLOWS = 200
const XMLSEC1_SAMPLE = 20
const PDFSIG_SAMPLE = 5
// Iterations of each stage in the sequential breakdown of one item.
const STAGE_RUNS = 300
const KEY_LABEL = 'rsa'
const TICK_MS = 5
const PDF_FIELDS = { reason: 'Délibération n° 2026-042', location: 'Nice', contactInfo: 'mairie@example.fr', name: 'Signataire de banc' }

interface BatchRun {
  seconds: number
  signed: number
  failed: number
  firstFailure?: string
  loopMaxMs: number
  /** CPU time of the whole process (event loop, libuv pool, SoftHSM's work) per second of wall time: cores in use. */
  cores: number
}

/**
 * Runs `work` over `count` items and times it, with a 5 ms timer ticking meanwhile: the longest gap between ticks
 * (start and end included) is the longest the event loop was held without a turn.
 */
async function timeRun(count: number, work: () => Promise<{ failed: number; firstFailure?: string }>): Promise<BatchRun> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  let lastTick = started
  let loopMaxMs = 0
  const timer = setInterval(() => {
    const now = performance.now()
    loopMaxMs = Math.max(loopMaxMs, now - lastTick)
    lastTick = now
  }, TICK_MS)
  try {
    const { failed, firstFailure } = await work()
    const ended = performance.now()
    const used = process.cpuUsage(cpu)
    return {
      cores: (used.user + used.system) / 1000 / (ended - started),
      seconds: (ended - started) / 1000,
      signed: count - failed,
      failed,
      firstFailure,
      loopMaxMs: Math.max(loopMaxMs, ended - lastTick),
    }
  } finally {
    clearInterval(timer)
  }
}

/** Runs one batch to its end and times it. */
function timeBatch(items: readonly BatchItem[], signer: Signer, job: BatchJob, concurrency?: number, workers?: number): Promise<BatchRun> {
  return timeRun(items.length, async () => {
    let failed = 0
    let firstFailure: string | undefined
    for await (const result of signBatch(items, { signer, job, workers, ...(concurrency === undefined ? {} : { concurrency }) })) {
      if (result.status !== 'failed') continue
      failed++
      firstFailure ??= `${result.error.code}: ${result.error.message}`
    }
    return { failed, firstFailure }
  })
}

/** A signer that answers at once with zeros: the batch without the key, i.e. sceau's own work per item. */
function noKeySigner(like: Signer): Signer {
  return {
    certificate: like.certificate,
    chain: like.chain,
    key: like.key,
    algorithms: like.algorithms,
    maxSignatureLength: like.maxSignatureLength,
    parallelSignatures: like.parallelSignatures,
    sign: async () => new Uint8Array(like.maxSignatureLength),
  }
}

/**
 * Mean microseconds of `once` over `runs` calls, after a few to warm up: wall time, and the process's CPU time (what
 * the item costs the machine; waiting on the disk for fsync is wall time only).
 */
async function microseconds(runs: number, once: (k: number) => unknown): Promise<{ wall: number; cpu: number }> {
  for (let k = 0; k < 10; k++) await once(k)
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let k = 0; k < runs; k++) await once(k)
  const used = process.cpuUsage(cpu)
  return { wall: ((performance.now() - started) * 1000) / runs, cpu: (used.user + used.system) / runs }
}

function rate(count: number, seconds: number): number {
  return count / seconds
}

function fixed(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '?' : value.toFixed(digits)
}

function shell(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return '?'
  }
}

/** Outputs whose pdfsig report says the one signature is valid (integrity: the test PKI is not trusted). */
function pdfsigValid(files: readonly string[]): number {
  return files.filter((file) => {
    const report = spawnSync('pdfsig', [file], { encoding: 'utf8' }).stdout ?? ''
    return (report.match(/Signature Validation: Signature is Valid\./g) ?? []).length === 1
  }).length
}

async function openTokenSigner(token: BenchToken, sessions: number): Promise<{ signer: Pkcs11Signer; close: () => void }> {
  const opened = await Token.open({ module: token.module, token: token.label, sessions })
  try {
    await opened.login(pinFromEnv(BENCH_PIN_ENV))
    return { signer: await Pkcs11Signer.create({ token: opened, key: KEY_LABEL }), close: () => opened.close() }
  } catch (err) {
    opened.close()
    throw err
  }
}

function printMachine(token: BenchToken): void {
  const softhsm = shell('softhsm2-util', ['--version'])
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), node ${process.version}, SoftHSM ${softhsm}`)
  console.log(
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  console.log(`module ${token.module}; raw ceilings measured for ${RAW_SECONDS} s each; ${FILES} PES flows, ${PDFS} PDFs`)
}

async function pesSection(dir: string, token: BenchToken, keySigner: KeySigner): Promise<void> {
  const pkcs11 = loadPkcs11js()
  const flow = makePesFlow({ targetBytes: PES_TARGET_BYTES })
  const inDir = join(dir, 'pes-in')
  const outDir = join(dir, 'pes-out')
  const scratchDir = join(dir, 'pes-scratch')
  for (const folder of [inDir, outDir, scratchDir]) mkdirSync(folder)
  const items: BatchItem[] = Array.from({ length: FILES }, (_, k) => {
    const name = `PESALR2_${String(k).padStart(5, '0')}.xml`
    writeFileSync(join(inDir, name), flow)
    return { input: join(inDir, name), output: join(outDir, name) }
  })
  const scratchItems = items.map((item) => ({ ...item, output: join(scratchDir, item.output.slice(outDir.length + 1)) }))
  console.log(`\n1. ${FILES} PES flows of ${flow.length} bytes, one global XAdES-EPES signature each (pesJob placement 'whole'), RSA-2048`)

  // The ceiling first: rawRate finalises its own pkcs11js instance, which must not overlap a sceau Token.
  const rawData = Buffer.from(digestInfo('SHA-256', digest('SHA-256', Buffer.from('x'))))
  const raw = new Map<number, number>()
  const rawCores = new Map<number, number>()
  for (const sessions of [...new Set([1, SESSIONS])]) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    raw.set(
      sessions,
      await rawRate(pkcs11, { token, keyLabel: KEY_LABEL, mechanism: pkcs11.CKM_RSA_PKCS, data: rawData, sessions, seconds: RAW_SECONDS }),
    )
    const used = process.cpuUsage(cpu)
    rawCores.set(sessions, (used.user + used.system) / 1000 / (performance.now() - started))
  }
  const ceiling = raw.get(SESSIONS) as number

  const rows: string[][] = [
    ['what', 'sessions', 'concurrency', 'items', 'seconds', 'per second', `vs raw ${SESSIONS}-session`, 'loop max ms', 'cores used'],
  ]
  for (const [sessions, perSecond] of raw) {
    rows.push([
      `raw C_SignInit+C_SignAsync (signatures)`,
      String(sessions),
      String(sessions),
      '-',
      String(RAW_SECONDS),
      fixed(perSecond),
      fixed(perSecond / ceiling, 2),
      '-',
      fixed(rawCores.get(sessions), 2),
    ])
  }
  const job = pesJob({ placement: 'whole' })
  // One unmeasured batch first, so that the first measured row does not pay for JIT compilation and module loading.
  await timeBatch(scratchItems.slice(0, 200), keySigner, job)
  const addRun = (what: string, sessions: string, concurrency: string, run: BatchRun, subset = ''): void => {
    const perSecond = rate(run.signed, run.seconds)
    const failures = run.failed > 0 ? ` (${run.failed} failed: ${run.firstFailure})` : ''
    rows.push([
      what + failures,
      sessions,
      concurrency,
      `${run.signed}${subset}`,
      fixed(run.seconds, 2),
      fixed(perSecond),
      fixed(perSecond / ceiling, 2),
      fixed(run.loopMaxMs, 1),
      fixed(run.cores, 2),
    ])
  }
  const checked: string[] = []
  let best = 0
  const checkSample = (what: string): void => {
    const names = readdirSync(outDir).filter((name) => name.endsWith('.xml'))
    const sample = names.filter((_, k) => k % Math.max(1, Math.floor(names.length / XMLSEC1_SAMPLE)) === 0).slice(0, XMLSEC1_SAMPLE)
    const valid = sample.filter((name) => xmlsec1Verifies(join(outDir, name))).length
    checked.push(`${what}: ${valid}/${sample.length} outputs checked by xmlsec1`)
  }

  for (const sessions of [...new Set([SESSIONS, 1])]) {
    const { signer, close } = await openTokenSigner(token, sessions)
    try {
      const fallback = defaultConcurrency(signer)
      const concurrencies = sessions === 1 ? [undefined, 8] : [undefined, ...[4, 8, 16, 32].filter((c) => c !== fallback)]
      for (const concurrency of concurrencies) {
        const run = await timeBatch(items, signer, job, concurrency)
        if (sessions === SESSIONS) best = Math.max(best, rate(run.signed, run.seconds))
        addRun(
          'sceau signBatch, Pkcs11Signer',
          String(sessions),
          concurrency === undefined ? `default ${fallback}` : String(concurrency),
          run,
        )
      }
      checkSample(`Pkcs11Signer, ${sessions} session${sessions === 1 ? '' : 's'}`)
      if (sessions === SESSIONS) {
        // The jobs on worker threads, the main thread only driving the token.
        for (const workers of [1, 2]) {
          const run = await timeBatch(items, signer, job, 16, workers)
          best = Math.max(best, rate(run.signed, run.seconds))
          addRun(`sceau signBatch, Pkcs11Signer, ${workers} worker thread${workers === 1 ? '' : 's'}`, String(sessions), '16', run)
        }
        checkSample(`Pkcs11Signer on worker threads`)
      }
    } finally {
      close()
    }
  }

  for (const concurrency of [undefined, 8]) {
    const run = await timeBatch(items, keySigner, job, concurrency)
    addRun(
      'sceau signBatch, KeySigner (software)',
      '-',
      concurrency === undefined ? `default ${defaultConcurrency(keySigner)}` : String(concurrency),
      run,
    )
  }
  checkSample('KeySigner')

  const noKey = await timeBatch(scratchItems, noKeySigner(keySigner), job, 8)
  addRun('sceau signBatch, no key (signature = zeros)', '-', '8', noKey)

  const pkcs8 = new Uint8Array(readFileSync(join(token.pkiDir, 'signature-rsa2048.key.der')))
  const xadesjsSign = await xadesjsPesSigner(pkcs8, keySigner.certificate)
  const subset = items.slice(0, Math.min(XADESJS_FLOWS, items.length))
  const xadesjsRun = await timeRun(subset.length, async () => {
    for (const item of subset) writeFileSync(item.output.replace(outDir, scratchDir), await xadesjsSign(readFileSync(item.input)))
    return { failed: 0 }
  })
  addRun('xadesjs, in-memory key, sequential', '-', '1', xadesjsRun, ` of ${FILES}`)
  const xadesjsValid = subset.slice(0, 5).filter((item) => xmlsec1Verifies(item.output.replace(outDir, scratchDir))).length
  checked.push(`xadesjs: ${xadesjsValid}/5 outputs checked by xmlsec1`)

  printTable(rows)
  console.log(
    `\nbest sceau Pkcs11Signer (${SESSIONS} sessions): ${fixed(best)} files/s = ${fixed(best / ceiling, 2)}x the raw ${SESSIONS}-session ` +
      `C_Sign rate (goal: 0.8x); with no key at all: ${fixed(rate(noKey.signed, noKey.seconds) / ceiling, 2)}x`,
  )
  for (const line of checked) console.log(line)

  await breakdown(flow, scratchDir, keySigner, raw.get(1) as number)
}

/** Where one small PES item's time goes, each stage run alone and in sequence on one thread. */
async function breakdown(flow: Buffer, scratchDir: string, keySigner: KeySigner, rawOneSession: number): Promise<void> {
  const input = join(scratchDir, 'stage-input.xml')
  writeFileSync(input, flow)
  const noKey = noKeySigner(keySigner)
  const index = indexPes(flow)
  const pes = readPesFlow(index)
  const { digest: rootDigest } = digestElementAt(flow, index.encoding, pes.root, { hash: 'SHA-256' })
  const signatureRequest = (signer: Signer, k: number): Parameters<typeof buildEnvelopedSignature>[0] => ({
    id: `PESROOT_SIG_${k}`,
    referenceUri: '#PESROOT',
    referenceDigest: rootDigest,
    digest: 'SHA-256',
    algorithm: 'RSASSA-PKCS1-v1_5-SHA256',
    signer,
    encoding: index.encoding,
    properties: { signingTime: new Date(), role: 'Ordonnateur', policy: HELIOS_POLICY },
  })
  const signed = Buffer.concat([flow, Buffer.alloc(3000, 0x20)])
  const output = (k: number): string => join(scratchDir, `stage-${k % 50}.xml`)
  const WHOLE_ITEM = 'whole item, no key: signPesFile(…, zeros signer)'
  const stages: [string, (k: number) => unknown][] = [
    ['read the input (readFileSync)', () => readFileSync(input)],
    ['index the flow + read its structure', () => readPesFlow(indexPes(flow))],
    ['exc-c14n + SHA-256 of PES_Aller', () => digestElementAt(flow, index.encoding, pes.root)],
    ['build the signature, no key (SignedProperties, SignedInfo c14n)', (k) => buildEnvelopedSignature(signatureRequest(noKey, k))],
    ['  of which issuerSerialOf(certificate), parsed per signature', () => issuerSerialOf(keySigner.certificate)],
    ['write the output atomically (writeAtomically: open, fsync, rename)', (k) => writeAtomically(output(k), (write) => write(signed))],
    ['  the same bytes written without fsync (writeFileSync)', (k) => writeFileSync(output(k), signed)],
    ['whole item in memory, no key: signPes(bytes, zeros signer)', () => signPes(flow, noKey, { placement: 'whole' })],
    [WHOLE_ITEM, (k) => signPesFile(input, output(k), noKey, { placement: 'whole' })],
    [
      'RSA-2048 signature, KeySigner (software, on the main thread)',
      () => keySigner.sign(flow.subarray(0, 2000), 'RSASSA-PKCS1-v1_5-SHA256'),
    ],
  ]
  const measured = new Map<string, { wall: number; cpu?: number }>()
  for (const [what, once] of stages) measured.set(what, await microseconds(STAGE_RUNS, once))
  measured.set('RSA-2048 signature, SoftHSM 1 session (1 / raw rate; on a pool thread)', { wall: 1e6 / rawOneSession })
  printTable([
    ['stage of one PES item, run alone in sequence', 'wall µs', 'CPU µs'],
    ...[...measured].map(([what, us]) => [what, fixed(us.wall), us.cpu === undefined ? '-' : fixed(us.cpu)]),
  ])
  const item = measured.get(WHOLE_ITEM) as { wall: number; cpu: number }
  console.log(
    `\nsceau's own work per item: ~${fixed(item.cpu)} µs of CPU (${fixed(item.wall)} µs wall, fsync included), ` +
      `i.e. at most ${fixed(1e6 / item.cpu)} items/s per core`,
  )
}

async function pdfSection(dir: string, token: BenchToken, keySigner: KeySigner): Promise<void> {
  const inDir = join(dir, 'pdf-in')
  const outDir = join(dir, 'pdf-out')
  mkdirSync(inDir)
  mkdirSync(outDir)
  const pdf = makePdf(PDF_TARGET_BYTES)
  const first = join(inDir, 'acte-00000.pdf')
  writeFileSync(first, pdf)
  const items: BatchItem[] = Array.from({ length: PDFS }, (_, k) => {
    const name = `acte-${String(k).padStart(5, '0')}.pdf`
    if (k > 0) copyFileSync(first, join(inDir, name))
    return { input: join(inDir, name), output: join(outDir, name) }
  })
  console.log(`\n2. ${PDFS} PDFs of ${pdf.length} bytes, one PAdES B-B signature each (pdfJob), RSA-2048`)

  // @signpdf reads a PKCS#12; OpenSSL 3's default one (PBES2, AES-256) is one node-forge reads.
  const keyPem = join(dir, 'key.pem')
  const certPem = join(dir, 'cert.pem')
  const p12File = join(dir, 'cert.p12')
  const pkcs8 = readFileSync(join(token.pkiDir, 'signature-rsa2048.key.der'))
  writeFileSync(keyPem, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }))
  writeFileSync(certPem, new X509Certificate(keySigner.certificate).toString())
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', keyPem, '-in', certPem, '-out', p12File, '-passout', 'pass:'], {
    stdio: 'ignore',
  })
  const p12 = readFileSync(p12File)

  const results: [string, string, BatchRun][] = []
  const sample = items.slice(0, PDFSIG_SAMPLE).map((item) => item.output)
  const checked: string[] = []

  const signpdfRun = await timeRun(items.length, async () => {
    for (const item of items) {
      const withPlaceholder = plainAddPlaceholder({ pdfBuffer: readFileSync(item.input), ...PDF_FIELDS })
      writeFileSync(item.output, await new SignPdf().sign(withPlaceholder, new P12Signer(p12, { passphrase: '' })))
    }
    return { failed: 0 }
  })
  results.push(['@signpdf, P12 software key, sequential', '1', signpdfRun])
  checked.push(`@signpdf: ${pdfsigValid(sample)}/${sample.length} outputs checked by pdfsig`)

  const job = pdfJob(PDF_FIELDS)
  results.push([
    'sceau signBatch, KeySigner (software)',
    `default ${defaultConcurrency(keySigner)}`,
    await timeBatch(items, keySigner, job),
  ])
  checked.push(`sceau KeySigner: ${pdfsigValid(sample)}/${sample.length} outputs checked by pdfsig`)
  const { signer, close } = await openTokenSigner(token, SESSIONS)
  try {
    const fallback = defaultConcurrency(signer)
    results.push([`sceau signBatch, Pkcs11Signer ${SESSIONS} sessions`, `default ${fallback}`, await timeBatch(items, signer, job)])
    checked.push(`sceau Pkcs11Signer: ${pdfsigValid(sample)}/${sample.length} outputs checked by pdfsig`)
  } finally {
    close()
  }

  const baseline = rate(PDFS, results[0]![2].seconds)
  const rows = [['what', 'concurrency', 'files', 'seconds', 'files/s', 'vs @signpdf', 'loop max ms']]
  for (const [what, concurrency, run] of results) {
    const failures = run.failed > 0 ? ` (${run.failed} failed: ${run.firstFailure})` : ''
    const perSecond = rate(run.signed, run.seconds)
    rows.push([
      what + failures,
      concurrency,
      String(run.signed),
      fixed(run.seconds, 2),
      fixed(perSecond),
      fixed(perSecond / baseline, 2),
      fixed(run.loopMaxMs, 1),
    ])
  }
  printTable(rows)
  console.log()
  for (const line of checked) console.log(line)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sceau-batch-bench-'))
  const token = await createBenchToken('Batch', [{ leaf: 'signature-rsa2048', label: KEY_LABEL }])
  try {
    printMachine(token)
    const keySigner = KeySigner.fromPkcs8({
      key: readFileSync(join(token.pkiDir, 'signature-rsa2048.key.der')),
      certificate: readFileSync(join(token.pkiDir, 'signature-rsa2048.cert.der')),
    })
    await pesSection(dir, token, keySigner)
    await pdfSection(dir, token, keySigner)
    console.log(
      `\nload average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    token.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
