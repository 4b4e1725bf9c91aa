/**
 * The batch core: many files signed with one key, the key kept busy. Items are pulled from the source only as
 * slots free up (memory stays bounded whatever the batch size), run concurrently so that reading, hashing,
 * canonicalising and writing of some overlap the token's work on others, and reported one by one as they end.
 *
 * @packageDocumentation
 */

import { setMaxListeners } from 'node:events'
import { access } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { SceauError, type SceauErrorCode, type SceauErrorDetails } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import { descriptorOf } from './job-kinds.js'
import { WorkerPool } from './worker-pool.js'

/** One file to sign and where its signed form goes. */
export interface BatchItem {
  readonly input: string
  readonly output: string
}

/**
 * Signs one item: reads `item.input`, signs with `signer`, writes `item.output` atomically (temporary file, then
 * rename). What it returns is reported with the item. `sceau/batch` has jobs for PES, PDF and CAdES.
 */
export type BatchJob = (item: BatchItem, signer: Signer, signal: AbortSignal) => Promise<Record<string, unknown> | undefined>

/** How one item ended. */
export type BatchResult =
  | {
      readonly status: 'signed'
      readonly index: number
      readonly item: BatchItem
      readonly ms: number
      readonly info?: Record<string, unknown>
    }
  | { readonly status: 'skipped'; readonly index: number; readonly item: BatchItem; readonly reason: string }
  | {
      readonly status: 'failed'
      readonly index: number
      readonly item: BatchItem
      /** The error as a caller switches on it; `code` is a SceauError code, or INTERNAL for a bug. */
      readonly error: { readonly code: SceauErrorCode | 'INTERNAL'; readonly message: string; readonly details?: SceauErrorDetails }
    }

/** Where the batch stands, after each item. */
export interface BatchProgress {
  readonly done: number
  readonly signed: number
  readonly skipped: number
  readonly failed: number
  /** Items in the batch, when known (an array, or `options.total`). */
  readonly total?: number
  readonly elapsedMs: number
  /** Items ended per second since the start. */
  readonly ratePerSecond: number
  /** Seconds left at the current rate, when the total is known. */
  readonly etaSeconds?: number
}

/** Options of {@link signBatch}. */
export interface SignBatchOptions {
  readonly signer: Signer
  readonly job: BatchJob
  /**
   * Items in flight at once. Default: four times the signatures the key serves at once (a token's sessions), at
   * least twice the machine's cores, so that while some items wait for the token others are read, hashed and written.
   */
  readonly concurrency?: number
  /** An item whose output already exists is skipped, so an interrupted batch resumes where it stopped. */
  readonly skipExisting?: boolean
  /** Stops pulling items; those in flight finish or abort, then the batch ends with `ABORTED`. */
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: BatchProgress) => void
  /** The number of items when `items` is an async iterable (for the progress ETA). */
  readonly total?: number
  /**
   * Worker threads to run the jobs on (0, the default: the main thread). Reading, canonicalising, hashing and
   * writing then use other cores while the main thread only drives the signer. Jobs made by `pesJob`, `pdfJob`,
   * `cadesJob` and `xadesDetachedJob` only: a caller's own job is a closure and cannot move to another thread.
   */
  readonly workers?: number
}

/**
 * Errors that concern every item: the batch stops on them rather than repeat them (a PIN is never retried; a
 * removed token will not come back by itself).
 */
export const BATCH_FATAL: ReadonlySet<string> = new Set([
  'PIN_INCORRECT',
  'PIN_LOCKED',
  'PIN_REQUIRED',
  'PIN_EXPIRED',
  'TOKEN_NOT_PRESENT',
  'SESSION_CLOSED',
  'DEVICE_ERROR',
  'PIN_SOURCE_FAILED',
])

// A signature that failed because the token ran short of sessions for a moment is safe to ask again: nothing was
// written and no login is involved. Anything else is reported as it is.
const RETRYABLE: ReadonlySet<string> = new Set(['SESSION_EXHAUSTED'])
const RETRIES = 2

/**
 * Signs every item with one signer, at most `concurrency` at a time, and yields each result as the item ends
 * (completion order; `index` is the item's place in the source). A failed item never stops the others. A token
 * fault (removed, session closed, device error, PIN) stops the batch: no new item starts, those in flight end and
 * are yielded, then the iteration throws that error with `details` `{ signed, failed, skipped, notStarted }` —
 * outputs are whole or absent, so re-running with `skipExisting` resumes.
 *
 * @example
 * ```ts
 * const items = inputs.map((input) => ({ input, output: join('signed', basename(input)) }))
 * for await (const result of signBatch(items, { signer, job: pesJob({ mode: 'per-bordereau' }), skipExisting: true })) {
 *   if (result.status === 'failed') console.error(result.item.input, result.error.code, result.error.message)
 * }
 * ```
 */
export async function* signBatch(
  items: Iterable<BatchItem> | AsyncIterable<BatchItem>,
  options: SignBatchOptions,
): AsyncGenerator<BatchResult, void, undefined> {
  const workers = options.workers ?? 0
  if (!Number.isInteger(workers) || workers < 0) throw new SceauError('USAGE', `workers must be a whole number ≥ 0, got ${workers}`)
  const descriptor = descriptorOf(options.job)
  if (workers > 0 && descriptor === undefined) {
    throw new SceauError('USAGE', 'only the jobs of sceau/batch (pesJob, pdfJob, cadesJob, xadesDetachedJob) run on worker threads')
  }
  const concurrency = options.concurrency ?? Math.max(defaultConcurrency(options.signer), 2 * workers)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new SceauError('USAGE', `concurrency must be a whole number ≥ 1, got ${concurrency}`)
  const total = options.total ?? (Array.isArray(items) ? items.length : undefined)
  const source = toAsyncIterator(items)
  const controller = new AbortController()
  // Every item in flight listens to this one signal; that is expected, not a leak.
  setMaxListeners(concurrency + 16, controller.signal)
  const onAbort = (): void => controller.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const pool = workers > 0 ? new WorkerPool(workers, options.signer) : undefined
  const job: BatchJob =
    pool !== undefined && descriptor !== undefined ? (item, _signer, signal) => pool.run(descriptor, item, signal) : options.job
  const started = performance.now()
  const counts = { signed: 0, skipped: 0, failed: 0 }
  const running = new Map<number, Promise<BatchResult>>()
  let fatal: SceauError | undefined
  let exhausted = false
  let next = 0

  const progress = (): void => {
    if (options.onProgress === undefined) return
    const done = counts.signed + counts.skipped + counts.failed
    const elapsedMs = performance.now() - started
    const ratePerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
    options.onProgress({
      done,
      ...counts,
      ...(total === undefined ? {} : { total }),
      elapsedMs,
      ratePerSecond,
      ...(total === undefined || ratePerSecond === 0 ? {} : { etaSeconds: (total - done) / ratePerSecond }),
    })
  }

  try {
    for (;;) {
      while (!exhausted && fatal === undefined && !controller.signal.aborted && running.size < concurrency) {
        const pulled = await source.next()
        if (pulled.done === true) {
          exhausted = true
          break
        }
        const index = next++
        running.set(index, runItem(index, pulled.value, job, options, controller.signal))
      }
      if (running.size === 0) break
      const result = await Promise.race(running.values())
      running.delete(result.index)
      if (result.status === 'failed' && BATCH_FATAL.has(result.error.code) && fatal === undefined) {
        fatal = new SceauError(result.error.code as SceauErrorCode, result.error.message, { details: result.error.details })
        // Items waiting for the token would fail the same way: let them stop before they reach it.
        controller.abort(fatal)
      }
      counts[result.status]++
      progress()
      yield result
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    if (running.size > 0) {
      // The consumer stopped iterating early: stop the items in flight and wait, so no file is left half-written.
      controller.abort(new SceauError('ABORTED', 'the batch was stopped'))
      await Promise.allSettled(running.values())
    }
    await pool?.close()
  }
  const stopped = fatal ?? (controller.signal.aborted ? new SceauError('ABORTED', 'the batch was cancelled') : undefined)
  if (stopped !== undefined) {
    const notStarted = total === undefined ? undefined : total - next
    throw new SceauError(stopped.code, `${stopped.message} — batch stopped after ${counts.signed} signed, ${counts.failed} failed`, {
      cause: stopped,
      details: { ...stopped.details, ...counts, ...(notStarted === undefined ? {} : { notStarted }) },
    })
  }
}

async function runItem(
  index: number,
  item: BatchItem,
  job: BatchJob,
  options: SignBatchOptions,
  signal: AbortSignal,
): Promise<BatchResult> {
  const started = performance.now()
  try {
    if (options.skipExisting === true && (await exists(item.output))) {
      return { status: 'skipped', index, item, reason: `${item.output} exists` }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        signal.throwIfAborted()
        const info = await job(item, options.signer, signal)
        return { status: 'signed', index, item, ms: performance.now() - started, ...(info === undefined ? {} : { info }) }
      } catch (err) {
        if (!(err instanceof SceauError) || !RETRYABLE.has(err.code) || attempt >= RETRIES) throw err
      }
    }
  } catch (err) {
    return { status: 'failed', index, item, error: describeError(err, signal) }
  }
}

function describeError(err: unknown, signal: AbortSignal): Extract<BatchResult, { status: 'failed' }>['error'] {
  if (err instanceof SceauError) return { code: err.code, message: err.message, details: err.details }
  if (signal.aborted) return { code: 'ABORTED', message: 'the batch stopped before this item was signed' }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) }
}

/**
 * The items {@link signBatch} keeps in flight unless told: four per signature the key serves at once (one at the
 * token, the others being read, hashed, or waiting for the disk to flush their output — bench/batch-sign.ts: 16 in
 * flight beat 8 on a 4-session SoftHSM token), at least two per core.
 */
export function defaultConcurrency(signer: Signer): number {
  return Math.max(4 * (signer.parallelSignatures ?? 1), 2 * availableParallelism(), 4)
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

function toAsyncIterator<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in items) return items[Symbol.asyncIterator]()
  const iterator = items[Symbol.iterator]()
  return { next: async () => iterator.next() }
}
