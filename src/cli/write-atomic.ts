import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SceauError } from '../errors.js'

/**
 * Writes `bytes` to `file` through a temporary file in the same directory and a rename, so a reader never sees a
 * half-written output and an interrupted run leaves the previous file (or none) in place.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, bytes, { flag: 'wx' })
    await rename(temporary, file)
  } catch (cause) {
    await rm(temporary, { force: true })
    throw new SceauError('OUTPUT_WRITE_FAILED', `cannot write "${file}": ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { file },
    })
  }
}
