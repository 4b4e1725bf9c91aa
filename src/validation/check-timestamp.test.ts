import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tlv, TAG } from '../cms/der-encode.js'
import { OpensslCa, run } from '../testing/openssl-ca.js'
import { readTimestampToken, verifyTimestampToken } from '../timestamp/rfc3161.js'
import type { Check } from '../verdicts.js'
import { checkTimestamp } from './check-timestamp.js'

// Time-stamp tokens made by `openssl ts -reply`, with SHA-1 (imprint, signer digest and ESS signing-certificate v1)
// as many TSAs still make them, and with SHA-256.

let dir: string
let ca: OpensslCa
let crl: Uint8Array
const covered = new Uint8Array(Buffer.from('the signature value being time-stamped'))

function token(digest: 'sha1' | 'sha256'): Uint8Array {
  const cnf = join(dir, `tsa-${digest}.cnf`)
  writeFileSync(
    cnf,
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${join(dir, 'tsa-serial')}`,
      `signer_cert = ${join(dir, 'ca', 'tsa.pem')}`,
      `signer_key = ${join(dir, 'ca', 'tsa.key')}`,
      `signer_digest = ${digest}`,
      'default_policy = 1.2.3.4.1',
      'digests = sha1, sha256',
      `ess_cert_id_alg = ${digest}`,
      '',
    ].join('\n'),
  )
  const query = join(dir, `query-${digest}.tsq`)
  const out = join(dir, `token-${digest}.der`)
  run('openssl', ['ts', '-query', '-data', join(dir, 'covered.bin'), `-${digest}`, '-cert', '-out', query])
  run('openssl', ['ts', '-reply', '-config', cnf, '-queryfile', query, '-token_out', '-out', out])
  return new Uint8Array(readFileSync(out))
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-check-timestamp-'))
  writeFileSync(join(dir, 'covered.bin'), covered)
  writeFileSync(join(dir, 'tsa-serial'), '01\n')
  ca = OpensslCa.create(join(dir, 'ca'))
  ca.issue('tsa', { profile: 'tsa' })
  crl = ca.crl(0)
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const options = (): Parameters<typeof checkTimestamp>[2] => ({
  anchors: [ca.credential.der],
  revocation: { crls: [crl], fetchCrls: false },
})

describe('checkTimestamp on tokens made by openssl ts', () => {
  it('reads and verifies a SHA-1 token, and finds that it proves no time now that SHA-1 is past its end date', async () => {
    const sha1 = token('sha1')
    expect(readTimestampToken(sha1).messageImprint.hash).toBe('SHA-1')
    const verification = verifyTimestampToken(sha1, covered)
    expect(verification.map((check) => [check.id, check.status])).toEqual([
      ['message-imprint', 'pass'],
      ['content-type', 'pass'],
      ['message-digest', 'pass'],
      ['signature', 'pass'],
      ['signing-certificate', 'pass'],
      ['tsa-certificate', 'pass'],
    ])

    const checks: Check[] = []
    expect(await checkTimestamp(sha1, covered, options(), checks, 'signature')).toBeUndefined()
    expect(checks).toEqual([
      expect.objectContaining({
        id: 'timestamp',
        status: 'warning',
        reason: expect.stringContaining('SHA-1 is acceptable until 2012-08-01') as unknown,
      }),
    ])
    const documentChecks: Check[] = []
    await checkTimestamp(sha1, covered, options(), documentChecks, 'document')
    expect(documentChecks[0]).toMatchObject({ status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE' })
  })

  it('proves the time of a SHA-256 token, also when it is wrapped in an OCTET STRING, and refuses another imprint', async () => {
    const sha256 = token('sha256')
    const checks: Check[] = []
    const proven = await checkTimestamp(sha256, covered, options(), checks, 'signature')
    expect(proven).toEqual(readTimestampToken(sha256).genTime)
    expect(checks).toEqual([expect.objectContaining({ id: 'timestamp', status: 'pass' })])

    const wrapped: Check[] = []
    expect(await checkTimestamp(tlv(TAG.octetString, sha256), covered, options(), wrapped, 'signature')).toEqual(proven)
    expect(wrapped.map((check) => [check.id, check.status])).toEqual([
      ['timestamp.encoding', 'warning'],
      ['timestamp', 'pass'],
    ])

    const other: Check[] = []
    await checkTimestamp(sha256, new Uint8Array(Buffer.from('another value')), options(), other, 'document')
    expect(other[0]).toMatchObject({ status: 'fail', subIndication: 'HASH_FAILURE' })
  })
})
