import { createHmac, createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { SceauError } from '../errors.js'
import { bmpPassword, pkcs12Kdf } from './pkcs12-kdf.js'
import { PKCS12_MAX_INPUT_BYTES, readPkcs12, type ReadPkcs12Options } from './pkcs12.js'

const FIXTURES = new URL('../../fixtures/pkcs12/', import.meta.url)
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)))
const certificateDer = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(fixture(pem)).raw)

const PASSWORD = 'sceau-test'
const NON_ASCII = 'clé-€'
const RSA_KEY = fixture('keys/rsa.p8.der')
const EC_KEY = fixture('keys/ec.p8.der')
const RSA_CERT = certificateDer('keys/rsa.crt.pem')
const EC_CERT = certificateDer('keys/ec.crt.pem')
const INTER_CERT = certificateDer('keys/inter.crt.pem')
const ROOT_CERT = certificateDer('keys/root.crt.pem')

async function failure(promise: Promise<unknown>): Promise<SceauError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(SceauError)
    return err as SceauError
  }
  throw new Error('expected a SceauError, got a result')
}

// ---- a small DER writer, to build the files OpenSSL's command line cannot make ----

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts)
  const n = body.length
  const length =
    n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...length]), body]))
}
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts)
const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, ...parts)
const octets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes)
const explicit0 = (...parts: Uint8Array[]): Uint8Array => tlv(0xa0, ...parts)
const bmp = (text: string): Uint8Array => tlv(0x1e, bmpPassword(text).subarray(0, -2))
function int(value: number): Uint8Array {
  const bytes: number[] = []
  for (let v = value; bytes.length === 0 || v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  if (bytes[0]! & 0x80) bytes.unshift(0)
  return tlv(0x02, Uint8Array.from(bytes))
}
function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const bytes = [a! * 40 + b!]
  for (const arc of rest) {
    const groups = [arc & 0x7f]
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return tlv(0x06, Uint8Array.from(bytes))
}
// BER: indefinite length, and an OCTET STRING cut into pieces, as Java and Windows write them.
const indefinite = (tag: number, ...parts: Uint8Array[]): Uint8Array =>
  new Uint8Array(Buffer.concat([Buffer.from([tag, 0x80]), ...parts, Buffer.from([0, 0])]))
const piecewiseOctets = (bytes: Uint8Array, size: number): Uint8Array => {
  const pieces: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) pieces.push(octets(bytes.subarray(i, i + size)))
  return indefinite(0x24, ...pieces)
}

const ID = {
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
}

interface Attributes {
  readonly friendlyName?: string
  readonly localKeyId?: Uint8Array
}
function attributes(a: Attributes | undefined): Uint8Array[] {
  if (a === undefined) return []
  const list: Uint8Array[] = []
  if (a.friendlyName !== undefined) list.push(seq(oid(ID.friendlyName), set(bmp(a.friendlyName))))
  if (a.localKeyId !== undefined) list.push(seq(oid(ID.localKeyId), set(octets(a.localKeyId))))
  return [set(...list)]
}
const keyBag = (pkcs8: Uint8Array, a?: Attributes): Uint8Array => seq(oid(ID.keyBag), explicit0(pkcs8), ...attributes(a))
const shroudedKeyBag = (encrypted: Uint8Array, a?: Attributes): Uint8Array =>
  seq(oid(ID.shroudedKeyBag), explicit0(encrypted), ...attributes(a))
const certBag = (der: Uint8Array, a?: Attributes): Uint8Array =>
  seq(oid(ID.certBag), explicit0(seq(oid(ID.x509Certificate), explicit0(octets(der)))), ...attributes(a))

interface Mac {
  /** The password bytes fed to the KDF (a BMPString, or something else on purpose). */
  readonly password: Uint8Array
  readonly iterations?: number
  /** Replaces the real digest algorithm, for unsupported-algorithm tests. */
  readonly digestOid?: string
}

function macData(authSafe: Uint8Array, mac: Mac): Uint8Array {
  const salt = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
  const iterations = mac.iterations ?? 1
  // A hostile count is never derived (readPkcs12 must refuse it first), so the MAC value is left empty.
  const value =
    iterations > 100_000
      ? new Uint8Array(32)
      : createHmac('sha256', pkcs12Kdf({ hash: 'sha256', password: mac.password, salt, id: 3, iterations, length: 32 }))
          .update(authSafe)
          .digest()
  return seq(seq(seq(oid(mac.digestOid ?? ID.sha256), tlv(0x05)), octets(value)), octets(salt), int(iterations))
}

/** A PFX with one unencrypted SafeContents holding `bags`, with or without a SHA-256 MAC. */
function pfx(bags: Uint8Array[], mac?: Mac): Uint8Array {
  const authSafe = seq(seq(oid(ID.data), explicit0(octets(seq(...bags)))))
  return seq(int(3), seq(oid(ID.data), explicit0(octets(authSafe))), ...(mac === undefined ? [] : [macData(authSafe, mac)]))
}

// ---------------------------------------------------------------------------------------------------------

describe('readPkcs12 on files made by OpenSSL', () => {
  // Expected certificates: `openssl pkcs12 -in F -clcerts -nokeys | openssl x509 -outform DER` (fixtures/pkcs12/SOURCES.md).
  const files: [file: string, password: string, what: string][] = [
    ['rsa-default', PASSWORD, 'OpenSSL 3 default: PBES2/PBKDF2-SHA256/AES-256-CBC, HMAC-SHA256'],
    ['rsa-legacy', PASSWORD, '-legacy: RC2-40 certificates, 3-key 3DES key, HMAC-SHA1'],
    ['rsa-3des', PASSWORD, 'pbeWithSHAAnd3-KeyTripleDES-CBC for both'],
    ['rsa-rc2-128', PASSWORD, 'pbeWithSHAAnd128BitRC2-CBC for both'],
    ['rsa-2des', PASSWORD, 'pbeWithSHAAnd2-KeyTripleDES-CBC for both'],
    ['rsa-chain', PASSWORD, 'PBES2/DES-EDE3-CBC key, unencrypted certificates, HMAC-SHA384'],
    ['rsa-plain', PASSWORD, 'nothing encrypted, HMAC-SHA1'],
    ['rsa-nonascii', NON_ASCII, 'non-ASCII password, PBES2 (UTF-8) and MAC (BMPString)'],
    ['rsa-nonascii-legacy', NON_ASCII, 'non-ASCII password, legacy PBE (BMPString)'],
    ['rsa-empty-password', '', 'empty password, legacy PBE'],
    ['ec-aes', PASSWORD, 'EC P-256, PBES2 AES-128 key, AES-192 certificate, HMAC-SHA512'],
  ]
  for (const [file, password, what] of files) {
    it(`${file}.p12 (${what}): the certificate OpenSSL reads, and the key as PKCS#8`, async () => {
      const contents = await readPkcs12(fixture(`${file}.p12`), password, { file: `${file}.p12` })
      expect(Buffer.from(contents.certificate)).toEqual(Buffer.from(fixture(`expected/${file}.cert.der`)))
      expect(Buffer.from(contents.privateKey)).toEqual(Buffer.from(file.startsWith('ec') ? EC_KEY : RSA_KEY))
      expect(contents.friendlyName).toBe(file.startsWith('ec') ? 'Sceau EC' : 'Sceau RSA')
      expect(contents.integrity).toBe('hmac')
    })
  }

  it('rsa-nomac.p12: a file without a MAC opens, and says nothing vouched for it', async () => {
    const contents = await readPkcs12(fixture('rsa-nomac.p12'), PASSWORD)
    expect(Buffer.from(contents.certificate)).toEqual(Buffer.from(fixture('expected/rsa-nomac.cert.der')))
    expect(Buffer.from(contents.privateKey)).toEqual(Buffer.from(RSA_KEY))
    expect(contents.integrity).toBe('none')
  })

  it('rsa-chain.p12: the chain comes out leaf issuer first, though the file lists the root first', async () => {
    const contents = await readPkcs12(fixture('rsa-chain.p12'), PASSWORD)
    expect(contents.chain.map((der) => Buffer.from(der))).toEqual([Buffer.from(INTER_CERT), Buffer.from(ROOT_CERT)])
    // The same certificates OpenSSL lists with -cacerts.
    const openssl = readFileSync(new URL('expected/rsa-chain.cacerts.pem', FIXTURES), 'utf8')
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .map((pem) => Buffer.from(new X509Certificate(pem).raw).toString('hex'))
    expect(contents.chain.map((der) => Buffer.from(der).toString('hex')).sort()).toEqual(openssl.sort())
    expect(new X509Certificate(contents.certificate).verify(new X509Certificate(contents.chain[0]!).publicKey)).toBe(true)
  })

  it('single-certificate files have an empty chain', async () => {
    expect((await readPkcs12(fixture('rsa-default.p12'), PASSWORD)).chain).toEqual([])
  })
})

describe('readPkcs12: passwords', () => {
  const WRONG = 'Tr0ub4dor&3-not-this-one'
  for (const file of ['rsa-default', 'rsa-legacy', 'rsa-plain', 'ec-aes', 'rsa-nonascii']) {
    it(`${file}.p12: a wrong password is PKCS12_BAD_PASSWORD, found by the MAC, and never repeated`, async () => {
      const err = await failure(readPkcs12(fixture(`${file}.p12`), WRONG, { file: `fixtures/${file}.p12` }))
      expect(err.code).toBe('PKCS12_BAD_PASSWORD')
      expect(err.message).toMatch(/MAC/)
      expect(err.message).toContain(`fixtures/${file}.p12`)
      expect(err.details.file).toBe(`fixtures/${file}.p12`)
      for (const text of [err.message, JSON.stringify(err), String(err.stack), inspect(err, { depth: 10 })]) {
        expect(text).not.toContain(WRONG)
      }
    })
  }

  it('a file without a MAC: a wrong password is still PKCS12_BAD_PASSWORD, from the decryption', async () => {
    const err = await failure(readPkcs12(fixture('rsa-nomac.p12'), WRONG))
    expect(err.code).toBe('PKCS12_BAD_PASSWORD')
    expect(JSON.stringify(err)).not.toContain(WRONG)
  })

  it('the right password with the wrong Unicode form does not open the file', async () => {
    for (const other of ['cle-€', 'clé-€'.normalize('NFD'), 'CLÉ-€']) {
      expect((await failure(readPkcs12(fixture('rsa-nonascii.p12'), other))).code).toBe('PKCS12_BAD_PASSWORD')
    }
  })

  it('the empty password does not open a file that has one, and the reverse', async () => {
    expect((await failure(readPkcs12(fixture('rsa-legacy.p12'), ''))).code).toBe('PKCS12_BAD_PASSWORD')
    expect((await failure(readPkcs12(fixture('rsa-empty-password.p12'), PASSWORD))).code).toBe('PKCS12_BAD_PASSWORD')
  })

  it('"" also opens a file whose MAC was made with no password at all (OpenSSL\'s NULL), as PKCS12_parse does', async () => {
    const file = pfx([keyBag(RSA_KEY), certBag(RSA_CERT)], { password: new Uint8Array(0) })
    expect((await readPkcs12(file, '')).integrity).toBe('hmac')
  })

  it('a non-ASCII password in the byte-per-character form of OpenSSL before 1.1.0 opens too', async () => {
    const bytewise = Buffer.from(NON_ASCII, 'utf8').toString('latin1')
    const file = pfx([keyBag(RSA_KEY), certBag(RSA_CERT)], { password: bmpPassword(bytewise) })
    expect(Buffer.from((await readPkcs12(file, NON_ASCII)).certificate)).toEqual(Buffer.from(RSA_CERT))
  })

  it('a MAC that matches but contents encrypted under another password: PKCS12_BAD_PASSWORD that says so', async () => {
    const file = pfx([shroudedKeyBag(fixture('pkcs8/ec-des3-sha256.p8.der')), certBag(EC_CERT)], { password: bmpPassword('mac-only') })
    const err = await failure(readPkcs12(file, 'mac-only'))
    expect(err.code).toBe('PKCS12_BAD_PASSWORD')
    expect(err.message).toMatch(/MAC matches/)
  })
})

describe('readPkcs12: PBMAC1 (RFC 9579 appendix A)', () => {
  for (const [file, what] of [
    ['a1', 'HMAC-SHA256, PRF HMAC-SHA256'],
    ['a2', 'HMAC-SHA256, PRF HMAC-SHA512'],
    ['a3', 'HMAC-SHA512, PRF HMAC-SHA512'],
  ] as const) {
    it(`A.${file.slice(1)} (${what}) opens with "1234"`, async () => {
      const contents = await readPkcs12(fixture(`rfc9579/${file}.p12`), '1234')
      expect(contents.integrity).toBe('pbmac1')
      expect(new X509Certificate(contents.certificate).subject).toContain('CN=tt')
      const key = createPrivateKey({ key: Buffer.from(contents.privateKey), format: 'der', type: 'pkcs8' })
      expect(new X509Certificate(contents.certificate).checkPrivateKey(key)).toBe(true)
      expect((await failure(readPkcs12(fixture(`rfc9579/${file}.p12`), '12345'))).code).toBe('PKCS12_BAD_PASSWORD')
    })
  }

  it('A.4 (iteration count altered) and A.5 (salt altered) fail the MAC', async () => {
    expect((await failure(readPkcs12(fixture('rfc9579/a4.p12'), '1234'))).code).toBe('PKCS12_BAD_PASSWORD')
    expect((await failure(readPkcs12(fixture('rfc9579/a5.p12'), '1234'))).code).toBe('PKCS12_BAD_PASSWORD')
  })

  it('A.6 (no key length) is malformed', async () => {
    const err = await failure(readPkcs12(fixture('rfc9579/a6.p12'), '1234'))
    expect(err.code).toBe('PKCS12_MALFORMED')
    expect(err.message).toMatch(/key length/)
  })
})

describe('readPkcs12: PBES2 variants OpenSSL writes only as PKCS#8', () => {
  // `openssl pkcs8 -topk8 -v2 … -v2prf …` output, wrapped here in a PFX without MAC.
  for (const [name, what] of [
    ['ec-aes128-sha1', 'AES-128-CBC, PRF HMAC-SHA1 (the DEFAULT, so absent from the DER)'],
    ['ec-aes192-sha384', 'AES-192-CBC, PRF HMAC-SHA384'],
    ['ec-aes256-sha512', 'AES-256-CBC, PRF HMAC-SHA512'],
    ['ec-des3-sha256', 'DES-EDE3-CBC, PRF HMAC-SHA256'],
  ] as const) {
    it(`${what}`, async () => {
      const file = pfx([shroudedKeyBag(fixture(`pkcs8/${name}.p8.der`)), certBag(EC_CERT)])
      const contents = await readPkcs12(file, PASSWORD)
      expect(Buffer.from(contents.privateKey)).toEqual(Buffer.from(EC_KEY))
      expect(contents.integrity).toBe('none')
      expect((await failure(readPkcs12(file, 'wrong'))).code).toBe('PKCS12_BAD_PASSWORD')
    })
  }
})

describe('readPkcs12: several keys, pairing', () => {
  // The EC key, encrypted: without the EC certificate beside it, a key that has no certificate.
  const orphan = fixture('pkcs8/ec-aes128-sha1.p8.der')
  const file = pfx([
    keyBag(RSA_KEY, { friendlyName: 'signature' }),
    keyBag(EC_KEY, { friendlyName: 'cachet' }),
    certBag(EC_CERT),
    certBag(RSA_CERT),
  ])

  it('pairs by public key when there is no localKeyId, and takes the first key that has a certificate', async () => {
    const contents = await readPkcs12(file, PASSWORD)
    expect(Buffer.from(contents.certificate)).toEqual(Buffer.from(RSA_CERT))
    expect(contents.friendlyName).toBe('signature')
    expect(contents.chain.map((der) => Buffer.from(der))).toEqual([Buffer.from(EC_CERT)])
  })

  it('skips a first key that has no certificate', async () => {
    const withOrphan = pfx([shroudedKeyBag(orphan), keyBag(RSA_KEY), certBag(RSA_CERT)])
    expect(Buffer.from((await readPkcs12(withOrphan, PASSWORD)).privateKey)).toEqual(Buffer.from(RSA_KEY))
  })

  it('chooses by friendlyName or index', async () => {
    const options: ReadPkcs12Options[] = [{ friendlyName: 'cachet' }, { index: 1 }]
    for (const option of options) {
      const contents = await readPkcs12(file, PASSWORD, option)
      expect(Buffer.from(contents.privateKey)).toEqual(Buffer.from(EC_KEY))
      expect(Buffer.from(contents.certificate)).toEqual(Buffer.from(EC_CERT))
    }
  })

  it('a friendlyName or index that matches no key is KEY_NOT_FOUND', async () => {
    expect((await failure(readPkcs12(file, PASSWORD, { friendlyName: 'absent' }))).code).toBe('KEY_NOT_FOUND')
    expect((await failure(readPkcs12(file, PASSWORD, { index: 2 }))).code).toBe('KEY_NOT_FOUND')
    expect((await failure(readPkcs12(file, PASSWORD, { index: -1 }))).code).toBe('KEY_NOT_FOUND')
  })

  it('uses localKeyId to choose among certificates of the same key, never to pair a certificate of another key', async () => {
    const renewed = certificateDer('keys/rsa-renewed.crt.pem')
    const id = Uint8Array.of(7)
    const pick = async (bags: Uint8Array[]): Promise<Buffer> => Buffer.from((await readPkcs12(pfx(bags), PASSWORD)).certificate)
    expect(await pick([keyBag(RSA_KEY), certBag(RSA_CERT), certBag(renewed)])).toEqual(Buffer.from(RSA_CERT))
    expect(await pick([keyBag(RSA_KEY, { localKeyId: id }), certBag(RSA_CERT), certBag(renewed, { localKeyId: id })])).toEqual(
      Buffer.from(renewed),
    )
    // A localKeyId pointing at the EC certificate is not believed: the RSA key gets its own certificate.
    expect(await pick([keyBag(RSA_KEY, { localKeyId: id }), certBag(EC_CERT, { localKeyId: id }), certBag(RSA_CERT)])).toEqual(
      Buffer.from(RSA_CERT),
    )
  })

  it('no key, or no certificate for the key: PKCS12_MALFORMED', async () => {
    expect((await failure(readPkcs12(pfx([certBag(RSA_CERT)]), PASSWORD))).message).toMatch(/no private key/)
    const err = await failure(readPkcs12(pfx([keyBag(RSA_KEY), certBag(EC_CERT)]), PASSWORD))
    expect(err.code).toBe('PKCS12_MALFORMED')
    expect(err.message).toMatch(/no certificate matching/)
  })
})

describe('readPkcs12: malformed and hostile input', () => {
  it('truncated files are PKCS12_MALFORMED, naming the file', async () => {
    const whole = fixture('rsa-default.p12')
    for (const length of [1, 2, 10, 100, whole.length >> 1, whole.length - 1]) {
      const err = await failure(readPkcs12(whole.subarray(0, length), PASSWORD, { file: 'cut.p12' }))
      expect(err.code, `${length} bytes`).toBe('PKCS12_MALFORMED')
      expect(err.message).toMatch(/truncated/)
      expect(err.details.file).toBe('cut.p12')
    }
  })

  it('empty input, garbage, a certificate instead of a PFX: PKCS12_MALFORMED', async () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('not a pfx'), RSA_CERT, seq(int(3))]) {
      expect((await failure(readPkcs12(bytes, PASSWORD))).code).toBe('PKCS12_MALFORMED')
    }
  })

  it('input over 1 MiB is refused before parsing: INPUT_TOO_LARGE', async () => {
    const err = await failure(readPkcs12(new Uint8Array(PKCS12_MAX_INPUT_BYTES + 1), PASSWORD, { file: 'big.p12' }))
    expect(err.code).toBe('INPUT_TOO_LARGE')
    expect(err.details.file).toBe('big.p12')
  })

  it('a MAC iteration count above 10,000,000 is PKCS12_UNSUPPORTED, before any key derivation', async () => {
    const file = pfx([keyBag(RSA_KEY), certBag(RSA_CERT)], { password: bmpPassword(PASSWORD), iterations: 10_000_001 })
    const started = Date.now()
    const err = await failure(readPkcs12(file, PASSWORD))
    expect(err.code).toBe('PKCS12_UNSUPPORTED')
    expect(err.message).toContain('10000001')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('bag iteration counts above the limit are PKCS12_UNSUPPORTED (PBES2 and PKCS#12 PBE)', async () => {
    const pbes2 = shroudedKeyBag(
      seq(
        seq(
          oid('1.2.840.113549.1.5.13'),
          seq(
            seq(oid('1.2.840.113549.1.5.12'), seq(octets(new Uint8Array(8)), int(2 ** 40))),
            seq(oid('2.16.840.1.101.3.4.1.42'), octets(new Uint8Array(16))),
          ),
        ),
        octets(new Uint8Array(32)),
      ),
    )
    const pbe = shroudedKeyBag(
      seq(seq(oid('1.2.840.113549.1.12.1.3'), seq(octets(new Uint8Array(8)), int(10_000_001))), octets(new Uint8Array(32))),
    )
    for (const bag of [pbes2, pbe]) {
      const err = await failure(readPkcs12(pfx([bag]), PASSWORD))
      expect(err.code).toBe('PKCS12_UNSUPPORTED')
      expect(err.message).toMatch(/iterations/)
    }
  })

  it('maxIterations lowers the limit, and caps the whole file at four times it', async () => {
    // Each of these bags asks for 1,000 PBKDF2 iterations: five of them exceed 4 × 1,000.
    const bag = shroudedKeyBag(fixture('pkcs8/ec-aes128-sha1.p8.der'))
    expect((await readPkcs12(pfx([bag, certBag(EC_CERT)]), PASSWORD, { maxIterations: 1000 })).integrity).toBe('none')
    expect((await failure(readPkcs12(pfx([bag, certBag(EC_CERT)]), PASSWORD, { maxIterations: 999 }))).code).toBe('PKCS12_UNSUPPORTED')
    const err = await failure(readPkcs12(pfx([bag, bag, bag, bag, bag, certBag(EC_CERT)]), PASSWORD, { maxIterations: 1000 }))
    expect(err.code).toBe('PKCS12_UNSUPPORTED')
    expect(err.message).toMatch(/in total/)
  })

  it('deep nesting is refused, not a stack overflow', async () => {
    let deep = tlv(0x05)
    for (let i = 0; i < 200; i++) deep = indefinite(0x30, deep)
    const err = await failure(readPkcs12(deep, PASSWORD))
    expect(err.code).toBe('PKCS12_MALFORMED')
    expect(err.message).toMatch(/deeper/)
  })
})

describe('readPkcs12: algorithms it does not do', () => {
  const cases: [what: string, bag: Uint8Array, name: string, oid: string][] = [
    [
      'RC4 PKCS#12 PBE',
      shroudedKeyBag(seq(seq(oid('1.2.840.113549.1.12.1.1'), seq(octets(new Uint8Array(8)), int(2048))), octets(new Uint8Array(32)))),
      'pbeWithSHAAnd128BitRC4',
      '1.2.840.113549.1.12.1.1',
    ],
    [
      'PBES1',
      shroudedKeyBag(seq(seq(oid('1.2.840.113549.1.5.3'), seq(octets(new Uint8Array(8)), int(2048))), octets(new Uint8Array(32)))),
      'pbeWithMD5AndDES-CBC',
      '1.2.840.113549.1.5.3',
    ],
    [
      'scrypt under PBES2',
      shroudedKeyBag(
        seq(
          seq(
            oid('1.2.840.113549.1.5.13'),
            seq(
              seq(oid('1.3.6.1.4.1.11591.4.11'), seq(octets(new Uint8Array(8)), int(16384), int(8), int(1))),
              seq(oid('2.16.840.1.101.3.4.1.42'), octets(new Uint8Array(16))),
            ),
          ),
          octets(new Uint8Array(32)),
        ),
      ),
      'scrypt',
      '1.3.6.1.4.1.11591.4.11',
    ],
  ]
  for (const [what, bag, name, algorithm] of cases) {
    it(`${what}: PKCS12_UNSUPPORTED naming ${name} and its OID`, async () => {
      const err = await failure(readPkcs12(pfx([bag]), PASSWORD, { file: 'old.p12' }))
      expect(err.code).toBe('PKCS12_UNSUPPORTED')
      expect(err.message).toContain(name)
      expect(err.message).toContain(algorithm)
      expect(err.details).toMatchObject({ algorithm, file: 'old.p12' })
    })
  }

  it('a MAC digest it does not know (MD5): PKCS12_UNSUPPORTED', async () => {
    const file = pfx([keyBag(RSA_KEY), certBag(RSA_CERT)], { password: bmpPassword(PASSWORD), digestOid: '1.2.840.113549.2.5' })
    const err = await failure(readPkcs12(file, PASSWORD))
    expect(err.code).toBe('PKCS12_UNSUPPORTED')
    expect(err.message).toContain('MD5')
  })

  it('public-key encrypted contents (envelopedData): PKCS12_UNSUPPORTED', async () => {
    const authSafe = seq(seq(oid(ID.envelopedData), explicit0(seq(int(0)))))
    const file = seq(int(3), seq(oid(ID.data), explicit0(octets(authSafe))))
    expect((await failure(readPkcs12(file, PASSWORD))).message).toMatch(/envelopedData/)
  })
})

describe('readPkcs12: BER as Java and Windows write it', () => {
  it('reads indefinite lengths and a constructed OCTET STRING, and checks the MAC over its concatenated pieces', async () => {
    const safeContents = indefinite(0x30, keyBag(RSA_KEY, { friendlyName: 'ber' }), certBag(RSA_CERT))
    const authSafe = indefinite(0x30, indefinite(0x30, oid(ID.data), indefinite(0xa0, piecewiseOctets(safeContents, 500))))
    const mac = macData(authSafe, { password: bmpPassword(PASSWORD), iterations: 2048 })
    const file = indefinite(0x30, int(3), indefinite(0x30, oid(ID.data), indefinite(0xa0, piecewiseOctets(authSafe, 1000))), mac)
    const contents = await readPkcs12(file, PASSWORD)
    expect(contents.integrity).toBe('hmac')
    expect(contents.friendlyName).toBe('ber')
    expect(Buffer.from(contents.privateKey)).toEqual(Buffer.from(RSA_KEY))
    expect((await failure(readPkcs12(file, 'wrong'))).code).toBe('PKCS12_BAD_PASSWORD')
  })
})
