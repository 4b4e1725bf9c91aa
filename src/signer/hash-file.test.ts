import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hashFile } from './hash-file.js'

const dir = mkdtempSync(join(tmpdir(), 'sceau-hash-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('hashFile', () => {
  it('gives the digest of the whole file across chunk boundaries', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 123)
    const file = join(dir, 'big.bin')
    writeFileSync(file, bytes)
    for (const [hash, node] of [
      ['SHA-256', 'sha256'],
      ['SHA-512', 'sha512'],
      ['SHA-1', 'sha1'],
    ] as const) {
      expect(Buffer.from(await hashFile(file, hash))).toEqual(createHash(node).update(bytes).digest())
    }
  })

  it('refuses a missing file with FILE_NOT_FOUND and a cancelled read with ABORTED', async () => {
    await expect(hashFile(join(dir, 'absent.bin'), 'SHA-256')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
    const file = join(dir, 'small.bin')
    writeFileSync(file, 'x')
    await expect(hashFile(file, 'SHA-256', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' })
  })
})

describe('hashFile with a range', () => {
  it('digests bytes [start, end) only, and nothing for an empty range', async () => {
    const bytes = randomBytes(3 * 1024 * 1024)
    const file = join(dir, 'ranged.bin')
    writeFileSync(file, bytes)
    const range = { start: 1000, end: 2 * 1024 * 1024 + 7 }
    expect(Buffer.from(await hashFile(file, 'SHA-256', { range }))).toEqual(
      createHash('sha256').update(bytes.subarray(range.start, range.end)).digest(),
    )
    expect(Buffer.from(await hashFile(file, 'SHA-256', { range: { start: 5, end: 5 } }))).toEqual(createHash('sha256').digest())
  })
})
