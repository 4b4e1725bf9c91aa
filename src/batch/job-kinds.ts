// The jobs a worker thread can run: a kind and options that survive structured cloning, turned back into the job
// function on the worker's side. A job written by the caller is a closure and runs on the main thread only.

import type { SignCadesOptions } from '../cades/sign-cades.js'
import type { SignPdfOptions } from '../pades/sign-pdf.js'
import type { SignXadesDetachedOptions } from '../xades/sign-detached.js'
import type { SignPesOptions } from '../xades/sign-pes.js'
import type { BatchJob } from './sign-batch.js'

/** A job by name, with options a worker thread can receive (no functions, no AbortSignal). */
export type JobDescriptor =
  | { readonly kind: 'pes'; readonly options: Omit<SignPesOptions, 'signal'> }
  | { readonly kind: 'pdf'; readonly options: Omit<SignPdfOptions, 'signal'> }
  | { readonly kind: 'cades'; readonly options: Omit<SignCadesOptions, 'signal'> & { readonly enveloping?: boolean } }
  | { readonly kind: 'xades-detached'; readonly options: Omit<SignXadesDetachedOptions, 'signal'> }

const DESCRIPTORS = new WeakMap<BatchJob, JobDescriptor>()

/** Marks `job` as the function `descriptor` names, so that a worker thread can rebuild it. */
export function describedJob(job: BatchJob, descriptor: JobDescriptor): BatchJob {
  DESCRIPTORS.set(job, descriptor)
  return job
}

/** The descriptor of a job made by `pesJob`, `pdfJob`, `cadesJob` or `xadesDetachedJob`; undefined for others. */
export function descriptorOf(job: BatchJob): JobDescriptor | undefined {
  return DESCRIPTORS.get(job)
}
