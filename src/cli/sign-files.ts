// The loop every signing command shares, on the batch core: inputs to outputs (--out for one, --out-dir for many),
// one key opened once (one PIN entry), files signed concurrently to keep the token busy, one file's failure
// reported without stopping the others, token failures stopping the run with what was done said.

import { mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { signBatch, type BatchJob, type BatchProgress, type BatchResult } from '../batch/sign-batch.js'
import { SceauError } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import { errorJson, EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { openSigner, type SignerValues } from './signer-options.js'

/** parseArgs options of the outputs and of the batch. */
export const OUTPUT_OPTIONS = {
  out: { type: 'string' },
  'out-dir': { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  'skip-existing': { type: 'boolean' },
  workers: { type: 'string' },
} as const

/** The usage text of the batch options. */
export const BATCH_USAGE = '[--concurrency N] [--workers N] [--skip-existing]'

/** What signing one file reports: lines for a terminal, an object for --json. */
export interface SignedFile {
  readonly lines: readonly string[]
  readonly json: object
}

/** How to sign one file: a closure (main thread only), or a sceau/batch job (may run on --workers threads). */
export type SignOne =
  | ((input: string, output: string, signer: Signer) => Promise<SignedFile>)
  | {
      readonly job: BatchJob
      /** The lines and JSON of a signed file, from what the job returned. */
      readonly report: (input: string, output: string, info: Record<string, unknown> | undefined) => SignedFile
    }

type OutputValues = {
  out?: string
  'out-dir'?: string
  json?: boolean
  concurrency?: string
  'skip-existing'?: boolean
  workers?: string
}

/** Signs each input into its output with `signOne`; returns the exit code. */
export async function signFiles(
  inputs: readonly string[],
  values: SignerValues & OutputValues,
  io: CommandIo,
  usage: string,
  signOne: SignOne,
  /** For detached signatures: the output is the input's name plus this suffix, next to it unless --out/--out-dir. */
  detachedSuffix?: string,
): Promise<number> {
  if (inputs.length === 0) throw new SceauError('USAGE', `give the files to sign\nusage: ${usage}`)
  if (values.out !== undefined && values['out-dir'] !== undefined)
    throw new SceauError('USAGE', `give --out FILE or --out-dir DIR, not both`)
  if (detachedSuffix === undefined && values.out === undefined && values['out-dir'] === undefined)
    throw new SceauError('USAGE', `give --out FILE or --out-dir DIR\nusage: ${usage}`)
  if (values.out !== undefined && inputs.length > 1) throw new SceauError('USAGE', '--out takes one input; use --out-dir for several')
  if ((values.key === undefined) === (values.p12 === undefined))
    throw new SceauError('USAGE', `give --key pkcs11:URI or --p12 FILE\nusage: ${usage}`)
  const concurrency = countOf('--concurrency', values.concurrency, 1)
  const workers = countOf('--workers', values.workers, 0)
  if (workers !== undefined && workers > 0 && typeof signOne === 'function') {
    throw new SceauError('USAGE', '--workers: these options sign on the main thread only (B-LT, co-signatures); drop --workers')
  }
  const outputs = inputs.map((input) => values.out ?? join(values['out-dir'] ?? dirname(input), basename(input) + (detachedSuffix ?? '')))
  if (outputs.some((output, k) => output === inputs[k])) throw new SceauError('USAGE', 'an output would overwrite its input')
  const seen = new Set<string>()
  for (const output of outputs) {
    if (seen.has(output)) throw new SceauError('USAGE', `two inputs would be signed into ${output}: give them different names`)
    seen.add(output)
  }
  if (values['out-dir'] !== undefined) await mkdir(values['out-dir'], { recursive: true })

  const { signer, close } = await openSigner(values, io)
  const results: object[] = new Array(inputs.length)
  let last: BatchProgress | undefined
  let worst: number = EXIT.OK
  try {
    const items = inputs.map((input, k) => ({ input, output: outputs[k] as string }))
    // A closure's SignedFile travels as the job's info, so both kinds are reported the same way.
    const { job, report } =
      typeof signOne === 'function'
        ? {
            job: (async (item, jobSigner) => ({ ...(await signOne(item.input, item.output, jobSigner)) })) as BatchJob,
            report: (_input: string, _output: string, info: Record<string, unknown> | undefined) => info as unknown as SignedFile,
          }
        : signOne
    const batch = signBatch(items, {
      signer,
      job,
      concurrency,
      workers,
      skipExisting: values['skip-existing'] === true,
      onProgress: (progress) => {
        last = progress
        if (io.progress !== undefined && inputs.length > 1) io.progress(progressLine(progress))
      },
    })
    for await (const result of batch) {
      const signed = result.status === 'signed' ? report(result.item.input, result.item.output, result.info) : undefined
      results[result.index] = reportOf(result, signed)
      if (result.status === 'failed') worst = EXIT.ERROR
      if (values.json) continue
      if (io.progress !== undefined && inputs.length > 1) io.progress('')
      if (result.status === 'signed') for (const line of signed?.lines ?? []) io.out(line)
      else if (result.status === 'skipped') io.out(`skipped ${result.item.input}: ${result.reason}`)
      else io.err(`sceau: ${result.item.input}: ${result.error.code}: ${result.error.message}`)
    }
  } catch (err) {
    // A token fault: what was done is on disk and listed; the rest was not started.
    if (values.json) io.out(JSON.stringify({ files: results.filter(Boolean), error: errorJson(err) }, null, 2))
    throw err
  } finally {
    close()
  }
  if (values.json) io.out(JSON.stringify({ files: results }, null, 2))
  else if (inputs.length > 1 && last !== undefined) io.err(summaryLine(last))
  return worst
}

function reportOf(result: BatchResult, signed: SignedFile | undefined): object {
  const { input, output } = result.item
  if (result.status === 'signed') return { input, output, status: 'signed', ...signed?.json }
  if (result.status === 'skipped') return { input, output, status: 'skipped', reason: result.reason }
  return {
    input,
    status: 'failed',
    error: { code: result.error.code, message: result.error.message, details: { ...result.error.details } },
  }
}

function countOf(option: string, value: string | undefined, minimum: 0 | 1): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,4}$/.test(value) || Number(value) < minimum)
    throw new SceauError('USAGE', `${option} ${value}: a whole number from ${minimum}`)
  return Number(value)
}

function progressLine(progress: BatchProgress): string {
  const total = progress.total ?? progress.done
  const width = 24
  const filled = total === 0 ? width : Math.round((progress.done / total) * width)
  const eta = progress.etaSeconds === undefined ? '' : ` ETA ${formatSeconds(progress.etaSeconds)}`
  const failed = progress.failed > 0 ? `, ${progress.failed} failed` : ''
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.done}/${total} ${progress.ratePerSecond.toFixed(1)}/s${eta}${failed}`
}

function summaryLine(progress: BatchProgress): string {
  return `sceau: ${progress.signed} signed, ${progress.skipped} skipped, ${progress.failed} failed in ${formatSeconds(progress.elapsedMs / 1000)} (${progress.ratePerSecond.toFixed(1)} files/s)`
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}
