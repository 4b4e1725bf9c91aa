// Reading an input file, with the one error every command gives when it cannot.

import { readFile } from 'node:fs/promises'
import { SceauError } from './errors.js'

/** The `FILE_NOT_FOUND` error for a file that could not be opened or read. */
export function cannotRead(path: string, cause: unknown): SceauError {
  return new SceauError('FILE_NOT_FOUND', `cannot read "${path}"`, { cause, details: { file: path } })
}

/** A whole file's bytes; `FILE_NOT_FOUND` when it cannot be read. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (cause) {
    throw cannotRead(path, cause)
  }
}
