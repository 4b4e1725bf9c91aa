// A batch worker thread: runs jobs (read, index, canonicalise, hash, build, write) on its own core and asks the main
// thread, which holds the token session pool, for each signature. The private key never leaves the main thread.

import 'reflect-metadata'
import { parentPort, workerData } from 'node:worker_threads'
import { SceauError } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import type { JobDescriptor } from './job-kinds.js'
import { jobOf } from './jobs.js'
import type { BatchItem } from './sign-batch.js'
import { fromWorkerError, toWorkerError, type MainMessage, type SignerShape, type WorkerMessage } from './worker-protocol.js'

const port = parentPort
if (port === null) throw new Error('src/batch/worker.ts runs as a worker thread')

const pendingSignatures = new Map<number, { resolve: (signature: Uint8Array) => void; reject: (err: unknown) => void }>()
const running = new Map<number, AbortController>()
let nextRequest = 0

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)

/** The main thread's signer, seen from here: same certificate and algorithms, signatures made over there. */
function remoteSigner(shape: SignerShape): Signer {
  return {
    ...shape,
    sign(toBeSigned: Uint8Array, algorithm: SignatureAlgorithm, options = {}) {
      options.signal?.throwIfAborted()
      const requestId = nextRequest++
      return new Promise<Uint8Array>((resolve, reject) => {
        pendingSignatures.set(requestId, { resolve, reject })
        post({ type: 'sign', requestId, toBeSigned, algorithm })
      })
    },
  }
}

const signer = remoteSigner((workerData as { signer: SignerShape }).signer)
const jobs = new Map<string, ReturnType<typeof jobOf>>()

function jobFor(descriptor: JobDescriptor): ReturnType<typeof jobOf> {
  // The same descriptor comes with every item of a batch: build its job once.
  const key = JSON.stringify(descriptor)
  let job = jobs.get(key)
  if (job === undefined) {
    job = jobOf(descriptor)
    jobs.set(key, job)
  }
  return job
}

async function run(id: number, descriptor: JobDescriptor, item: BatchItem): Promise<void> {
  const controller = new AbortController()
  running.set(id, controller)
  try {
    const info = await jobFor(descriptor)(item, signer, controller.signal)
    post({ type: 'done', id, info })
  } catch (err) {
    post({ type: 'failed', id, error: toWorkerError(err) })
  } finally {
    running.delete(id)
  }
}

port.on('message', (message: MainMessage) => {
  switch (message.type) {
    case 'job':
      void run(message.id, message.descriptor, message.item)
      break
    case 'abort':
      running.get(message.id)?.abort(new SceauError('ABORTED', 'the batch stopped'))
      break
    case 'signed':
    case 'sign-failed': {
      const pending = pendingSignatures.get(message.requestId)
      pendingSignatures.delete(message.requestId)
      if (pending === undefined) break
      if (message.type === 'signed') pending.resolve(message.signature)
      else pending.reject(fromWorkerError(message.error))
      break
    }
  }
})
