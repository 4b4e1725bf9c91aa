import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoftHsm } from '../src/testing/softhsm.js'
import { runCli } from './capture-io.js'
import { makeAgentP12, pkiFile, startPkiFilesTsa, trustTestPki } from './test-pki-files.js'
import { createTestTokens, keySources, PIN_A, tokenKeyArgs } from './tokens-fixture.js'

// PAdES signatures made by sceau, judged by tools nobody here wrote: poppler's pdfsig, qpdf and OpenSSL's cms.

const POLICY_PDF = join(import.meta.dirname, '..', 'fixtures', 'pes', '1.2.250.1.131.1.5.18.21.1.4.pdf')
const P12_PASSWORD = 'p12-secret-8812'

let hsm: SoftHsm
let dir: string
let p12: string

const sceau = (args: string[]): ReturnType<typeof runCli> => runCli(args, { MAIRIE_PIN: PIN_A, P12_PASSWORD })

const tokenKey = (object: string): string[] => tokenKeyArgs(hsm.module, object)

/** pdfsig's verdict on each signature, in order ("Signature is Valid." when the cryptography holds). */
function pdfsig(file: string): string[] {
  const run = spawnSync('pdfsig', [file], { encoding: 'utf8' })
  return [...run.stdout.matchAll(/Signature Validation: (.*)/g)].map((match) => (match[1] ?? '').trim())
}

function qpdfCheck(file: string): boolean {
  return spawnSync('qpdf', ['--check', file], { encoding: 'utf8' }).status === 0
}

/** OpenSSL's verdict on each signature: the /Contents CMS checked against the bytes its /ByteRange names. */
function opensslVerdicts(file: string): boolean[] {
  const pdf = readFileSync(file)
  const text = pdf.toString('latin1')
  return [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((match, k) => {
    const [a, b, c, d] = match.slice(1, 5).map(Number) as [number, number, number, number]
    const content = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)])
    const hex = text.slice(a + b + 1, c - 1)
    const der = Buffer.from(hex, 'hex')
    // The DER length from its own header: /Contents is padded with zeros after it.
    const length = der[1] === 0x82 ? 4 + der.readUInt16BE(2) : der[1] === 0x83 ? 5 + der.readUIntBE(2, 3) : 2 + (der[1] as number)
    writeFileSync(join(dir, `cms-${k}.der`), der.subarray(0, length))
    writeFileSync(join(dir, `content-${k}.bin`), content)
    const run = spawnSync('openssl', [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      join(dir, `cms-${k}.der`),
      '-content',
      join(dir, `content-${k}.bin`),
      '-CAfile',
      join(dir, 'bundle.pem'),
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ])
    return run.status === 0
  })
}

beforeAll(() => {
  hsm = createTestTokens()
  dir = mkdtempSync(join(tmpdir(), 'sceau-pades-test-'))
  writeFileSync(join(dir, 'bundle.pem'), readFileSync(pkiFile('root.pem'), 'utf8') + readFileSync(pkiFile('intermediate.pem'), 'utf8'))
  p12 = makeAgentP12(dir, P12_PASSWORD)
})

afterAll(() => {
  hsm.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('sceau sign-pdf, judged by pdfsig, qpdf and openssl cms', () => {
  for (const [name, key] of keySources(
    () => hsm.module,
    () => p12,
  )) {
    it(`signs a real PDF with ${name}: pdfsig valid, qpdf clean, openssl cms verifies; the original bytes are kept`, async () => {
      const out = join(dir, `signed-${name.replace(/\W+/g, '-')}.pdf`)
      const run = await sceau(['sign-pdf', POLICY_PDF, '--out', out, ...key(), '--reason', 'Délibération n° 42', '--location', 'Nice'])
      expect(run.code, run.stderr).toBe(0)
      const original = readFileSync(POLICY_PDF)
      expect(readFileSync(out).subarray(0, original.length).equals(original)).toBe(true)
      expect(pdfsig(out)).toEqual(['Signature is Valid.'])
      expect(qpdfCheck(out)).toBe(true)
      expect(opensslVerdicts(out)).toEqual([true])
    })
  }

  it('signs a signed PDF again: both signatures stay valid for pdfsig, openssl and sceau verify', async () => {
    const once = join(dir, 'once.pdf')
    const twice = join(dir, 'twice.pdf')
    expect((await sceau(['sign-pdf', POLICY_PDF, '--out', once, ...tokenKey('Signature RSA')])).code).toBe(0)
    expect((await sceau(['sign-pdf', once, '--out', twice, ...tokenKey('Signature EC')])).code).toBe(0)
    expect(pdfsig(twice)).toEqual(['Signature is Valid.', 'Signature is Valid.'])
    expect(qpdfCheck(twice)).toBe(true)
    expect(opensslVerdicts(twice)).toEqual([true, true])
    const trust = trustTestPki()
    const verified = await sceau(['verify', twice, ...trust, '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const report = JSON.parse(verified.stdout) as { files: { signatures: { indication: string; coversWholeDocument: boolean }[] }[] }
    expect(report.files[0]?.signatures.map((signature) => [signature.indication, signature.coversWholeDocument])).toEqual([
      ['TOTAL_PASSED', false],
      ['TOTAL_PASSED', true],
    ])
  })

  it('is rejected by pdfsig, openssl and sceau verify once one byte of the signed content changes', async () => {
    const signed = join(dir, 'to-tamper.pdf')
    expect((await sceau(['sign-pdf', POLICY_PDF, '--out', signed, ...tokenKey('Signature RSA')])).code).toBe(0)
    const bytes = readFileSync(signed)
    // A byte of the original document's first stream, well inside the first byte range.
    const at = bytes.indexOf('stream') + 20
    bytes[at] = (bytes[at] as number) ^ 0x01
    const tampered = join(dir, 'tampered.pdf')
    writeFileSync(tampered, bytes)
    expect(pdfsig(tampered)).not.toEqual(['Signature is Valid.'])
    expect(opensslVerdicts(tampered)).toEqual([false])
    const verified = await sceau(['verify', tampered, '--json', '--no-revocation-check'])
    expect(verified.code).toBe(1)
    expect(JSON.parse(verified.stdout).files[0].signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
  })

  it('B-T with --tsa: the signature carries a time-stamp and pdfsig, openssl and sceau verify still accept it', async () => {
    const tsa = await startPkiFilesTsa()
    try {
      const out = join(dir, 'b-t.pdf')
      const run = await sceau(['sign-pdf', POLICY_PDF, '--out', out, ...tokenKey('Signature RSA'), '--tsa', tsa.url])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('PAdES B-T')
      expect(tsa.requests).toBe(1)
      expect(pdfsig(out)).toEqual(['Signature is Valid.'])
      expect(opensslVerdicts(out)).toEqual([true])
      const trust = trustTestPki()
      const verified = await sceau(['verify', out, ...trust, '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      const signature = JSON.parse(verified.stdout).files[0].signatures[0]
      expect(signature.timestamp).toEqual(expect.any(String))
      expect(signature.checks).toContainEqual(expect.objectContaining({ id: 'timestamp', status: 'pass' }))
    } finally {
      await tsa.close()
    }
  })

  it('B-LT: the chain and CRLs go into a DSS revision; sceau verify then needs only the root, pdfsig and qpdf still agree', async () => {
    const tsa = await startPkiFilesTsa()
    try {
      const out = join(dir, 'b-lt.pdf')
      const lt = [
        '--level',
        'B-LT',
        '--tsa',
        tsa.url,
        '--trust',
        pkiFile('root.pem'),
        '--crl',
        pkiFile('crl.der'),
        '--crl',
        pkiFile('root-crl.der'),
        '--no-crl-fetch',
      ]
      const run = await sceau(['sign-pdf', POLICY_PDF, '--out', out, ...tokenKey('Signature RSA'), ...lt])
      expect(run.code, run.stderr).toBe(0)
      expect(pdfsig(out)).toEqual(['Signature is Valid.'])
      expect(qpdfCheck(out)).toBe(true)
      expect(readFileSync(out).toString('latin1')).toContain('/DSS')
      // No intermediates, no CRLs given: what validation needs comes from the file itself.
      const verified = await sceau(['verify', out, '--trust', pkiFile('root.pem'), '--no-crl-fetch', '--json'])
      expect(verified.code, verified.stdout).toBe(0)
      const signature = JSON.parse(verified.stdout).files[0].signatures[0]
      expect(signature).toMatchObject({ indication: 'TOTAL_PASSED', coversWholeDocument: false })
      expect(signature.checks).toContainEqual(expect.objectContaining({ id: 'pdf.dss', status: 'pass' }))

      // B-LTA: the same, then a document time-stamp over the whole file; pdfsig still validates the signature.
      const lta = join(dir, 'b-lta.pdf')
      const ltaRun = await sceau([
        'sign-pdf',
        POLICY_PDF,
        '--out',
        lta,
        ...tokenKey('Signature RSA'),
        ...lt.map((arg) => (arg === 'B-LT' ? 'B-LTA' : arg)),
      ])
      expect(ltaRun.code, ltaRun.stderr).toBe(0)
      expect(pdfsig(lta)[0]).toBe('Signature is Valid.')
      expect(qpdfCheck(lta)).toBe(true)
      const ltaVerified = await sceau(['verify', lta, '--trust', pkiFile('root.pem'), '--no-crl-fetch', '--json'])
      expect(ltaVerified.code, ltaVerified.stdout).toBe(0)
      const ltaReport = JSON.parse(ltaVerified.stdout).files[0]
      expect(
        ltaReport.signatures.map((entry: { documentTimestamp?: boolean; indication: string }) => [
          entry.documentTimestamp ?? false,
          entry.indication,
        ]),
      ).toEqual([
        [false, 'TOTAL_PASSED'],
        [true, 'TOTAL_PASSED'],
      ])

      const missing = await sceau([
        'sign-pdf',
        POLICY_PDF,
        '--out',
        join(dir, 'b-lt-missing.pdf'),
        ...tokenKey('Signature RSA'),
        '--level',
        'B-LT',
        '--tsa',
        tsa.url,
        '--no-crl-fetch',
      ])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('LT_DATA_MISSING')
    } finally {
      await tsa.close()
    }
  })

  it('--visible and --certify 2: a drawn stamp pdftotext reads, a certification sceau verify reports; a co-signature keeps both valid', async () => {
    const certified = join(dir, 'certified.pdf')
    const run = await sceau([
      'sign-pdf',
      POLICY_PDF,
      '--out',
      certified,
      ...tokenKey('Signature RSA'),
      '--visible',
      '1,20,720,180,60',
      '--certify',
      '2',
      '--reason',
      'Délibération n° 42',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(execFileSync('pdftotext', ['-f', '1', '-l', '1', certified, '-'], { encoding: 'utf8' })).toMatch(/Signé par .*DUPONT-TEST/)
    expect(pdfsig(certified)).toEqual(['Signature is Valid.'])
    expect(qpdfCheck(certified)).toBe(true)

    const cosigned = join(dir, 'certified-cosigned.pdf')
    expect((await sceau(['sign-pdf', certified, '--out', cosigned, ...tokenKey('Signature EC')])).code).toBe(0)
    expect(pdfsig(cosigned)).toEqual(['Signature is Valid.', 'Signature is Valid.'])
    expect(qpdfCheck(cosigned)).toBe(true)
    expect(opensslVerdicts(cosigned)).toEqual([true, true])
    const verified = await sceau(['verify', cosigned, ...trustTestPki(), '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const report = JSON.parse(verified.stdout).files[0]
    expect(report.signatures[0].certification).toEqual({ permissions: 2 })
    expect(report.checks).toContainEqual(expect.objectContaining({ id: 'pdf.docmdp', status: 'pass' }))

    const refused = await sceau([
      'sign-pdf',
      cosigned,
      '--out',
      join(dir, 'recertified.pdf'),
      ...tokenKey('Signature EC'),
      '--certify',
      '1',
    ])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('only the first signature')
    expect((await sceau(['sign-pdf', POLICY_PDF, '--out', join(dir, 'x.pdf'), ...tokenKey('Signature EC'), '--certify', '4'])).code).toBe(2)
  })

  it('refuses an encrypted PDF with a clear error and writes nothing', async () => {
    const encrypted = join(dir, 'encrypted.pdf')
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', POLICY_PDF, encrypted])
    const out = join(dir, 'encrypted-signed.pdf')
    const run = await sceau(['sign-pdf', encrypted, '--out', out, ...tokenKey('Signature RSA')])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/encrypt/i)
    expect(spawnSync('test', ['-e', out]).status).not.toBe(0)
  })
})
