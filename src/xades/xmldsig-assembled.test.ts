// What xmlsec1 1.2 cannot sign — RSA-PSS (with RFC 9231 parameters or the RFC 6931 MGF1 URIs), SHA-224 and SHA-3
// digests, ECDSA values of another length than 2 × the field size, ECKeyValue and DEREncodedKeyValue — assembled
// from tools nobody here wrote: xmllint canonicalises (exclusive C14N), openssl digests and signs. verifyXml must
// find them intact, and fail them once a byte of the signed object or of the signature value changes. What sceau
// cannot check (an RSA-PSS mask digest Node cannot use, an unknown method or transform) is INDETERMINATE.

import { execFileSync } from 'node:child_process'
import { createPrivateKey, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyXml, type XmlVerificationReport } from './verify.js'

const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const DSIG11 = 'http://www.w3.org/2009/xmldsig11#'
const MORE = 'http://www.w3.org/2001/04/xmldsig-more#'
const MORE_2007 = 'http://www.w3.org/2007/05/xmldsig-more#'
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const DIGESTS: Record<string, string> = {
  sha224: `${MORE}sha224`,
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  'sha3-256': `${MORE_2007}sha3-256`,
  'sha3-384': `${MORE_2007}sha3-384`,
  'sha3-512': `${MORE_2007}sha3-512`,
}
const OBJECT = `<Object xmlns="${DSIG}" Id="obj">Amount 1234 &amp; more</Object>`

let directory: string
const keys: Record<'rsa' | 'p256' | 'p384' | 'brainpool', string> = { rsa: '', p256: '', p384: '', brainpool: '' }

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'sceau-xmldsig-assembled-'))
  const make = (name: keyof typeof keys, args: string[]): void => {
    keys[name] = join(directory, `${name}.pem`)
    execFileSync('openssl', ['genpkey', ...args, '-out', keys[name]])
  }
  make('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'])
  make('p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])
  make('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'])
  make('brainpool', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'])
}, 60_000)

afterAll(() => rmSync(directory, { recursive: true, force: true }))

function file(name: string, content: string | Uint8Array): string {
  const path = join(directory, name)
  writeFileSync(path, content)
  return path
}

/** xmllint's exclusive canonical form of a standalone element (comments kept; there are none). */
function excC14n(xml: string): Buffer {
  return execFileSync('xmllint', ['--exc-c14n', file('c14n.xml', xml)])
}

function opensslDigest(algorithm: string, data: Uint8Array): string {
  return execFileSync('openssl', ['dgst', `-${algorithm}`, '-binary', file('data.bin', data)]).toString('base64')
}

function opensslSign(key: string, algorithm: string, data: Uint8Array, options: string[] = []): Buffer {
  const sigopt = options.flatMap((option) => ['-sigopt', option])
  return execFileSync('openssl', ['dgst', `-${algorithm}`, '-sign', key, ...sigopt, file('tbs.bin', data)])
}

/** The DER SubjectPublicKeyInfo of a key file. */
function spki(key: string): Buffer {
  return execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER'])
}

/** r and s of an ECDSA DER signature, as unsigned big-endian integers without leading zeros. */
function ecdsaIntegers(der: Buffer): [Buffer, Buffer] {
  let at = 2 + (der[1] === 0x81 ? 1 : 0)
  const read = (): Buffer => {
    const length = der[at + 1] as number
    const value = der.subarray(at + 2, at + 2 + length)
    at += 2 + length
    let start = 0
    while (start < value.length - 1 && value[start] === 0) start++
    return value.subarray(start)
  }
  return [read(), read()]
}

interface Assembly {
  readonly key: string
  readonly method: string
  readonly methodInner?: string
  /** openssl dgst digest name and -sigopt options. */
  readonly sign: { readonly digest: string; readonly options?: string[] }
  readonly referenceDigest?: string
  /** The Reference's transform; exclusive C14N by default. */
  readonly transform?: string
  readonly keyInfo: string
  /** Rewrites the signature value before it is written (ECDSA encodings). */
  readonly value?: (signature: Buffer) => Buffer
}

function assemble(assembly: Assembly): string {
  const digestName = assembly.referenceDigest ?? 'sha256'
  const digest = opensslDigest(digestName, excC14n(OBJECT))
  const signedInfo =
    `<SignedInfo xmlns="${DSIG}"><CanonicalizationMethod Algorithm="${EXC}"/>` +
    `<SignatureMethod Algorithm="${assembly.method}">${assembly.methodInner ?? ''}</SignatureMethod>` +
    `<Reference URI="#obj"><Transforms><Transform Algorithm="${assembly.transform ?? EXC}"/></Transforms>` +
    `<DigestMethod Algorithm="${DIGESTS[digestName]}"/><DigestValue>${digest}</DigestValue></Reference></SignedInfo>`
  const raw = opensslSign(assembly.key, assembly.sign.digest, excC14n(signedInfo), assembly.sign.options)
  const value = (assembly.value ?? ((signature: Buffer) => signature))(raw).toString('base64')
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Signature xmlns="${DSIG}">${signedInfo.replace(` xmlns="${DSIG}"`, '')}` +
    `<SignatureValue>${value}</SignatureValue><KeyInfo>${assembly.keyInfo}</KeyInfo>${OBJECT.replace(` xmlns="${DSIG}"`, '')}</Signature>`
  )
}

const derKeyValue = (key: string): string =>
  `<dsig11:DEREncodedKeyValue xmlns:dsig11="${DSIG11}">${spki(key).toString('base64')}</dsig11:DEREncodedKeyValue>`

function ecKeyValue(key: string, curveOid: string, size: number): string {
  // The uncompressed point closes a named-curve SPKI: 04 ‖ x ‖ y.
  const point = spki(key).subarray(-(1 + 2 * size))
  return (
    `<KeyValue><dsig11:ECKeyValue xmlns:dsig11="${DSIG11}"><dsig11:NamedCurve URI="urn:oid:${curveOid}"/>` +
    `<dsig11:PublicKey>${point.toString('base64')}</dsig11:PublicKey></dsig11:ECKeyValue></KeyValue>`
  )
}

function p1363(
  size: number,
  pad: (integer: Buffer) => Buffer = (integer) => Buffer.concat([Buffer.alloc(size - integer.length), integer]),
) {
  return (der: Buffer): Buffer => {
    const [r, s] = ecdsaIntegers(der)
    return Buffer.concat([pad(r), pad(s)])
  }
}

async function judge(xml: string): Promise<XmlVerificationReport> {
  return verifyXml(Buffer.from(xml, 'utf8'), { revocation: { waive: true } })
}

function checksOf(report: XmlVerificationReport, id: string): string[] {
  return (report.signatures[0]?.checks ?? []).filter((check) => check.id === id).map((check) => check.status)
}

/** Intact: the Reference and the value verify, the only open question is who holds the key. */
async function expectIntactThenBroken(xml: string): Promise<void> {
  const report = await judge(xml)
  expect(checksOf(report, 'xmldsig.reference'), JSON.stringify(report.signatures[0]?.checks)).toEqual(['pass'])
  expect(checksOf(report, 'xmldsig.signature-value'), JSON.stringify(report.signatures[0]?.checks)).toEqual(['pass'])
  expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' })
  const object = await judge(xml.replace('Amount 1234', 'Amount 1235'))
  expect(object).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })
  const value = xml.replace(/<SignatureValue>(.)/, (_, first: string) => `<SignatureValue>${first === 'A' ? 'B' : 'A'}`)
  expect(await judge(value)).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' })
}

describe('RSA-PSS, SHA-3 and key values from xmllint + openssl', () => {
  it('rsa-pss with RSAPSSParams (SHA-384, salt 48, MGF1 SHA-384), key as DEREncodedKeyValue', async () => {
    const params =
      `<pss:RSAPSSParams xmlns:pss="${MORE_2007}"><DigestMethod Algorithm="${MORE}sha384"/>` +
      `<pss:MaskGenerationFunction Algorithm="${MORE_2007}MGF1"><DigestMethod Algorithm="${MORE}sha384"/></pss:MaskGenerationFunction>` +
      `<pss:SaltLength>48</pss:SaltLength><pss:TrailerField>1</pss:TrailerField></pss:RSAPSSParams>`
    await expectIntactThenBroken(
      assemble({
        key: keys.rsa,
        method: `${MORE_2007}rsa-pss`,
        methodInner: params,
        sign: { digest: 'sha384', options: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:48', 'rsa_mgf1_md:sha384'] },
        keyInfo: derKeyValue(keys.rsa),
      }),
    )
  })

  it('rsa-pss without parameters: SHA-256, salt 32', async () => {
    await expectIntactThenBroken(
      assemble({
        key: keys.rsa,
        method: `${MORE_2007}rsa-pss`,
        sign: { digest: 'sha256', options: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:32'] },
        keyInfo: derKeyValue(keys.rsa),
      }),
    )
  })

  for (const [uri, digest] of [
    ['sha256-rsa-MGF1', 'sha256'],
    ['sha512-rsa-MGF1', 'sha512'],
    ['sha3-256-rsa-MGF1', 'sha3-256'],
  ] as const) {
    it(`${uri}, Reference digest SHA3-512`, async () => {
      await expectIntactThenBroken(
        assemble({
          key: keys.rsa,
          method: `${MORE_2007}${uri}`,
          sign: { digest, options: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] },
          referenceDigest: 'sha3-512',
          keyInfo: derKeyValue(keys.rsa),
        }),
      )
    })
  }

  for (const digest of ['sha224', 'sha3-256', 'sha3-384']) {
    it(`rsa-sha256 over a Reference digested with ${digest.toUpperCase()}`, async () => {
      await expectIntactThenBroken(
        assemble({
          key: keys.rsa,
          method: `${MORE}rsa-sha256`,
          sign: { digest: 'sha256' },
          referenceDigest: digest,
          keyInfo: derKeyValue(keys.rsa),
        }),
      )
    })
  }

  it('ECDSA P-384 with the key as dsig11:ECKeyValue', async () => {
    await expectIntactThenBroken(
      assemble({
        key: keys.p384,
        method: `${MORE}ecdsa-sha384`,
        sign: { digest: 'sha384' },
        keyInfo: ecKeyValue(keys.p384, '1.3.132.0.34', 48),
        value: p1363(48),
      }),
    )
  })

  it('ECDSA brainpoolP256r1 with the key as dsig11:ECKeyValue (curve named by OID)', async () => {
    await expectIntactThenBroken(
      assemble({
        key: keys.brainpool,
        method: `${MORE}ecdsa-sha256`,
        sign: { digest: 'sha256' },
        keyInfo: ecKeyValue(keys.brainpool, '1.3.36.3.3.2.8.1.1.7', 32),
        value: p1363(32),
      }),
    )
  })
})

describe('ECDSA values that are not 2 × the field size are read, not refused', () => {
  it('r and s each zero-padded to 33 bytes (66 for P-256)', async () => {
    const xml = assemble({
      key: keys.p256,
      method: `${MORE}ecdsa-sha256`,
      sign: { digest: 'sha256' },
      keyInfo: derKeyValue(keys.p256),
      value: p1363(33),
    })
    await expectIntactThenBroken(xml)
    expect(Buffer.from(/<SignatureValue>([^<]*)/.exec(xml)?.[1] ?? '', 'base64')).toHaveLength(66)
  })

  it('r or s with its leading zero byte stripped (the Java encoder bug): 63 bytes for P-256', async () => {
    // ECDSA is randomised: sign until r or s is shorter than 32 bytes (2 signatures in 256 on average). Node signs
    // here, in-process, for speed; what is tested is the reading of the short value.
    const xml = assemble({ key: keys.p256, method: `${MORE}ecdsa-sha256`, sign: { digest: 'sha256' }, keyInfo: derKeyValue(keys.p256) })
    const signedInfo = excC14n(`<SignedInfo xmlns="${DSIG}">${/<SignedInfo>([^]*)<\/SignedInfo>/.exec(xml)?.[1] ?? ''}</SignedInfo>`)
    const key = createPrivateKey(readFileSync(keys.p256))
    let short: Buffer | undefined
    for (let attempt = 0; attempt < 20000 && short === undefined; attempt++) {
      const value = Buffer.concat(ecdsaIntegers(sign('sha256', signedInfo, key)))
      if (value.length < 64) short = value
    }
    if (short === undefined) throw new Error('no short r or s in 20000 signatures')
    await expectIntactThenBroken(xml.replace(/<SignatureValue>[^<]*/, `<SignatureValue>${short.toString('base64')}`))
  })
})

describe('what sceau cannot check is INDETERMINATE, never a failure', () => {
  it('RSA-PSS with an MGF1 digest other than the message digest (Node cannot): CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const params =
      `<pss:RSAPSSParams xmlns:pss="${MORE_2007}"><DigestMethod Algorithm="${MORE}sha384"/>` +
      `<pss:MaskGenerationFunction Algorithm="${MORE_2007}MGF1"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></pss:MaskGenerationFunction>` +
      `<pss:SaltLength>48</pss:SaltLength></pss:RSAPSSParams>`
    const report = await judge(
      assemble({
        key: keys.rsa,
        method: `${MORE_2007}rsa-pss`,
        methodInner: params,
        sign: { digest: 'sha384', options: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:48', 'rsa_mgf1_md:sha256'] },
        keyInfo: derKeyValue(keys.rsa),
      }),
    )
    expect(report.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({ id: 'xmldsig.signature-value', status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' }),
    )
    expect(report.indication).toBe('INDETERMINATE')
  })

  it('an unknown SignatureMethod (HMAC) and an unknown transform (XSLT)', async () => {
    const xml = assemble({ key: keys.rsa, method: `${MORE}rsa-sha256`, sign: { digest: 'sha256' }, keyInfo: derKeyValue(keys.rsa) })
    const hmac = await judge(xml.replace(`${MORE}rsa-sha256`, `${MORE}hmac-sha256`))
    expect(hmac.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({ id: 'xmldsig.signature-value', status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' }),
    )
    expect(hmac.indication).toBe('INDETERMINATE')
    const xslt = await judge(
      assemble({
        key: keys.rsa,
        method: `${MORE}rsa-sha256`,
        sign: { digest: 'sha256' },
        transform: 'http://www.w3.org/TR/1999/REC-xslt-19991116',
        keyInfo: derKeyValue(keys.rsa),
      }),
    )
    expect(xslt.signatures[0]?.checks).toContainEqual(
      expect.objectContaining({ id: 'xmldsig.reference', status: 'indeterminate', subIndication: 'SIG_CONSTRAINTS_FAILURE' }),
    )
    expect(xslt.signatures[0]?.checks).toContainEqual(expect.objectContaining({ id: 'xmldsig.signature-value', status: 'pass' }))
    expect(xslt.indication).toBe('INDETERMINATE')
  })
})
