// Reading large CRLs: parseCrl (a DER walk over the revoked certificates) against, in the same run, `openssl crl`
// reading the same file (a child process, start-up included) and the general ASN.1 parser sceau used before
// (@peculiar/asn1-schema over asn1js, whose element cap refuses anything past about 2,000 entries). The CRLs are made
// by `openssl ca -gencrl` over an index of N revoked serials, as a CA running OpenSSL would publish them.
// Prints figures, asserts nothing. Run with `node --expose-gc --import tsx bench/crl-parse.ts` for the memory column;
// SCEAU_BENCH_CRL_ENTRIES sets the sizes (default 5000,50000,200000).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList } from '@peculiar/asn1-x509'
import { checkCrl, parseCrl } from '../src/policy/crl.js'
import { opensslCrl, type OpensslCrlReason } from '../src/testing/openssl-crl.js'
import { createTestPki } from '../src/testing/pki.js'

const SIZES = (process.env.SCEAU_BENCH_CRL_ENTRIES ?? '5000,50000,200000').split(',').map(Number)
const REASONS: readonly (OpensslCrlReason | undefined)[] = [
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
  undefined,
  'certificateHold',
]
const gc = (globalThis as { gc?: () => void }).gc

function best(runs: number, run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY
  for (let index = 0; index < runs; index++) {
    const started = performance.now()
    run()
    fastest = Math.min(fastest, performance.now() - started)
  }
  return fastest
}

const pki = await createTestPki()
const dir = mkdtempSync(join(tmpdir(), 'sceau-bench-crl-'))
const leaf = pki.leaf('signature-rsa2048').certificate
console.log('| entries | CRL MB | parseCrl ms | heap MB kept | checkCrl ms (parsed CRL) | openssl crl ms | asn1-schema |')
console.log('|---|---|---|---|---|---|---|')
try {
  for (const count of SIZES) {
    const crl = opensslCrl({
      issuer: pki.intermediate,
      thisUpdate: pki.now,
      nextUpdate: new Date(pki.now.getTime() + 7 * 86_400_000),
      entries: Array.from({ length: count }, (_, index) => ({
        serial: (0x10000000 + index).toString(16),
        revokedAt: new Date(pki.now.getTime() - index * 1000),
        reason: REASONS[index % REASONS.length],
      })),
    })
    const file = join(dir, `${count}.crl`)
    writeFileSync(file, crl)
    const parseMs = best(3, () => parseCrl(crl))
    gc?.()
    const before = process.memoryUsage().heapUsed
    const parsed = parseCrl(crl)
    gc?.()
    const kept = gc === undefined ? Number.NaN : (process.memoryUsage().heapUsed - before) / 1e6
    const checkMs = best(3, () => checkCrl(leaf, pki.intermediate.certificate, [parsed], { at: pki.now }))
    const opensslMs = best(3, () => execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout']))
    let general: string
    try {
      const started = performance.now()
      AsnConvert.parse(crl, CertificateList)
      general = `${(performance.now() - started).toFixed(0)} ms`
    } catch (err) {
      general = `refused (${err instanceof Error ? err.message : String(err)})`
    }
    const cells = [
      count.toLocaleString('en'),
      (crl.length / 1e6).toFixed(1),
      parseMs.toFixed(0),
      Number.isNaN(kept) ? 'run with --expose-gc' : kept.toFixed(0),
      checkMs.toFixed(1),
      opensslMs.toFixed(0),
      general,
    ]
    console.log(`| ${cells.join(' | ')} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (the whole process, the test PKI included)`)
