import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { opensslCmsVerify, type OpensslCmsVerdict } from '../src/testing/openssl-cms.js'
import { runCli } from './capture-io.js'
import { makeAgentP12, pkiFile, startPkiFilesTsa, trustTestPki } from './test-pki-files.js'
import { createTestTokens, keySources, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// Detached CAdES signatures made by sceau, judged by OpenSSL's cms, which nobody here wrote.

const P12_PASSWORD = 'p12-secret-3306'

let hsm: SoftHsm
let dir: string
let p12: string

const sceau = (args: string[]): ReturnType<typeof runCli> => runCli(args, { MAIRIE_PIN: PIN_A, P12_PASSWORD })

const tokenKey = (object: string): string[] => tokenKeyArgs(hsm.module, object)

function openssl(p7s: string, content: string): boolean {
  return opensslCms(p7s, content).ok
}

/** openssl cms -verify: whether it accepts, how many signer certificates it found, and the content it read. */
function opensslCms(signature: string, content?: string): OpensslCmsVerdict {
  return opensslCmsVerify(signature, { caFile: join(dir, 'bundle.pem'), workDir: dir, content })
}

async function withTsa<T>(use: (url: string) => Promise<T>): Promise<T> {
  const tsa = await startPkiFilesTsa()
  try {
    return await use(tsa.url)
  } finally {
    await tsa.close()
  }
}

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-cades-test-'))
  writeFileSync(join(dir, 'bundle.pem'), readFileSync(pkiFile('root.pem'), 'utf8') + readFileSync(pkiFile('intermediate.pem'), 'utf8'))
  p12 = makeAgentP12(dir, P12_PASSWORD)
})

afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('sceau sign (detached CAdES), judged by openssl cms', () => {
  for (const [name, key] of keySources(
    () => hsm.module,
    () => p12,
  )) {
    it(`signs a file with ${name}: FILE.p7s beside it, openssl and sceau verify accept it, a changed byte fails both`, async () => {
      const file = join(dir, `offre-${name.replace(/\W+/g, '-')}.zip`)
      writeFileSync(file, randomBytes(3 * 1024 * 1024 + 17))
      const run = await sceau(['sign', file, ...key()])
      expect(run.code, run.stderr).toBe(0)
      expect(existsSync(`${file}.p7s`)).toBe(true)
      expect(openssl(`${file}.p7s`, file)).toBe(true)
      const verified = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      expect(JSON.parse(verified.stdout).files[0]).toMatchObject({ kind: 'cades', indication: 'TOTAL_PASSED' })

      const bytes = readFileSync(file)
      bytes[1000] = (bytes[1000] as number) ^ 0x01
      writeFileSync(file, bytes)
      expect(openssl(`${file}.p7s`, file)).toBe(false)
      const broken = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])
      expect(broken.code).toBe(1)
      expect(JSON.parse(broken.stdout).files[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }

  it('B-T: a signature time-stamp from a local RFC 3161 authority; openssl still verifies, sceau checks the token', async () => {
    const tsa = await startPkiFilesTsa()
    try {
      const file = join(dir, 'contrat.docx')
      writeFileSync(file, randomBytes(100_000))
      const out = join(dir, 'signatures', 'contrat.docx.p7s')
      const run = await sceau(['sign', file, '--out-dir', join(dir, 'signatures'), '--tsa', tsa.url, ...tokenKey('Signature RSA')])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('CAdES B-T')
      expect(openssl(out, file)).toBe(true)
      const verified = await sceau(['verify', out, '--content', file, ...trustTestPki(), '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      const signature = JSON.parse(verified.stdout).files[0].signatures[0]
      expect(signature.checks).toContainEqual(expect.objectContaining({ id: 'timestamp', status: 'pass' }))
      expect(signature.signingTime).toEqual(expect.any(String))
    } finally {
      await tsa.close()
    }
  })
})

describe('parapheur workflows: co-signature, counter-signature, enveloping, B-LT', () => {
  it('--cosign: a second agent (PKCS#12) co-signs the token-signed .p7s in place; openssl finds both signers', async () => {
    const file = join(dir, 'marche-2026-014.zip')
    writeFileSync(file, randomBytes(2 * 1024 * 1024))
    expect((await sceau(['sign', file, '--commitment', 'origin', ...tokenKey('Signature RSA')])).code).toBe(0)
    const before = readFileSync(`${file}.p7s`)
    const cosign = await sceau([
      'sign',
      '--cosign',
      `${file}.p7s`,
      '--commitment',
      'approval',
      '--p12',
      p12,
      '--password-env',
      'P12_PASSWORD',
    ])
    expect(cosign.code, cosign.stderr).toBe(0)
    expect(cosign.stdout).toContain('2 signer(s)')
    expect(readFileSync(`${file}.p7s`).length).toBeGreaterThan(before.length)
    expect(opensslCms(`${file}.p7s`, file)).toMatchObject({ ok: true, signers: 2 })
    const verified = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const report = JSON.parse(verified.stdout).files[0]
    expect(report.signatures).toHaveLength(2)
    expect(report.signatures.map((signature: { commitmentType: string }) => signature.commitmentType).sort()).toEqual([
      'approval',
      'origin',
    ])
    // One changed byte: openssl and sceau reject both signatures.
    const bytes = readFileSync(file)
    bytes[12345] = (bytes[12345] as number) ^ 0x80
    writeFileSync(file, bytes)
    expect(openssl(`${file}.p7s`, file)).toBe(false)
    const broken = JSON.parse((await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--json'])).stdout).files[0]
    expect(broken.signatures.map((signature: { subIndication: string }) => signature.subIndication)).toEqual([
      'HASH_FAILURE',
      'HASH_FAILURE',
    ])
  })

  it('--cosign refuses the .p7s of another file (CONTENT_MISMATCH, exit 2) and leaves it untouched', async () => {
    const file = join(dir, 'piece-a.pdf')
    const other = join(dir, 'piece-b.pdf')
    writeFileSync(file, randomBytes(5000))
    writeFileSync(other, randomBytes(5000))
    expect((await sceau(['sign', file, ...tokenKey('Signature EC')])).code).toBe(0)
    const before = readFileSync(`${file}.p7s`)
    const run = await sceau(['sign', '--cosign', `${file}.p7s`, other, '--p12', p12, '--password-env', 'P12_PASSWORD'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('CONTENT_MISMATCH')
    expect(Buffer.compare(readFileSync(`${file}.p7s`), before)).toBe(0)
  })

  it('--countersign: the counter-signature is checked and reported under the signature it signs', async () => {
    const file = join(dir, 'arrete-2026-077.pdf')
    writeFileSync(file, randomBytes(40_000))
    expect((await sceau(['sign', file, '--p12', p12, '--password-env', 'P12_PASSWORD'])).code).toBe(0)
    const run = await sceau(['sign', '--countersign', `${file}.p7s`, ...tokenKey('Signature EC')])
    expect(run.code, run.stderr).toBe(0)
    expect(openssl(`${file}.p7s`, file)).toBe(true)
    const junit = join(dir, 'countersign-junit.xml')
    const verified = await sceau(['verify', `${file}.p7s`, ...trustTestPki(), '--junit', junit])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.stdout).toMatch(/counter-signature 1: TOTAL_PASSED/)
    const cases = readFileSync(junit, 'utf8').match(/<testcase [^>]*name="[^"]*"/g) ?? []
    expect(cases).toHaveLength(2)
    expect(cases[1]).toContain('counter-signature 1 on signature 1')
  })

  it('--enveloping: FILE.p7m carries the file; openssl extracts the same bytes; a changed byte fails both', async () => {
    const file = join(dir, 'deliberation.pdf')
    const original = randomBytes(3 * 1024 * 1024 + 5)
    writeFileSync(file, original)
    await withTsa(async (url) => {
      const run = await sceau(['sign', file, '--enveloping', '--tsa', url, ...tokenKey('Signature RSA')])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('CAdES B-T, enveloping')
    })
    const p7m = `${file}.p7m`
    const judged = opensslCms(p7m)
    expect(judged.ok).toBe(true)
    expect(Buffer.compare(judged.content, original)).toBe(0)
    const verified = await sceau(['verify', p7m, ...trustTestPki(), '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    expect(JSON.parse(verified.stdout).files[0]).toMatchObject({ packaging: 'enveloping', contentLength: original.length })
    // Co-signing the .p7m keeps the content inside and adds the second signer.
    expect((await sceau(['sign', '--cosign', p7m, '--p12', p12, '--password-env', 'P12_PASSWORD'])).code).toBe(0)
    expect(opensslCms(p7m)).toMatchObject({ ok: true, signers: 2 })
    const bytes = readFileSync(p7m)
    const at = bytes.indexOf(original.subarray(0, 64)) + 100_000
    bytes[at] = (bytes[at] as number) ^ 0x01
    writeFileSync(p7m, bytes)
    expect(opensslCms(p7m).ok).toBe(false)
    expect((await sceau(['verify', p7m, ...trustTestPki()])).code).toBe(1)
  })

  it('--level B-LT: chains and CRLs inside the .p7s; verified with only the root as trust and no CRL given', async () => {
    const file = join(dir, 'convention.odt')
    writeFileSync(file, randomBytes(70_000))
    await withTsa(async (url) => {
      const run = await sceau([
        'sign',
        file,
        '--level',
        'B-LT',
        '--tsa',
        url,
        '--trust',
        pkiFile('root.pem'),
        '--crl',
        pkiFile('crl.der'),
        '--crl',
        pkiFile('root-crl.der'),
        '--no-crl-fetch',
        ...tokenKey('Signature EC'),
      ])
      expect(run.code, run.stderr).toBe(0)
    })
    const listed = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', `${file}.p7s`], { encoding: 'utf8' }).stdout
    expect(listed).toContain('crls:')
    expect(openssl(`${file}.p7s`, file)).toBe(true)
    const verified = await sceau(['verify', `${file}.p7s`, '--trust', pkiFile('root.pem'), '--no-crl-fetch', '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    expect(JSON.parse(verified.stdout).files[0].signatures[0]).toMatchObject({ level: 'B-LT', indication: 'TOTAL_PASSED' })
  })
})
