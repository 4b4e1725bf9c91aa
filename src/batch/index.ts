/**
 * The batch core: `sceau/batch`. Many files, one key kept busy, per-item results, atomic outputs.
 *
 * @packageDocumentation
 */

export {
  signBatch,
  BATCH_FATAL,
  type BatchItem,
  type BatchJob,
  type BatchProgress,
  type BatchResult,
  type SignBatchOptions,
} from './sign-batch.js'
export { pesJob, pdfJob, cadesJob, xadesDetachedJob } from './jobs.js'
export { defaultConcurrency } from './sign-batch.js'
