// Runs one benchmark contestant in its own child process, so its peak memory is its own and a crash or a hang is a
// figure in the table rather than the end of the run. Peak RSS comes from GNU time around the child: a forked
// child's own maxRSS would include the parent's memory, inherited at fork before exec.

import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

export const GNU_TIME = '/usr/bin/time'

/** What one child run measured, or why it has no figure. */
export interface Outcome {
  seconds?: number
  rssMb?: number
  failure?: string
}

/**
 * Runs `node --import tsx SCRIPT --child NAME ARGS…`; the child prints `{"seconds", "rssKb"?}` as its last line
 * (rssKb when it measured an external tool itself). `peakFile` receives GNU time's figure for the child.
 */
export function runChild(script: string, name: string, args: string[], peakFile: string, timeoutMs: number): Promise<Outcome> {
  const nodeArgs = ['--import', 'tsx', script, '--child', name, ...args]
  const [command, commandArgs] = existsSync(GNU_TIME)
    ? [GNU_TIME, ['-f', '%M', '-o', peakFile, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs]
  return new Promise((resolve) => {
    // Own process group, so a timeout also kills what the child spawned.
    const proc = spawn(command, commandArgs, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL')
    }, timeoutMs)
    proc.on('close', (code) => {
      clearTimeout(timer)
      if (timedOut) return resolve({ failure: `timeout ${timeoutMs / 1000} s` })
      const line = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0 || !line.startsWith('{')) {
        const reason = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)
        return resolve({ failure: `exit ${code}: ${reason}` })
      }
      const report = JSON.parse(line) as { seconds: number; rssKb?: number }
      const childKb = existsSync(peakFile) ? Number(readFileSync(peakFile, 'utf8').trim().split('\n').pop()) : undefined
      rmSync(peakFile, { force: true })
      const kb = report.rssKb ?? childKb
      resolve({ seconds: report.seconds, rssMb: kb === undefined ? undefined : kb / 1024 })
    })
  })
}

/** The value after `name` on the command line. */
export function option(name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at < 0 ? undefined : process.argv[at + 1]
}

/** Runs `once` up to `runs` times, stopping at the first failure: the best seconds and the largest peak RSS. */
export async function bestOf(runs: number, once: () => Promise<Outcome>): Promise<Outcome> {
  let best: number | undefined
  let peak: number | undefined
  for (let r = 0; r < runs; r++) {
    const outcome = await once()
    if (outcome.failure !== undefined) return { seconds: best, rssMb: peak, failure: outcome.failure }
    if (outcome.seconds !== undefined) best = Math.min(best ?? Infinity, outcome.seconds)
    if (outcome.rssMb !== undefined) peak = Math.max(peak ?? 0, outcome.rssMb)
  }
  return { seconds: best, rssMb: peak }
}

/** Prints rows as an aligned table, the first row being the header. */
export function printTable(rows: readonly string[][]): void {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)))
  console.log()
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
}

/**
 * One row of a contest table (size, tool, seconds, ratio to the baseline, peak RSS, verified): records the tool's
 * best time in `results`, where the baseline's is found, so the baseline must run first.
 */
export function contestRow(
  size: string,
  name: string,
  outcome: Outcome,
  results: Map<string, number>,
  baseline: string,
  verified: string,
  idle: boolean,
): string[] {
  const { seconds: best, rssMb: peak, failure } = outcome
  if (best !== undefined) results.set(name, best)
  const reference = results.get(baseline)
  const ratio = best !== undefined && reference !== undefined ? `${(best / reference).toFixed(2)}x` : '?'
  return [size, name, failure ?? best?.toFixed(2) ?? '?', idle ? '-' : ratio, peak ? peak.toFixed(0) : '?', idle ? '-' : verified]
}
