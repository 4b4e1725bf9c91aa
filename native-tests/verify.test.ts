import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './capture-io.js'
import { makeAgentP12, trustTestPki } from './test-pki-files.js'

// sceau's verdicts on real signed flows and real trusted lists, set against xmlsec1's on the same bytes.

const fixture = (...path: string[]): string => join(import.meta.dirname, '..', 'fixtures', ...path)
const PESALR2 = 'PESALR2_25060187900027_190328_001.xml'
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#'
const PES_ID_ATTRS = ['--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties']
const TL_ID_ATTRS = ['--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties']
const SIGNATURE_ELEMENT = /<([\w.-]+:)?Signature[\s>][\s\S]*?<\/\1Signature>/g
const P12_PASSWORD = 'p12-verify-9931'

let dir: string
const trust = trustTestPki

interface Check {
  id: string
  status: string
  reason: string
}
interface SignatureReport {
  id?: string
  indication: string
  subIndication?: string
  covers: Array<{ scope: string; id?: string; element: string }>
  checks: Check[]
}
interface Report {
  indication: string
  subIndication?: string
  signatures: SignatureReport[]
  checks: Check[]
}

const sceau = runCli

async function verify(file: string, ...options: string[]): Promise<{ code: number; report: Report }> {
  const { code, stdout, stderr } = await sceau(['verify', file, '--json', ...options])
  expect(stderr).toBe('')
  return { code, report: (JSON.parse(stdout) as { files: [Report] }).files[0] }
}

/** xmlsec1's verdict, started at the one ds:Signature a file holds (or at `id`), and its reference count. */
function xmlsec1(file: string, idAttrs: string[], id?: string): { ok: boolean; references?: { ok: number; all: number }; output: string } {
  const start = id === undefined ? [] : ['--id-attr:Id', `${XMLDSIG}:Signature`, '--node-id', id]
  const result = spawnSync('xmlsec1', ['--verify', '--insecure', ...idAttrs, ...start, file], { encoding: 'utf8' })
  const output = result.stdout + result.stderr
  const counts = /SignedInfo References \(ok\/all\): (\d+)\/(\d+)/.exec(output)
  return {
    ok: result.status === 0 && /^OK$/m.test(output),
    references: counts === null ? undefined : { ok: Number(counts[1]), all: Number(counts[2]) },
    output,
  }
}

const read = (file: string): string => readFileSync(file).toString('latin1')
function write(name: string, latin1: string): string {
  const file = join(dir, name)
  writeFileSync(file, Buffer.from(latin1, 'latin1'))
  return file
}

const checksOf = (signature: SignatureReport | undefined, id: string): Check[] => signature?.checks.filter((check) => check.id === id) ?? []
const bordereauOf = (signature: SignatureReport): string | undefined =>
  signature.covers.find((covered) => covered.scope === 'bordereau')?.id

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-verify-test-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Copies a real flow, has xmlsec1 and sceau check its one signature, and expects both to find it intact. */
async function intactForBoth(name: string): Promise<{ code: number; report: Report; signature: Report['signatures'][number] | undefined }> {
  const file = join(dir, name)
  copyFileSync(fixture('pes', name), file)
  const xmlsec = xmlsec1(file, PES_ID_ATTRS)
  expect(xmlsec.ok, xmlsec.output).toBe(true)
  const { code, report } = await verify(file, '--no-revocation-check')
  expect(report.signatures).toHaveLength(1)
  const [signature] = report.signatures
  const references = checksOf(signature, 'xmldsig.reference')
  expect(references).toHaveLength(xmlsec.references?.all ?? -1)
  for (const check of [...references, ...checksOf(signature, 'xmldsig.signature-value')]) expect(check.status, check.reason).toBe('pass')
  expect(checksOf(signature, 'xmldsig.signature-value')).toHaveLength(1)
  return { code, report, signature }
}

describe('sceau verify and xmlsec1 on real PES flows', () => {
  it('agree that the real PESALR2 flow is intact; sceau says INDETERMINATE, its signer having expired without a timestamp', async () => {
    const { code, report, signature } = await intactForBoth(PESALR2)
    expect(signature && bordereauOf(signature)).toBe('N10025')
    expect(report.indication).toBe('INDETERMINATE')
    expect(code).toBe(3)
  })

  it('agree that test-perime is intact; sceau says INDETERMINATE / OUT_OF_BOUNDS_NO_POE and exits 3', async () => {
    const { code, report, signature } = await intactForBoth('test-perime-04-04-2016.xml')
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' })
    expect(signature).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' })
    expect(code).toBe(3)
  })

  it('agree that test-alteree was altered; sceau says TOTAL_FAILED / HASH_FAILURE and exits 1', async () => {
    const file = join(dir, 'test-alteree.xml')
    copyFileSync(fixture('pes', 'test-alteree.xml'), file)
    const xmlsec = xmlsec1(file, PES_ID_ATTRS)
    expect(xmlsec.ok).toBe(false)

    const { code, report } = await verify(file, '--no-revocation-check')
    expect(report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    const [signature] = report.signatures
    expect(signature).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    // Both tools count the same references as good.
    const references = checksOf(signature, 'xmldsig.reference')
    expect(references).toHaveLength(xmlsec.references?.all ?? -1)
    expect(references.filter((check) => check.status === 'pass')).toHaveLength(xmlsec.references?.ok ?? -1)
    expect(code).toBe(1)
  })
})

describe('sceau verify and xmlsec1 on real trusted lists', () => {
  for (const [name, element, from, to] of [
    ['FR-TL-seq112-2023-02-23.xml', 'TSPName', 'Agence Nationale des Titres', 'Agence Nationale des Titrez'],
    // The LOTL lists schemes, not providers: its operator's name plays the part of a TSPName.
    ['EU-LOTL-seq332-2023-09-27.xml', 'SchemeOperatorName', 'European Commission', 'European Commissiom'],
  ] as const) {
    it(`${name}: one signature over the whole document, intact; one byte changed in ${element} fails`, async () => {
      const file = join(dir, name)
      copyFileSync(fixture('tl', name), file)
      const xmlsec = xmlsec1(file, TL_ID_ATTRS)
      expect(xmlsec.ok, xmlsec.output).toBe(true)

      const { report } = await verify(file, '--no-revocation-check')
      expect(report.signatures).toHaveLength(1)
      const [signature] = report.signatures
      expect(signature?.covers.filter((covered) => covered.scope === 'document')).toMatchObject([{ element: 'TrustServiceStatusList' }])
      const references = checksOf(signature, 'xmldsig.reference')
      expect(references).toHaveLength(xmlsec.references?.all ?? -1)
      for (const check of [...references, ...checksOf(signature, 'xmldsig.signature-value')])
        expect(check.status, check.reason).toBe('pass')
      expect(checksOf(signature, 'xmldsig.signature-value')).toHaveLength(1)

      const original = read(file)
      const at = original.indexOf(`<${element}>`)
      const change = original.indexOf(from, at)
      expect(at).toBeGreaterThan(0)
      expect(change).toBeGreaterThan(at)
      expect(change).toBeLessThan(original.indexOf(`</${element}>`, at))
      const tampered = write(`tampered-${name}`, original.slice(0, change) + to + original.slice(change + from.length))
      expect(xmlsec1(tampered, TL_ID_ATTRS).ok).toBe(false)
      const failed = await verify(tampered, '--no-revocation-check')
      expect(failed.code).toBe(1)
      expect(failed.report).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
    })
  }
})

describe('sceau verify against signature wrapping', () => {
  let signed: string

  beforeAll(async () => {
    const p12 = makeAgentP12(dir, P12_PASSWORD)

    // The real flow without its signature, with a second bordereau N10026.
    const flow = read(fixture('pes', PESALR2)).replace(SIGNATURE_ELEMENT, '')
    const start = flow.indexOf('<Bordereau Id="N10025">')
    const end = flow.indexOf('</Bordereau>', start) + '</Bordereau>'.length
    const input = write(
      'wrapping-input.xml',
      flow.slice(0, end) + '\n\t\t' + flow.slice(start, end).replace('Id="N10025"', 'Id="N10026"') + flow.slice(end),
    )
    signed = join(dir, 'wrapping-signed.xml')
    const run = await sceau(['sign-pes', input, '--out', signed, '--p12', p12, '--password-env', 'P12_PASSWORD'], { P12_PASSWORD })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)

    const { code, report } = await verify(signed, ...trust())
    expect(report.indication).toBe('TOTAL_PASSED')
    expect(code).toBe(0)
  })

  /** The signed bordereau N10025 (with its signature) and where it sits. */
  function bordereau(flow: string, id: string): { start: number; end: number; text: string } {
    const start = flow.indexOf(`<Bordereau Id="${id}">`)
    const end = flow.indexOf('</Bordereau>', start) + '</Bordereau>'.length
    expect(start).toBeGreaterThan(0)
    return { start, end, text: flow.slice(start, end) }
  }

  it('fails when the signed bordereau appears twice (the original kept aside, a changed copy in its place)', async () => {
    const flow = read(signed)
    const original = bordereau(flow, 'N10025')
    const forged = original.text.replace(SIGNATURE_ELEMENT, '').replace('<MtBordHT V="4874.40"/>', '<MtBordHT V="9874.40"/>')
    const wrapped = write('wrapped-duplicate.xml', flow.slice(0, original.start) + forged + '\n\t\t' + flow.slice(original.start))

    const { code, report } = await verify(wrapped, ...trust())
    expect(code).toBe(1)
    expect(report.indication).toBe('TOTAL_FAILED')
    const reasons = report.signatures.flatMap((signature) =>
      signature.checks.filter((check) => check.status === 'fail').map((check) => check.reason),
    )
    expect(reasons.some((reason) => reason.includes('"N10025"') && /2 elements|twice|more than one/.test(reason))).toBe(true)
  })

  it('fails pes.placement when the signature of N10025 is moved into N10026', async () => {
    const flow = read(signed)
    const a = bordereau(flow, 'N10025')
    const signature = [...a.text.matchAll(SIGNATURE_ELEMENT)][0]?.[0] ?? ''
    expect(signature).toContain('URI="#N10025"')
    const withoutA = flow.slice(0, a.start) + a.text.replace(signature, '') + flow.slice(a.end)
    const b = bordereau(withoutA, 'N10026')
    const close = b.end - '</Bordereau>'.length
    const moved = write('wrapped-moved.xml', withoutA.slice(0, close) + signature + withoutA.slice(close))

    const { code, report } = await verify(moved, ...trust())
    expect(code).toBe(1)
    expect(report.indication).toBe('TOTAL_FAILED')
    const movedReport = report.signatures.find((candidate) => candidate.covers.some((covered) => covered.id === 'N10025'))
    expect(movedReport?.indication).toBe('TOTAL_FAILED')
    expect(checksOf(movedReport, 'pes.placement').map((check) => check.status)).toEqual(['fail'])
  })

  it('fails a flow whose Reference is moved outside the document: the bordereau is then signed by nothing', async () => {
    const flow = read(signed)
    expect(flow).toContain('URI="#N10025"')
    const outside = write('wrapped-outside.xml', flow.replace('URI="#N10025"', 'URI="http://example.invalid/N10025.xml"'))

    const { code, report } = await verify(outside, ...trust())
    expect(code).toBe(1)
    expect(report.indication).toBe('TOTAL_FAILED')
    // sceau never fetches the URI: its data cannot be obtained, which decides the signature (EN 319 102-1 §5.2.7)…
    const unfetched = report.signatures
      .flatMap((signature) => checksOf(signature, 'xmldsig.reference'))
      .filter((check) => check.status !== 'pass')
    expect(unfetched).toEqual([
      expect.objectContaining({
        status: 'indeterminate',
        subIndication: 'SIGNED_DATA_NOT_FOUND',
        reason: expect.stringContaining('http://example.invalid/N10025.xml'),
      }),
    ])
    // …and the flow fails, naming the bordereau no valid signature covers any more.
    expect(report.checks).toContainEqual(
      expect.objectContaining({ id: 'pes.bordereaux-signed', status: 'fail', reason: expect.stringContaining('N10025') }),
    )
    expect(xmlsec1(outside, PES_ID_ATTRS, [...flow.matchAll(/<ds:Signature [^>]*Id="([^"]+)"/g)][0]?.[1]).ok).toBe(false)
  })

  it('writes a JUnit report with one test case per signature and a failure for the tampered one', async () => {
    const flow = read(signed)
    const tampered = write('junit-tampered.xml', flow.replace('<MtBordHT V="4874.40"/>', '<MtBordHT V="4874.50"/>'))
    const junit = join(dir, 'junit.xml')
    const { code } = await sceau(['verify', signed, tampered, ...trust(), '--junit', junit])
    expect(code).toBe(1)

    // A strict XML parser reads the report as a CI server would: one suite per file, cases and their failures.
    const problems: string[] = []
    const report = new DOMParser({
      errorHandler: (level: string, message: string) => void problems.push(`${level}: ${message}`),
    }).parseFromString(readFileSync(junit, 'utf8'), 'text/xml')
    expect(problems).toEqual([])
    const summary = JSON.stringify(
      Array.from(report.getElementsByTagName('testsuite')).map((suite) => ({
        name: suite.getAttribute('name'),
        cases: Array.from(suite.getElementsByTagName('testcase')).map((testcase) => ({
          name: testcase.getAttribute('name'),
          failed: testcase.getElementsByTagName('failure').length > 0,
        })),
      })),
    )
    const suites = JSON.parse(summary) as Array<{ name: string; cases: Array<{ name: string; failed: boolean }> }>
    expect(suites.map((suite) => suite.name)).toEqual([signed, tampered])
    const signatureCases = (suite: (typeof suites)[number] | undefined) =>
      suite?.cases.filter((testcase) => testcase.name.startsWith('signature '))
    expect(signatureCases(suites[0])?.map((testcase) => testcase.failed)).toEqual([false, false])
    const tamperedCases = signatureCases(suites[1]) ?? []
    expect(tamperedCases).toHaveLength(2)
    expect(tamperedCases.filter((testcase) => testcase.failed).map((testcase) => testcase.name)).toEqual([
      expect.stringContaining('N10025'),
    ])
  })
})
