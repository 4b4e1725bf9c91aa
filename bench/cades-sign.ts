// Signing a big file as a detached CAdES signature should cost the time of hashing it, and as an enveloping one the
// time of hashing it plus copying it. Compares, in the same run, `sha256sum` and `cp` on the file with sceau's
// `signCadesFile` (streamed SHA-256, then one signature with a software key) and `signCadesEnvelopingFile`.
//
//   npx tsx bench/cades-sign.ts [--mb 1024]
import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signCadesEnvelopingFile, signCadesFile } from '../src/cades/sign-cades.js'
import { KeySigner } from '../src/signer/key-signer.js'
import { createTestPki } from '../src/testing/pki.js'
import { option } from './child-process.js'

const megabytes = Number(option('--mb') ?? 1024)
const dir = mkdtempSync(join(tmpdir(), 'sceau-cades-bench-'))
try {
  const file = join(dir, 'offre.zip')
  // Incompressible content, written 8 MiB at a time (the same block repeated: hashing does not care).
  const block = randomBytes(8 * 1024 * 1024)
  const fd = openSync(file, 'w')
  for (let written = 0; written < megabytes * 1024 * 1024; written += block.length) writeSync(fd, block)
  closeSync(fd)
  const pki = await createTestPki()
  const leaf = pki.leaf('signature-rsa2048')
  const signer = KeySigner.fromPkcs8({ key: leaf.privateKey, certificate: leaf.certificate })

  const rows: [string, number][] = []
  for (let run = 0; run < 2; run++) {
    let started = performance.now()
    execFileSync('sha256sum', [file])
    rows.push(['sha256sum', (performance.now() - started) / 1000])
    started = performance.now()
    await signCadesFile(file, signer)
    rows.push(['sceau signCadesFile', (performance.now() - started) / 1000])
    started = performance.now()
    // cp then fsync, since sceau's enveloping output is fsynced before its rename.
    execFileSync('sh', ['-c', `cp "${file}" "${file}.copy" && sync "${file}.copy"`])
    rows.push(['cp + sync', (performance.now() - started) / 1000])
    rmSync(`${file}.copy`)
    started = performance.now()
    await signCadesEnvelopingFile(file, `${file}.p7m`, signer)
    rows.push(['sceau enveloping .p7m', (performance.now() - started) / 1000])
    rmSync(`${file}.p7m`)
  }
  const best = (name: string): number => Math.min(...rows.filter(([tool]) => tool === name).map(([, seconds]) => seconds))
  const baseline = best('sha256sum')
  console.log(`file: ${megabytes} MiB (page cache warm after the first run; best of 2)`)
  for (const name of ['sha256sum', 'sceau signCadesFile', 'cp + sync', 'sceau enveloping .p7m']) {
    const seconds = best(name)
    console.log(
      `${name.padEnd(22)} ${seconds.toFixed(2).padStart(7)} s  ${(megabytes / seconds).toFixed(0).padStart(5)} MiB/s  ${(seconds / baseline).toFixed(2)}x`,
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
