import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './capture-io.js'

// The hostile PDFs of fixtures/hostile/pdf (scripts/build-hostile-pdfs.ts), judged through the CLI as a user runs
// it, against EXPECTED.md; then what poppler's pdfsig and qpdf say of the same files.

const DIR = join(import.meta.dirname, '..', 'fixtures', 'hostile', 'pdf')
const trust = [
  '--trust',
  join(DIR, 'trust', 'root.pem'),
  '--intermediates',
  join(DIR, 'trust', 'intermediate.pem'),
  '--crl',
  join(DIR, 'trust', 'crl.der'),
  '--crl',
  join(DIR, 'trust', 'root-crl.der'),
  '--no-crl-fetch',
  '--at',
  readFileSync(join(DIR, 'trust', 'at.txt'), 'utf8').trim(),
]

interface Expected {
  readonly file: string
  readonly indication: 'TOTAL_PASSED' | 'TOTAL_FAILED'
  readonly warning: boolean
  readonly names: string
}

/** The table of EXPECTED.md: file, verdict, and what the report must name. */
function expectations(): Expected[] {
  const rows = readFileSync(join(DIR, 'EXPECTED.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
  return rows.map((row) => {
    const [, file = '', verdict = '', why = ''] = /^\| `([^`]+)`\s*\| ([^|]+?)\s*\| (.+?)\s*\|$/.exec(row) ?? []
    return {
      file,
      indication: verdict.startsWith('TOTAL_FAILED') ? 'TOTAL_FAILED' : 'TOTAL_PASSED',
      warning: verdict.includes('warning'),
      names: /The report names: “(.+)”\.$/.exec(why)?.[1] ?? '',
    }
  })
}

interface Report {
  readonly indication: string
  readonly signatures: readonly {
    readonly indication: string
    readonly checks: readonly { id: string; status: string; reason: string }[]
  }[]
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-hostile-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('fixtures/hostile/pdf through `sceau verify`', () => {
  const cases = expectations()

  it('EXPECTED.md lists every file of the directory, hostile and legitimate ones', () => {
    expect(cases.length).toBeGreaterThanOrEqual(18)
    expect(cases.filter((entry) => entry.indication === 'TOTAL_FAILED').length).toBeGreaterThanOrEqual(12)
    expect(cases.every((entry) => entry.names !== '')).toBe(true)
  })

  for (const entry of cases) {
    it(`${entry.file}: ${entry.indication}${entry.warning ? ' with a warning' : ''}, naming "${entry.names}"`, async () => {
      const file = join(DIR, entry.file)
      const { code, stdout } = await runCli(['verify', file, ...trust, '--json'])
      const report = (JSON.parse(stdout) as { files: Report[] }).files[0] as Report
      expect(report.indication, stdout).toBe(entry.indication)
      expect(code).toBe(entry.indication === 'TOTAL_FAILED' ? 1 : 0)
      const reasons = report.signatures.flatMap((signature) =>
        signature.checks.filter((check) => check.status !== 'pass' || entry.indication === 'TOTAL_PASSED'),
      )
      expect(reasons.map((check) => check.reason).join('\n')).toContain(entry.names)
      if (entry.indication === 'TOTAL_PASSED') expect(reasons.some((check) => check.status === 'warning')).toBe(entry.warning)

      // The attacks live in later revisions: each signature's own bytes are intact, so pdfsig calls the first
      // signature valid, and qpdf finds the file well formed.
      const pdfsig = spawnSync('pdfsig', [file], { encoding: 'utf8' }).stdout
      expect(/Signature Validation: (.*)/.exec(pdfsig)?.[1]).toBe('Signature is Valid.')
      expect(spawnSync('qpdf', ['--check', file]).status).toBe(0)
    })
  }

  it('--strict turns the warning of a comment after an approval signature into INDETERMINATE (exit 3)', async () => {
    const file = join(DIR, 'annotation-after-approval.pdf')
    const strict = await runCli(['verify', file, ...trust, '--strict', '--json'])
    expect(strict.code).toBe(3)
    const parsed = JSON.parse(strict.stdout) as { strict: boolean; files: Report[] }
    expect(parsed.strict).toBe(true)
    expect(parsed.files[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' })
    expect(parsed.files[0]?.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'pdf.changes', status: 'warning' }))
    // Without --strict the warning is in the report and the text output, and the exit code is 0.
    const plain = await runCli(['verify', file, ...trust])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/\[warn\] pdf\.changes: .*new \/Text annotation/)
  })

  it('--junit: a failed signature is a <failure>, a warning is the <system-out> of a passing test case', async () => {
    const junit = join(dir, 'hostile.xml')
    const files = ['content-replaced.pdf', 'annotation-after-approval.pdf'].map((name) => join(DIR, name))
    const { code } = await runCli(['verify', ...files, ...trust, '--junit', junit])
    expect(code).toBe(1)
    const doc = new DOMParser().parseFromString(readFileSync(junit, 'utf8'), 'text/xml')
    const suites = Array.from(doc.getElementsByTagName('testsuite'))
    const caseOf = (index: number): Element | undefined =>
      Array.from(suites[index]?.getElementsByTagName('testcase') ?? []).find(
        (element) => element.getAttribute('name') === 'signature Signature1',
      )
    expect(caseOf(0)?.getElementsByTagName('failure')[0]?.getAttribute('type')).toBe('TOTAL_FAILED')
    expect(caseOf(0)?.getElementsByTagName('failure')[0]?.textContent).toContain('content stream of page 1 changed after signing')
    expect(caseOf(1)?.getElementsByTagName('failure')).toHaveLength(0)
    expect(caseOf(1)?.getElementsByTagName('system-out')[0]?.textContent).toMatch(/^warning pdf\.changes: .*new \/Text annotation/)

    const strict = join(dir, 'strict.xml')
    expect((await runCli(['verify', files[1] as string, ...trust, '--strict', '--junit', strict])).code).toBe(3)
    const strictDoc = new DOMParser().parseFromString(readFileSync(strict, 'utf8'), 'text/xml')
    expect(strictDoc.getElementsByTagName('failure')[0]?.getAttribute('type')).toBe('INDETERMINATE')
  })
})
