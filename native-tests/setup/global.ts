import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { createTestPki, writeTestPki } from '../../src/testing/pki.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory holding the test PKI of this run (see src/testing/pki.ts for the file names). */
    pkiDir: string
  }
}

// One test PKI per run, shared by every native test file; each file builds its own SoftHSM token store from
// it, because SoftHSM reads its configuration once per process.
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'sceau-native-pki-'))
  const pki = await createTestPki()
  await writeTestPki(pki, dir)
  project.provide('pkiDir', dir)
  return () => rmSync(dir, { recursive: true, force: true })
}
