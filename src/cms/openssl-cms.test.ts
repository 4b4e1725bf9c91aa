import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpensslCa, run, type OpensslCredential } from '../testing/openssl-ca.js'
import { spawnSync } from 'node:child_process'
import { joinSignedData } from './signed-data.js'
import { parseCms, verifyCms, type CmsCheck, type VerifyCmsOptions } from './index.js'

// CMS signatures made by `openssl cms -sign` with every algorithm and option sceau must read, checked by
// `openssl cms -verify` first, then by sceau; one changed byte of content must make both reject.

let dir: string
let ca: OpensslCa
const keys = new Map<string, OpensslCredential>()

const KEYS: Record<string, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  // A modulus of 8n+1 bits: RSASSA-PSS then encodes into one octet less than the modulus (RFC 8017 §9.1.1).
  // OpenSSL makes a two-prime modulus one bit short of an odd size; three primes reach it.
  rsa2049: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2049', '-pkeyopt', 'rsa_keygen_primes:3'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  brainpool256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'],
  brainpool384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP384r1'],
  brainpool512: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP512r1'],
  dsa: ['-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-pkeyopt', 'dsa_paramgen_q_bits:256'],
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-openssl-cms-'))
  ca = OpensslCa.create(join(dir, 'ca'))
  for (const [name, key] of Object.entries(KEYS)) {
    // DSA keys need their parameters first.
    if (name === 'dsa') {
      const params = join(dir, 'dsa.params')
      run('openssl', ['genpkey', '-genparam', ...key, '-out', params])
      keys.set(name, ca.issue(name, { key: ['-paramfile', params] }))
    } else keys.set(name, ca.issue(name, { key }))
  }
}, 120_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

interface Case {
  readonly name: string
  readonly key?: string
  readonly options?: readonly string[]
  readonly enveloping?: boolean
  /** The status sceau gives the ESS signing-certificate check (default: none written, so indeterminate). */
  readonly ess?: CmsCheck['status']
  /** What sceau reads as the digest and signature algorithm. */
  readonly digest?: string
  readonly scheme?: string
}

const cases: Case[] = [
  ...['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-224', 'sha512-256', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512'].map(
    (md): Case => ({ name: `RSA PKCS#1 v1.5 with ${md}`, options: ['-md', md], digest: md }),
  ),
  { name: 'ESS signing-certificate v1 (-cades -md sha1)', options: ['-cades', '-md', 'sha1'], ess: 'pass', digest: 'sha1' },
  {
    name: 'ESS signing-certificate-v2 with SHA-512 (-cades -md sha512)',
    options: ['-cades', '-md', 'sha512'],
    ess: 'pass',
    digest: 'sha512',
  },
  { name: 'no signed attributes, RSA, detached', options: ['-noattr'] },
  { name: 'no signed attributes, RSA, enveloping', options: ['-noattr'], enveloping: true },
  { name: 'no signed attributes, RSA SHA-1', options: ['-noattr', '-md', 'sha1'], digest: 'sha1' },
  { name: 'no signed attributes, ECDSA P-256', key: 'p256', options: ['-noattr'] },
  { name: 'no signed attributes, DSA', key: 'dsa', options: ['-noattr'] },
  { name: 'no signed attributes, RSA-PSS', options: ['-noattr', '-keyopt', 'rsa_padding_mode:pss'], scheme: 'RSASSA-PSS' },
  { name: 'RSA-PSS, MGF1 with SHA-256', options: ['-keyopt', 'rsa_padding_mode:pss'], scheme: 'RSASSA-PSS' },
  {
    name: 'RSA-PSS with SHA-256, MGF1 with SHA-1, 20 bytes of salt',
    options: ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_mgf1_md:sha1', '-keyopt', 'rsa_pss_saltlen:20'],
    scheme: 'RSASSA-PSS',
  },
  {
    name: 'RSA-PSS with SHA-512, MGF1 with SHA-256, maximal salt',
    options: ['-md', 'sha512', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_mgf1_md:sha256', '-keyopt', 'rsa_pss_saltlen:max'],
    scheme: 'RSASSA-PSS',
  },
  {
    name: 'RSA-PSS with SHA-384 on a 2049-bit key',
    key: 'rsa2049',
    options: ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss'],
    scheme: 'RSASSA-PSS',
  },
  { name: 'ECDSA P-256 with SHA-1', key: 'p256', options: ['-md', 'sha1'], scheme: 'ECDSA' },
  { name: 'ECDSA P-384', key: 'p384', options: ['-md', 'sha384'], scheme: 'ECDSA' },
  { name: 'ECDSA P-521', key: 'p521', options: ['-md', 'sha512'], scheme: 'ECDSA' },
  { name: 'ECDSA brainpoolP256r1', key: 'brainpool256', scheme: 'ECDSA' },
  { name: 'ECDSA brainpoolP384r1', key: 'brainpool384', options: ['-md', 'sha384'], scheme: 'ECDSA' },
  { name: 'ECDSA brainpoolP512r1', key: 'brainpool512', options: ['-md', 'sha512'], scheme: 'ECDSA' },
  { name: 'DSA 2048 with SHA-256', key: 'dsa', scheme: 'DSA' },
  { name: 'eContentType other than id-data', options: ['-econtent_type', '1.2.840.113549.1.9.16.1.31'], enveloping: true },
  { name: 'BER: indefinite lengths and a chunked eContent (-stream)', options: ['-stream'], enveloping: true },
]

const SCEAU_DIGESTS: Record<string, string> = {
  sha1: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
  'sha512-224': 'SHA-512/224',
  'sha512-256': 'SHA-512/256',
  'sha3-224': 'SHA3-224',
  'sha3-256': 'SHA3-256',
  'sha3-384': 'SHA3-384',
  'sha3-512': 'SHA3-512',
}

function opensslSign(test: Case, content: string, out: string): Uint8Array {
  const key = keys.get(test.key ?? 'rsa') as OpensslCredential
  run('openssl', [
    ...['cms', '-sign', '-binary', '-in', content, '-signer', key.cert, '-inkey', key.key, '-outform', 'DER', '-out', out],
    ...(test.enveloping === true ? ['-nodetach'] : []),
    ...(test.options ?? []),
  ])
  return new Uint8Array(readFileSync(out))
}

function opensslVerifies(signature: Uint8Array, content: Uint8Array | undefined, name: string): boolean {
  const sig = join(dir, `${name}.verify.der`)
  writeFileSync(sig, signature)
  const args = [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    sig,
    '-CAfile',
    ca.credential.cert,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]
  if (content !== undefined) {
    writeFileSync(join(dir, `${name}.verify.bin`), content)
    args.push('-content', join(dir, `${name}.verify.bin`))
  }
  return spawnSync('openssl', args).status === 0
}

function statuses(der: Uint8Array, options: VerifyCmsOptions): Record<string, string> {
  return Object.fromEntries(verifyCms(der, options).checks.map((check) => [check.id, check.status]))
}

describe('CMS made by openssl cms -sign, verified by openssl cms -verify, then by sceau', () => {
  it.each(cases.map((test, index) => [test.name, test, index] as const))('%s', (_name, test, index) => {
    const contentBytes = new Uint8Array(Buffer.from(`Invoice ${index}: amount due 1234 EUR\n${randomBytes(64).toString('hex')}`))
    const contentFile = join(dir, `case-${index}.txt`)
    writeFileSync(contentFile, contentBytes)
    const der = opensslSign(test, contentFile, join(dir, `case-${index}.der`))
    const detached = test.enveloping === true ? undefined : contentBytes
    expect(opensslVerifies(der, detached, `case-${index}`)).toBe(true)

    const cms = parseCms(der)
    const content = detached ?? (cms.content as Uint8Array)
    expect(content).toEqual(contentBytes)
    const md = test.options?.[test.options.indexOf('-md') + 1]
    expect(cms.signer.digestAlgorithm).toBe(
      SCEAU_DIGESTS[test.digest ?? (md !== undefined && test.options?.includes('-md') ? md : 'sha256')],
    )
    if (test.scheme !== undefined) expect(cms.signer.signatureAlgorithm.scheme).toBe(test.scheme)
    const expected = {
      'message-digest': 'pass',
      signature: 'pass',
      'signing-certificate': test.ess ?? 'indeterminate',
      'content-type': 'pass',
    }
    expect(statuses(der, { content })).toEqual(expected)

    // One byte of signed content changed: both reject.
    const tamperedContent = Uint8Array.from(contentBytes)
    tamperedContent[contentBytes.indexOf(0x31)] = 0x32
    const noAttributes = test.options?.includes('-noattr') === true
    if (test.enveloping === true) {
      const tampered = Uint8Array.from(der)
      const at = Buffer.from(der).indexOf(Buffer.from(contentBytes.subarray(0, 16)))
      expect(at).toBeGreaterThan(0)
      tampered[at + contentBytes.indexOf(0x31)] = 0x32
      expect(opensslVerifies(tampered, undefined, `case-${index}-tampered`)).toBe(false)
      const tamperedCms = parseCms(tampered)
      expect(statuses(tampered, { content: tamperedCms.content as Uint8Array })).toMatchObject(
        noAttributes ? { signature: 'fail' } : { 'message-digest': 'fail' },
      )
    } else {
      expect(opensslVerifies(der, tamperedContent, `case-${index}-tampered`)).toBe(false)
      expect(statuses(der, { content: tamperedContent })).toMatchObject(noAttributes ? { signature: 'fail' } : { 'message-digest': 'fail' })
    }
  })

  it('checks a SignerInfo without signed attributes against the content digest alone when it is RSA', () => {
    const contentFile = join(dir, 'digest-only.txt')
    writeFileSync(contentFile, 'signed over its digest\n')
    const der = opensslSign({ name: 'digest only', options: ['-noattr', '-md', 'sha384'] }, contentFile, join(dir, 'digest-only.der'))
    const digest = new Uint8Array(run('openssl', ['dgst', '-sha384', '-binary', contentFile]))
    const verification = verifyCms(der, { contentDigest: digest })
    expect(verification.checks.find((check) => check.id === 'signature')).toMatchObject({ status: 'pass' })
    // No signed attributes: nothing binds the signer certificate (a CAdES requirement, not a broken signature).
    expect(verification.checks.find((check) => check.id === 'signing-certificate')).toMatchObject({
      status: 'indeterminate',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    })
  })

  it('says an ECDSA SignerInfo without signed attributes needs the content itself, not its digest', () => {
    const contentFile = join(dir, 'ecdsa-digest-only.txt')
    writeFileSync(contentFile, 'signed over itself\n')
    const der = opensslSign({ name: 'ecdsa', key: 'p256', options: ['-noattr'] }, contentFile, join(dir, 'ecdsa-digest-only.der'))
    const digest = new Uint8Array(run('openssl', ['dgst', '-sha256', '-binary', contentFile]))
    expect(verifyCms(der, { contentDigest: digest }).checks.find((check) => check.id === 'signature')).toMatchObject({
      status: 'indeterminate',
      subIndication: 'SIGNED_DATA_NOT_FOUND',
    })
    expect(verifyCms(der, { contentNotFound: true }).checks.find((check) => check.id === 'message-digest')).toMatchObject({
      status: 'indeterminate',
      subIndication: 'SIGNED_DATA_NOT_FOUND',
    })
  })

  it('refuses a SignerInfo without signed attributes over a content that is not id-data (RFC 5652 §5.3)', () => {
    const contentFile = join(dir, 'not-data.txt')
    writeFileSync(contentFile, 'typed content\n')
    const der = opensslSign(
      { name: 'typed', options: ['-noattr', '-econtent_type', '1.2.840.113549.1.9.16.1.31'], enveloping: true },
      contentFile,
      join(dir, 'not-data.der'),
    )
    const cms = parseCms(der)
    expect(verifyCms(der, { content: cms.content as Uint8Array }).checks.find((check) => check.id === 'content-type')).toMatchObject({
      status: 'fail',
      subIndication: 'FORMAT_FAILURE',
    })
  })

  it('tells an empty encapsulated content from none (a PDF signature must carry none)', () => {
    const empty = join(dir, 'empty.txt')
    writeFileSync(empty, '')
    const enveloping = parseCms(opensslSign({ name: 'empty', enveloping: true }, empty, join(dir, 'empty-enveloping.der')))
    expect(enveloping.content).toEqual(new Uint8Array(0))
    expect(parseCms(opensslSign({ name: 'empty' }, empty, join(dir, 'empty-detached.der'))).content).toBeUndefined()
  })

  it('reads a SignedData carrying a CRL of 20,000 entries made by openssl ca -gencrl, and verifies it', () => {
    const contentFile = join(dir, 'with-crl.txt')
    writeFileSync(contentFile, 'B-LT with a big CRL\n')
    const der = opensslSign({ name: 'with CRL', options: ['-cades'] }, contentFile, join(dir, 'with-crl.der'))
    const crl = ca.crl(20_000)
    expect(crl.length).toBeGreaterThan(500_000)
    // The CRL goes in the unsigned crls field, as CAdES B-LT puts it; every signature stays as it was.
    const withCrl = joinSignedData({ ...parseCms(der).parts, crls: [crl] })
    expect(opensslVerifies(withCrl, new Uint8Array(readFileSync(contentFile)), 'with-crl')).toBe(true)
    const cms = parseCms(withCrl)
    expect(cms.crls).toHaveLength(1)
    expect(cms.crls[0]).toEqual(crl)
    expect(statuses(withCrl, { content: new Uint8Array(readFileSync(contentFile)) })).toEqual({
      'message-digest': 'pass',
      signature: 'pass',
      'signing-certificate': 'pass',
      'content-type': 'pass',
    })
  })
})
