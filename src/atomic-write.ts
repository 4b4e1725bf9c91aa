// Outputs are complete or absent: written to a temporary file beside the target, flushed, then renamed over it.
// A crash, a full disk or a token pulled out mid-run leaves the previous file (or none), never half a document.

import { randomBytes } from 'node:crypto'
import { closeSync, fsync, openSync, rmSync, writeSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { promisify } from 'node:util'
import { basename, dirname, join } from 'node:path'
import { SceauError } from './errors.js'

const fsyncAsync = promisify(fsync)

/** Writes what `fill` writes (through `write`) to `file` atomically. `fill` may be async. */
export async function writeAtomically(file: string, fill: (write: (bytes: Uint8Array) => void) => void | Promise<void>): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(temporary, 'wx')
    const descriptor = fd
    await fill((bytes) => {
      let offset = 0
      while (offset < bytes.length) offset += writeSync(descriptor, bytes, offset, bytes.length - offset)
    })
    // Flushing waits on the disk: done on libuv's thread pool, so that a batch's event loop goes on with other files.
    await fsyncAsync(fd)
    closeSync(fd)
    fd = undefined
    await rename(temporary, file)
  } catch (cause) {
    if (fd !== undefined) closeSync(fd)
    rmSync(temporary, { force: true })
    if (cause instanceof SceauError) throw cause
    throw new SceauError('OUTPUT_WRITE_FAILED', `cannot write "${file}": ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      details: { file },
    })
  }
}
