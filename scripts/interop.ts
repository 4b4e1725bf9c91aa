// Sets sceau's verdicts against those of EU DSS, pyHanko, xmlsec and Apache Santuario on files from their own test
// suites (fixtures/interop/manifest.json). The files are not in this repository: each is read from a local snapshot
// of its repository (or a flat copy) and checked against the sha256 the manifest pins. See docs/interop.md.
//
//   npx tsx scripts/interop.ts [--corpus DIR] [--json OUT] [--only PATTERN]

import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import type { CommandIo } from '../src/cli/io.js'
import { verifyCommand } from '../src/cli/verify.js'
import { describeCheck, firstProblem, notIntact, type ReportFile } from '../src/testing/interop-verdict.js'

type Expected = 'intact' | 'passed' | 'failed' | 'indeterminate'

interface Entry {
  id: string
  project: string
  repo: string
  path: string
  commit: string
  sha256: string
  bytes: number
  format: string
  detachedContent?: string
  detachedContentText?: string
  /** Files the test reads beside the signature (several detached References): copied there, no --content. */
  besideFiles?: string[]
  trust?: string[]
  intermediates?: string[]
  at?: string
  expected: Expected
  peerSubIndication?: string
  evidence: string
  note: string
}

interface ReportJson extends ReportFile {
  error?: { code?: string; message?: string } | string
  code?: string
  message?: string
}

type Outcome = 'agree' | 'disagree' | 'error'

interface Result {
  id: string
  format: string
  project: string
  expected: Expected
  peerSubIndication?: string
  outcome: Outcome
  known?: string
  sceau: string
  firstProblem?: string
  seconds: number
}

const PER_FILE_TIMEOUT_MS = 60_000

const ROOT = join(import.meta.dirname, '..')
const { values } = parseArgs({
  options: { corpus: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' } },
})
const corpus = values.corpus ?? '/work/.mirror'
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/interop/manifest.json'), 'utf8')) as { entries: Entry[] }
const known = JSON.parse(readFileSync(join(ROOT, 'fixtures/interop/known-differences.json'), 'utf8')) as Record<string, string>
const only = values.only === undefined ? undefined : new RegExp(values.only)
const entries = manifest.entries.filter((entry) => only === undefined || only.test(entry.id))

/** A file of the entry's repository: from a bare snapshot <corpus>/<owner>+<name>/repo, or a flat <corpus>/<name>/<path>. */
function readRepoFile(entry: Entry, path: string): Buffer {
  const [owner, name] = entry.repo.split('/') as [string, string]
  const snapshot = join(corpus, `${owner}+${name}`, 'repo')
  if (existsSync(snapshot)) {
    return execFileSync('git', ['-C', snapshot, 'cat-file', 'blob', `${entry.commit}:${path}`], { maxBuffer: 64 * 1024 * 1024 })
  }
  for (const flat of [join(corpus, name, path), join(corpus, `${owner}+${name}`, path)]) if (existsSync(flat)) return readFileSync(flat)
  throw new Error(`${entry.repo}:${path} is in neither ${snapshot} nor a flat copy under ${corpus}`)
}

/** Whether sceau's report says what the peer's test asserts (see docs/interop.md for the rules). */
function judge(entry: Entry, report: ReportJson): { outcome: Outcome; why?: string } {
  switch (entry.expected) {
    case 'intact': {
      const why = notIntact(report)
      return why === undefined ? { outcome: 'agree' } : { outcome: 'disagree', why }
    }
    case 'passed':
      return { outcome: report.indication === 'TOTAL_PASSED' ? 'agree' : 'disagree' }
    case 'failed':
      return { outcome: report.indication === 'TOTAL_FAILED' ? 'agree' : 'disagree' }
    case 'indeterminate': {
      if (report.indication !== 'INDETERMINATE') return { outcome: 'disagree' }
      const sub = entry.peerSubIndication
      if (sub === undefined) return { outcome: 'agree' }
      const subs = [report.subIndication, ...(report.signatures ?? []).map((signature) => signature.subIndication)]
      return subs.includes(sub)
        ? { outcome: 'agree' }
        : { outcome: 'disagree', why: `sub-indication ${subs.filter(Boolean).join('/')} ≠ ${sub}` }
    }
  }
}

async function runEntry(entry: Entry, work: string): Promise<Result> {
  const started = Date.now()
  const base = {
    id: entry.id,
    format: entry.format,
    project: entry.project,
    expected: entry.expected,
    peerSubIndication: entry.peerSubIndication,
  }
  const done = (outcome: Outcome, sceau: string, problem?: string): Result => ({
    ...base,
    outcome,
    known: outcome === 'agree' ? undefined : known[entry.id],
    sceau,
    firstProblem: problem,
    seconds: (Date.now() - started) / 1000,
  })
  const dir = join(work, entry.id)
  mkdirSync(dir, { recursive: true })
  let bytes: Buffer
  try {
    bytes = readRepoFile(entry, entry.path)
  } catch (err) {
    return done('error', 'not in the corpus', (err as Error).message)
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (sha256 !== entry.sha256) return done('error', 'sha256 mismatch', `${entry.path}: sha256 ${sha256}, manifest ${entry.sha256}`)
  const file = join(dir, basename(entry.path))
  writeFileSync(file, bytes)

  // The peers' tests apply no national certificate policy: --profile none, so only the signature itself is judged.
  const argv = ['--json', file, '--no-crl-fetch', '--profile', 'none']
  if (entry.at !== undefined) argv.push('--at', entry.at)
  const copy = (path: string, sub: string): string => {
    mkdirSync(join(dir, sub), { recursive: true })
    const target = join(dir, sub, basename(path))
    writeFileSync(target, readRepoFile(entry, path))
    return target
  }
  for (const anchor of entry.trust ?? []) argv.push('--trust', copy(anchor, 'trust'))
  for (const intermediate of entry.intermediates ?? []) argv.push('--intermediates', copy(intermediate, 'intermediates'))
  for (const file of entry.besideFiles ?? []) writeFileSync(join(dir, basename(file)), readRepoFile(entry, file))
  if (entry.detachedContent !== undefined) {
    // Beside the signature (where a relative Reference URI points) and as --content.
    const content = join(dir, basename(entry.detachedContent))
    writeFileSync(content, readRepoFile(entry, entry.detachedContent))
    argv.push('--content', content)
  } else if (entry.detachedContentText !== undefined) {
    const content = join(dir, 'detached-content.bin')
    writeFileSync(content, entry.detachedContentText, 'utf8')
    argv.push('--content', content)
  }

  let stdout = ''
  let stderr = ''
  const io: CommandIo = { env: process.env, out: (text) => void (stdout += text + '\n'), err: (text) => void (stderr += text + '\n') }
  let timer: NodeJS.Timeout | undefined
  try {
    const code = await Promise.race([
      verifyCommand(argv, io),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no verdict after ${PER_FILE_TIMEOUT_MS / 1000} s`)), PER_FILE_TIMEOUT_MS)
      }),
    ])
    const report = (JSON.parse(stdout) as { files: ReportJson[] }).files[0] ?? {}
    if (report.indication === undefined) {
      const error = typeof report.error === 'string' ? report.error : (report.error?.message ?? report.message ?? stderr.trim())
      return done(
        'error',
        `exit ${code}`,
        `${report.code ?? (typeof report.error === 'object' ? report.error?.code : '') ?? ''} ${error}`.trim(),
      )
    }
    const verdict = `${report.indication}${report.subIndication ? `/${report.subIndication}` : ''}`
    const { outcome, why } = judge(entry, report)
    const problem = firstProblem(report)
    return done(outcome, verdict, why ?? (problem === undefined ? undefined : describeCheck(problem)))
  } catch (err) {
    return done('error', 'crash', (err as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(err))
  } finally {
    clearTimeout(timer)
  }
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width)
}

function table(results: Result[]): string {
  const groups = new Map<string, Result[]>()
  for (const result of results) groups.set(result.format, [...(groups.get(result.format) ?? []), result])
  const rows = [...[...groups.entries()].sort(([a], [b]) => a.localeCompare(b)), ['overall', results] as const]
  const lines = [
    `${pad('format', 10)}${pad('files', 7)}${pad('agree', 7)}${pad('disagree', 10)}${pad('errors', 8)}${pad('known', 7)}agreement`,
  ]
  for (const [format, group] of rows) {
    const count = (outcome: Outcome): number => group.filter((result) => result.outcome === outcome).length
    const agree = count('agree')
    const share = group.length === 0 ? 0 : (100 * agree) / group.length
    lines.push(
      `${pad(format, 10)}${pad(group.length, 7)}${pad(agree, 7)}${pad(count('disagree'), 10)}${pad(count('error'), 8)}` +
        `${pad(group.filter((result) => result.known !== undefined).length, 7)}${share.toFixed(1)} %`,
    )
  }
  return lines.join('\n')
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'sceau-interop-'))
  const results: Result[] = []
  const started = Date.now()
  try {
    for (const entry of entries) {
      const result = await runEntry(entry, work)
      results.push(result)
      if (process.stderr.isTTY) process.stderr.write(`\r${results.length}/${entries.length} ${entry.id}`.padEnd(100).slice(0, 100))
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  if (process.stderr.isTTY) process.stderr.write('\n')
  console.log(table(results))
  const differing = results.filter((result) => result.outcome !== 'agree')
  const unexplained = differing.filter((result) => result.known === undefined)
  for (const [title, list] of [
    ['Disagreements and errors', unexplained],
    ['Known differences (fixtures/interop/known-differences.json)', differing.filter((result) => result.known !== undefined)],
  ] as const) {
    if (list.length === 0) continue
    console.log(`\n${title} (${list.length}):`)
    for (const result of list) {
      const expected = `${result.expected}${result.peerSubIndication ? `/${result.peerSubIndication}` : ''}`
      console.log(`  ${result.outcome === 'error' ? 'ERROR ' : ''}${result.id}: peer ${expected}, sceau ${result.sceau}`)
      if (result.firstProblem) console.log(`      ${result.firstProblem.replace(/\s+/g, ' ').slice(0, 300)}`)
      if (result.known) console.log(`      known: ${result.known}`)
    }
  }
  console.log(`\n${results.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ results }, null, 2) + '\n')
  return unexplained.length > 0 ? 1 : 0
}

process.exitCode = await main()
