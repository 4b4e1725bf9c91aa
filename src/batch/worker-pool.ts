// Worker threads for a batch: each runs whole jobs on its own core; their signatures come back to the main thread,
// where the signer (a token's session pool, a key) lives, so one login serves every thread.

import { Worker } from 'node:worker_threads'
import type { Signer } from '../signer/signer.js'
import type { JobDescriptor } from './job-kinds.js'
import type { BatchItem } from './sign-batch.js'
import { fromWorkerError, signerShape, toWorkerError, type MainMessage, type WorkerMessage } from './worker-protocol.js'

interface Pending {
  readonly worker: Slot
  readonly resolve: (info: Record<string, unknown> | undefined) => void
  readonly reject: (err: unknown) => void
}

interface Slot {
  readonly worker: Worker
  load: number
}

/** A fixed set of worker threads running batch jobs for one signer. */
export class WorkerPool {
  readonly #slots: Slot[]
  readonly #pending = new Map<number, Pending>()
  #next = 0
  #failure: Error | undefined

  constructor(
    size: number,
    private readonly signer: Signer,
  ) {
    const entry = workerEntry()
    const shape = signerShape(signer)
    this.#slots = Array.from({ length: size }, () => {
      const worker =
        entry.source === undefined
          ? new Worker(entry.url, { workerData: { signer: shape } })
          : new Worker(entry.source, { eval: true, workerData: { signer: shape } })
      const slot: Slot = { worker, load: 0 }
      slot.worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message))
      // A worker that dies (out of memory, a bug) fails what it was running; the others go on.
      slot.worker.on('error', (err) => this.#failAll(slot, err))
      slot.worker.on('exit', (code) => {
        if (code !== 0) this.#failAll(slot, new Error(`a batch worker thread exited with code ${code}`))
      })
      return slot
    })
  }

  /** Runs one job on the least busy worker. */
  run(descriptor: JobDescriptor, item: BatchItem, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    const slot = this.#slots.reduce((best, each) => (each.load < best.load ? each : best))
    const id = this.#next++
    slot.load++
    return new Promise((resolve, reject) => {
      const onAbort = (): void => this.#post(slot, { type: 'abort', id })
      signal.addEventListener('abort', onAbort, { once: true })
      const settle = (): void => {
        signal.removeEventListener('abort', onAbort)
        slot.load--
      }
      this.#pending.set(id, {
        worker: slot,
        resolve: (info) => {
          settle()
          resolve(info)
        },
        reject: (err) => {
          settle()
          reject(err)
        },
      })
      this.#post(slot, { type: 'job', id, descriptor, item })
    })
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()))
  }

  #post(slot: Slot, message: MainMessage): void {
    slot.worker.postMessage(message)
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'sign') {
      this.signer.sign(message.toBeSigned, message.algorithm).then(
        (signature) => this.#post(slot, { type: 'signed', requestId: message.requestId, signature }),
        (err: unknown) => this.#post(slot, { type: 'sign-failed', requestId: message.requestId, error: toWorkerError(err) }),
      )
      return
    }
    const pending = this.#pending.get(message.id)
    if (pending === undefined) return
    this.#pending.delete(message.id)
    if (message.type === 'done') pending.resolve(message.info)
    else pending.reject(fromWorkerError(message.error))
  }

  #failAll(slot: Slot, err: Error): void {
    this.#failure ??= err
    for (const [id, pending] of this.#pending) {
      if (pending.worker !== slot) continue
      this.#pending.delete(id)
      pending.reject(err)
    }
  }
}

// Built, the worker is dist/batch-worker.js beside the chunk holding this code. Run from the sources (tests, tsx), it
// is worker.ts: a small script registers tsx's loader in the new thread first (loader flags do not reach workers).
function workerEntry(): { url: URL; source?: string } {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return { url: new URL('./batch-worker.js', here) }
  const url = new URL('./worker.ts', here)
  const source = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}) })`
  return { url, source }
}
