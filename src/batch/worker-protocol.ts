// The messages between the batch's main thread and its worker threads.

import { SceauError, type SceauErrorCode, type SceauErrorDetails } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import type { SignatureAlgorithm } from '../types.js'
import type { JobDescriptor } from './job-kinds.js'
import type { BatchItem } from './sign-batch.js'

/** What a worker knows of the signer: everything but `sign`, which stays on the main thread. */
export type SignerShape = Omit<Signer, 'sign'>

/** An error as it crosses threads. */
export interface WorkerError {
  readonly code: SceauErrorCode | 'INTERNAL'
  readonly message: string
  readonly details?: SceauErrorDetails
}

/** Main thread → worker. */
export type MainMessage =
  | { readonly type: 'job'; readonly id: number; readonly descriptor: JobDescriptor; readonly item: BatchItem }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'signed'; readonly requestId: number; readonly signature: Uint8Array }
  | { readonly type: 'sign-failed'; readonly requestId: number; readonly error: WorkerError }

/** Worker → main thread. */
export type WorkerMessage =
  | { readonly type: 'sign'; readonly requestId: number; readonly toBeSigned: Uint8Array; readonly algorithm: SignatureAlgorithm }
  | { readonly type: 'done'; readonly id: number; readonly info?: Record<string, unknown> }
  | { readonly type: 'failed'; readonly id: number; readonly error: WorkerError }

/** The signer's shape, as plain data a worker can receive. */
export function signerShape(signer: Signer): SignerShape {
  return {
    certificate: signer.certificate,
    chain: [...signer.chain],
    key: signer.key,
    algorithms: [...signer.algorithms],
    maxSignatureLength: signer.maxSignatureLength,
    ...(signer.parallelSignatures === undefined ? {} : { parallelSignatures: signer.parallelSignatures }),
  }
}

/** An error as it crosses threads: a SceauError keeps its code and details, anything else becomes INTERNAL. */
export function toWorkerError(err: unknown): WorkerError {
  if (err instanceof SceauError) return { code: err.code, message: err.message, details: { ...err.details } }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) }
}

/** The error a {@link WorkerError} describes, on the receiving thread. */
export function fromWorkerError(error: WorkerError): Error {
  return error.code === 'INTERNAL' ? new Error(error.message) : new SceauError(error.code, error.message, { details: error.details })
}
