// fixtures/hostile/xml through `sceau verify --json`, the path a user takes: each file gets the verdict its line
// of EXPECTED.md gives, with a failing check of that id naming what the line says.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { CommandIo } from './io.js'
import { main } from './main.js'

const HOSTILE = new URL('../../fixtures/hostile/xml/', import.meta.url)

interface Expectation {
  readonly file: string
  readonly indication: string
  readonly subIndication: string
  readonly check: string
  readonly names: string
}

/** The rows of EXPECTED.md's table: file, verdict, failing check, names, why, xmlsec1. */
function expectations(): Expectation[] {
  const rows = readFileSync(new URL('EXPECTED.md', HOSTILE), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| ') && line.includes('.xml'))
  return rows.map((line) => {
    const [file, verdict, check, names] = line
      .split('|')
      .map((cell) => cell.trim())
      .slice(1)
    const [indication, subIndication] = (verdict ?? '').split(' ')
    return { file: file ?? '', indication: indication ?? '', subIndication: subIndication ?? '', check: check ?? '', names: names ?? '' }
  })
}

async function verifyJson(path: string): Promise<{ code: number; report: Record<string, unknown> }> {
  let stdout = ''
  const io: CommandIo = { env: process.env, out: (text) => void (stdout += `${text}\n`), err: () => undefined }
  const code = await main(['verify', path, '--json', '--no-crl-fetch'], io)
  const report = (JSON.parse(stdout) as { files: Record<string, unknown>[] }).files[0] ?? {}
  return { code, report }
}

interface JsonCheck {
  readonly id: string
  readonly status: string
  readonly reason: string
}

describe('sceau verify on the hostile XML files of fixtures/hostile/xml', () => {
  const table = expectations()
  it('EXPECTED.md lists every file', () => {
    expect(table.map((row) => row.file).sort()).toHaveLength(9)
  })
  for (const row of table) {
    it(`${row.file}: ${row.indication} ${row.subIndication}, ${row.check} names "${row.names}"`, async () => {
      const { code, report } = await verifyJson(new URL(row.file, HOSTILE).pathname)
      expect(report).toMatchObject({ indication: row.indication, subIndication: row.subIndication })
      expect(code).not.toBe(0)
      const checks = [
        ...((report.signatures as { checks: JsonCheck[] }[] | undefined) ?? []).flatMap((signature) => signature.checks),
        ...((report.checks as JsonCheck[] | undefined) ?? []),
      ]
      expect(checks).toContainEqual(expect.objectContaining({ id: row.check, status: 'fail', reason: expect.stringContaining(row.names) }))
    })
  }
})
