import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { runCli } from './capture-io.js'
import { makeAgentP12, pkiFile, startPkiFilesTsa, trustTestPki } from './test-pki-files.js'
import { createTestTokens, keySources, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// Detached XAdES signatures made by sceau, judged by xmlsec1, which nobody here wrote; sceau's verifier second.

const P12_PASSWORD = 'p12-secret-5120'

let hsm: SoftHsm
let dir: string
let p12: string

const sceau = (args: string[]): ReturnType<typeof runCli> => runCli(args, { MAIRIE_PIN: PIN_A, P12_PASSWORD })

const tokenKey = (object: string): string[] => tokenKeyArgs(hsm.module, object)

/**
 * xmlsec1 resolves the relative Reference URI against its working directory, so it runs in the content's
 * directory. The test root is the only trust anchor; the intermediate comes from the signature's KeyInfo.
 */
function xmlsec1(signature: string, contentDirectory = dirname(signature)): { ok: boolean; output: string } {
  const result = spawnSync(
    'xmlsec1',
    [
      '--verify',
      '--trusted-pem',
      pkiFile('root.pem'),
      '--id-attr:Id',
      'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
      relative(contentDirectory, signature),
    ],
    { cwd: contentDirectory, encoding: 'utf8' },
  )
  const output = result.stdout + result.stderr
  return { ok: result.status === 0 && /^OK$/m.test(output), output }
}

/** The part of `sceau verify --json` these tests read. */
interface VerifyReport {
  kind: string
  indication: string
  subIndication?: string
  signatures: Array<{
    covers: Array<{ scope: string; element: string; digestValid: boolean }>
    checks: Array<{ id: string; status: string; reason: string }>
    timestamp?: string
    xades?: { commitmentTypes?: string[] }
  }>
}

async function verify(signature: string, ...extra: string[]): Promise<{ code: number; report: VerifyReport }> {
  const run = await sceau(['verify', signature, ...trustTestPki(), '--json', ...extra])
  const parsed = JSON.parse(run.stdout) as { files: [VerifyReport] }
  return { code: run.code, report: parsed.files[0] }
}

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-xades-detached-test-'))
  p12 = makeAgentP12(dir, P12_PASSWORD)
})

afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('sceau sign --format xades, judged by xmlsec1', () => {
  for (const [name, key] of keySources(
    () => hsm.module,
    () => p12,
  )) {
    it(`signs a file with ${name}: FILE.xades.xml beside it, xmlsec1 and sceau verify accept it, a changed byte fails both`, async () => {
      const folder = join(dir, name.replace(/\W+/g, '-'))
      mkdirSync(folder)
      // Spaces and accents: the Reference URI is percent-encoded, and both verifiers must find the file from it.
      const file = join(folder, 'offre lot n°1 été.zip')
      writeFileSync(file, randomBytes(3 * 1024 * 1024 + 17))
      const run = await sceau(['sign', file, '--format', 'xades', ...key()])
      expect(run.code, run.stderr).toBe(0)
      const signature = `${file}.xades.xml`
      expect(existsSync(signature)).toBe(true)
      expect(readFileSync(signature, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<ds:Signature /)
      const checked = xmlsec1(signature)
      expect(checked.ok, checked.output).toBe(true)

      const verified = await verify(signature)
      expect(verified.code, JSON.stringify(verified.report, null, 2)).toBe(0)
      expect(verified.report).toMatchObject({ kind: 'xml', indication: 'TOTAL_PASSED' })
      expect(verified.report.signatures[0]?.covers).toContainEqual(
        expect.objectContaining({ scope: 'detached', element: basename(file), digestValid: true }),
      )

      const bytes = readFileSync(file)
      bytes[1000] = (bytes[1000] as number) ^ 0x01
      writeFileSync(file, bytes)
      expect(xmlsec1(signature).ok).toBe(false)
      const broken = await verify(signature)
      expect(broken.code).toBe(1)
      expect(broken.report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }

  it('B-T with a local RFC 3161 authority and --out-dir: xmlsec1 still verifies, sceau verify --content checks the time-stamp', async () => {
    const tsa = await startPkiFilesTsa()
    try {
      const file = join(dir, 'contrat.docx')
      writeFileSync(file, randomBytes(100_000))
      const outDir = join(dir, 'signatures')
      const args = ['sign', file, '--format', 'xades', '--level', 'B-T', '--tsa', tsa.url, '--commitment', 'approval', '--out-dir', outDir]
      const run = await sceau([...args, ...tokenKey('Signature RSA')])
      expect(run.code, run.stderr).toBe(0)
      const signature = join(outDir, 'contrat.docx.xades.xml')
      const xml = readFileSync(signature, 'utf8')
      expect(xml).toContain('<xades:EncapsulatedTimeStamp>')
      expect(xml).toContain('http://uri.etsi.org/01903/v1.2.2#ProofOfApproval')
      const checked = xmlsec1(signature, dirname(file))
      expect(checked.ok, checked.output).toBe(true)

      // The signature sits apart from the file: without --content the content is not found.
      expect((await verify(signature)).report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' })
      const verified = await verify(signature, '--content', file)
      expect(verified.code, JSON.stringify(verified.report, null, 2)).toBe(0)
      const [result] = verified.report.signatures
      expect(result?.checks).toContainEqual(expect.objectContaining({ id: 'timestamp', status: 'pass' }))
      expect(Math.abs(Date.parse(result?.timestamp ?? '') - Date.now())).toBeLessThan(120_000)
      expect(result?.xades?.commitmentTypes).toEqual(['approval'])
    } finally {
      await tsa.close()
    }
  })
})
