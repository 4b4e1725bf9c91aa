// What one batch item does, per format: the job functions signBatch runs. Each reads its input, signs through the
// batch's signer and writes its output atomically; none holds more than one document at a time.

import { writeAtomically } from '../atomic-write.js'
import { signCadesEnvelopingFile, signCadesFile, type SignCadesOptions } from '../cades/sign-cades.js'
import { readInputFile } from '../read-file.js'
import { signPdfParts, type SignPdfOptions } from '../pades/sign-pdf.js'
import { signXadesDetachedFile, type SignXadesDetachedOptions } from '../xades/sign-detached.js'
import { signPesFile, type SignPesOptions } from '../xades/sign-pes.js'
import { describedJob, type JobDescriptor } from './job-kinds.js'
import type { BatchJob } from './sign-batch.js'

/**
 * PES V2 flows signed XAdES-EPES (per bordereau by default), `item.output` the signed flow.
 *
 * @example
 * ```ts
 * for await (const result of signBatch(items, { signer, job: pesJob({ placement: 'per-bordereau' }) })) console.log(result.status)
 * ```
 */
export function pesJob(options: Omit<SignPesOptions, 'signal'> = {}): BatchJob {
  return describedJob(
    async (item, signer, signal) => {
      const result = await signPesFile(item.input, item.output, signer, { ...options, signal })
      return { signatures: result.signatures, changes: result.changes }
    },
    { kind: 'pes', options },
  )
}

/** PDFs signed PAdES (B-B, or B-T with `timestamp`), `item.output` the signed PDF. */
export function pdfJob(options: Omit<SignPdfOptions, 'signal'> = {}): BatchJob {
  return describedJob(
    async (item, signer, signal) => {
      const { original, appended, byteRange } = await signPdfParts(await readInputFile(item.input), signer, { ...options, signal })
      await writeAtomically(item.output, (write) => {
        write(original)
        write(appended)
      })
      return { bytesAppended: appended.length, byteRange }
    },
    { kind: 'pdf', options },
  )
}

/** Any file signed CAdES, `item.output` the detached `.p7s` (or, with `enveloping`, the `.p7m`). */
export function cadesJob(options: Omit<SignCadesOptions, 'signal'> & { readonly enveloping?: boolean } = {}): BatchJob {
  return describedJob(
    async (item, signer, signal) => {
      if (options.enveloping === true) {
        await signCadesEnvelopingFile(item.input, item.output, signer, { ...options, signal })
      } else {
        const p7s = await signCadesFile(item.input, signer, { ...options, signal })
        await writeAtomically(item.output, (write) => write(p7s))
      }
      return undefined
    },
    { kind: 'cades', options },
  )
}

/** Any file signed detached XAdES, `item.output` the signature document. */
export function xadesDetachedJob(options: Omit<SignXadesDetachedOptions, 'signal'> = {}): BatchJob {
  return describedJob(
    async (item, signer, signal) => {
      const xml = await signXadesDetachedFile(item.input, signer, { ...options, signal })
      await writeAtomically(item.output, (write) => write(xml))
      return undefined
    },
    { kind: 'xades-detached', options },
  )
}

/** The job function a descriptor names (a worker thread rebuilds its jobs this way). */
export function jobOf(descriptor: JobDescriptor): BatchJob {
  switch (descriptor.kind) {
    case 'pes':
      return pesJob(descriptor.options)
    case 'pdf':
      return pdfJob(descriptor.options)
    case 'cades':
      return cadesJob(descriptor.options)
    case 'xades-detached':
      return xadesDetachedJob(descriptor.options)
  }
}
