import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpensslCa, run, type OpensslCredential } from '../testing/openssl-ca.js'
import { verifyCades } from './verify-cades.js'

// Detached CMS signatures made by `openssl cms -sign`, given to verifyCades with their content beside them under
// every name such files have, and without it: what sceau cannot see it says it did not find.

let dir: string
let ca: OpensslCa
let rsa: OpensslCredential
let ec: OpensslCredential
const content = 'Bordereau 2026-0042\n'

function sign(out: string, signer: OpensslCredential, options: readonly string[] = []): void {
  run('openssl', [
    ...['cms', '-sign', '-binary', '-in', join(dir, 'content.txt'), '-signer', signer.cert, '-inkey', signer.key],
    ...['-outform', 'DER', '-out', out, ...options],
  ])
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-cades-content-'))
  ca = OpensslCa.create(join(dir, 'ca'))
  rsa = ca.issue('rsa')
  ec = ca.issue('ec', { key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] })
  writeFileSync(join(dir, 'content.txt'), content)
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const trust = () => ({ anchors: [ca.credential.der], profile: 'none' as const, revocation: { fetchCrls: false } })
const check = (report: Awaited<ReturnType<typeof verifyCades>>, id: string) => report.signatures[0]?.checks.find((each) => each.id === id)

describe('verifyCades and the content of a detached signature', () => {
  it.each(['p7s', 'p7m', 'pkcs7', 'sig'])('finds the content beside a .%s and checks it', async (extension) => {
    const folder = join(dir, `beside-${extension}`)
    mkdirSync(folder)
    copyFileSync(join(dir, 'content.txt'), join(folder, 'bordereau.xml'))
    sign(join(folder, `bordereau.xml.${extension}`), rsa, ['-cades'])
    const report = await verifyCades(join(folder, `bordereau.xml.${extension}`), trust())
    expect(report.content).toBe(join(folder, 'bordereau.xml'))
    expect(check(report, 'cms.message-digest')).toMatchObject({ status: 'pass' })

    writeFileSync(join(folder, 'bordereau.xml'), content.replace('42', '43'))
    expect(check(await verifyCades(join(folder, `bordereau.xml.${extension}`), trust()), 'cms.message-digest')).toMatchObject({
      status: 'fail',
      subIndication: 'HASH_FAILURE',
    })
  })

  it.each(['p7s', 'p7m', 'pkcs7', 'sig'])('says SIGNED_DATA_NOT_FOUND for a .%s with no content anywhere', async (extension) => {
    const folder = join(dir, `alone-${extension}`)
    mkdirSync(folder)
    sign(join(folder, `bordereau.xml.${extension}`), rsa, ['-cades'])
    const report = await verifyCades(join(folder, `bordereau.xml.${extension}`), trust())
    expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND', content: '(content not found)' })
    // What can be checked without the content still is.
    expect(check(report, 'cms.signature')).toMatchObject({ status: 'pass' })
  })

  it('verifies a signature without signed attributes: RSA over the digest, ECDSA over the content streamed once', async () => {
    sign(join(dir, 'noattr-rsa.p7s'), rsa, ['-noattr'])
    sign(join(dir, 'noattr-ec.p7s'), ec, ['-noattr'])
    for (const file of ['noattr-rsa.p7s', 'noattr-ec.p7s']) {
      const report = await verifyCades(join(dir, file), { ...trust(), content: join(dir, 'content.txt') })
      expect(check(report, 'cms.signature')).toMatchObject({ status: 'pass' })
      // CAdES baseline wants ESS signing-certificate, which only signed attributes can carry.
      expect(check(report, 'cms.signing-certificate')).toMatchObject({ status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE' })
      expect(report.subIndication).not.toBe('HASH_FAILURE')
    }
    writeFileSync(join(dir, 'other.txt'), content.replace('42', '43'))
    const tampered = await verifyCades(join(dir, 'noattr-ec.p7s'), { ...trust(), content: join(dir, 'other.txt') })
    expect(tampered).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' })
  })
})
