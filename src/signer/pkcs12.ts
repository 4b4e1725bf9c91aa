/**
 * Reads PKCS#12 (.p12/.pfx) files: checks the MAC, decrypts the bags, pairs the key with its certificate.
 *
 * Written out rather than delegated to Node, because Node has no PKCS#12 reader, and because the files French
 * CAs and browsers hand out still use RC2 and the PKCS#12 PBE schemes that OpenSSL 3 keeps in its legacy
 * provider. The DER/BER walk is local to this module so that every malformation, however deep, becomes a
 * `PKCS12_MALFORMED` naming the structure, and so that the BER forms Windows and Java write (indefinite
 * lengths, constructed OCTET STRINGs) are read too.
 *
 * @packageDocumentation
 */

import { concatBytes, equalBytes } from '../bytes.js'
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  pbkdf2,
  pbkdf2Sync,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto'
import { promisify } from 'node:util'
import { SceauError, type SceauErrorCode } from '../errors.js'
import { bmpPassword, PKCS12_KDF_ID, pkcs12Kdf, type Pkcs12KdfHash } from './pkcs12-kdf.js'
import { rc2CbcDecrypt } from './rc2.js'

/** What {@link readPkcs12} finds in a file. */
export interface Pkcs12Contents {
  /** The private key, PKCS#8 DER, unencrypted. Handle as a secret. */
  readonly privateKey: Uint8Array
  /** DER of the certificate whose public key is the private key's. */
  readonly certificate: Uint8Array
  /** DER of the other certificates: the leaf's issuer first, then its issuer, and so on; unrelated ones last. */
  readonly chain: Uint8Array[]
  /** The friendlyName attribute of the key (or, failing that, of its certificate). */
  readonly friendlyName?: string
  /**
   * How the file's integrity was checked: `'hmac'` (the classic MacData), `'pbmac1'` (RFC 9579) or `'none'`
   * when the file has no MAC at all, so that nothing vouches that it was not altered.
   */
  readonly integrity: 'hmac' | 'pbmac1' | 'none'
}

/** Options of {@link readPkcs12}. */
export interface ReadPkcs12Options {
  /** Where the bytes came from, for error messages and `details.file`. */
  readonly file?: string
  /** Take the key whose friendlyName (or whose certificate's friendlyName) is this. */
  readonly friendlyName?: string
  /** Take the key at this position (0-based) among the file's private keys, in file order. Wins over `friendlyName`. */
  readonly index?: number
  /**
   * Highest iteration count accepted for one key derivation (default {@link PKCS12_MAX_ITERATIONS}); the whole
   * file may spend four times that. A service opening files from strangers may want it lower.
   */
  readonly maxIterations?: number
}

/** Files larger than this are refused before parsing: a certificate and a key take a few KB. */
export const PKCS12_MAX_INPUT_BYTES = 1024 * 1024

/**
 * Iteration counts above this are refused by default, so that a hostile file cannot keep the process busy for
 * hours. Real files use a few thousand (OpenSSL writes 2,048, Java 10,000).
 */
export const PKCS12_MAX_ITERATIONS = 10_000_000

// A file may hold many encrypted bags: the sum of all its iteration counts (MAC included) is capped too.
const TOTAL_ITERATIONS_FACTOR = 4

/**
 * Reads a PKCS#12 file and returns its private key, the certificate of that key and the other certificates.
 *
 * Integrity first: the MAC is checked before anything is decrypted, so a wrong password is reported as
 * `PKCS12_BAD_PASSWORD` without touching the bags. A file without a MAC still opens (`integrity: 'none'`).
 * When the file holds several keys, the first key that has a certificate is taken, unless `friendlyName` or
 * `index` says otherwise. A key is paired with a certificate of the same public key, the one with the same
 * localKeyId attribute when several share that key.
 *
 * Passwords are encoded as OpenSSL does: UTF-16BE plus two zero bytes for the MAC and the PKCS#12 PBE schemes,
 * UTF-8 for PBES2 and PBMAC1. For files written by OpenSSL before 1.1.0 with a non-ASCII password, the
 * older byte-per-character encoding is tried next, as `openssl pkcs12` does.
 *
 * @throws SceauError `INPUT_TOO_LARGE` (over 1 MiB), `PKCS12_BAD_PASSWORD`, `PKCS12_MALFORMED` (not a PFX,
 * truncated, no key, no certificate for the key), `PKCS12_UNSUPPORTED` (an algorithm sceau does not do, or an
 * iteration count over 10,000,000), `KEY_NOT_FOUND` (`friendlyName`/`index` match no key)
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises'
 * import { readPkcs12 } from 'sceau/signer'
 * const file = 'cachet-mairie.p12'
 * const { privateKey, certificate, chain } = await readPkcs12(await readFile(file), process.env.P12_PASSWORD ?? '', { file })
 * ```
 */
export async function readPkcs12(bytes: Uint8Array, password: string, options: ReadPkcs12Options = {}): Promise<Pkcs12Contents> {
  try {
    if (!(bytes instanceof Uint8Array)) throw new SceauError('USAGE', 'readPkcs12 takes the file contents as a Uint8Array')
    if (typeof password !== 'string') throw new SceauError('USAGE', 'readPkcs12 takes the password as a string')
    if (bytes.length > PKCS12_MAX_INPUT_BYTES) {
      throw new SceauError('INPUT_TOO_LARGE', `is ${bytes.length} bytes; PKCS#12 files over ${PKCS12_MAX_INPUT_BYTES} bytes are refused`, {
        details: { size: bytes.length, limit: PKCS12_MAX_INPUT_BYTES },
      })
    }
    return await read(bytes, password, options)
  } catch (err) {
    throw located(err, options.file)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading the PFX

type Integrity = Pkcs12Contents['integrity']

interface PasswordForm {
  /** For the MAC and the PKCS#12 PBE schemes (RFC 7292 B.1). */
  readonly bmp: Uint8Array
  /** For PBES2 and PBMAC1. */
  readonly utf8: Uint8Array
}

interface Budget {
  /** Highest count for one derivation. */
  readonly max: number
  /** Iterations the rest of the file may still spend. */
  left: number
  readonly total: number
}

interface Context {
  readonly password: PasswordForm
  /** A MAC vouched for the password: a decryption failure after that is a malformed file, not a wrong password. */
  readonly vouched: boolean
  readonly budget: Budget
}

interface KeyEntry {
  readonly pkcs8: Uint8Array
  readonly localKeyId?: Uint8Array
  readonly friendlyName?: string
}

interface CertEntry {
  readonly der: Uint8Array
  readonly localKeyId?: Uint8Array
  readonly friendlyName?: string
}

async function read(bytes: Uint8Array, password: string, options: ReadPkcs12Options): Promise<Pkcs12Contents> {
  if (bytes.length === 0) fail('PKCS12_MALFORMED', 'is empty')
  if (bytes[0] !== 0x30) fail('PKCS12_MALFORMED', 'is not a PKCS#12 file: it does not start with an ASN.1 SEQUENCE')
  const pfx = sequence(parseDer(bytes, 'the PFX'), 'the PFX')
  const [version, authSafe, macData] = pfx
  if (version === undefined || authSafe === undefined) fail('PKCS12_MALFORMED', 'is not a PKCS#12 PFX (too few fields)')
  if (integer(version, 'the PFX version') !== 3) fail('PKCS12_MALFORMED', 'is not a PKCS#12 version 3 PFX')
  const [contentType, content] = sequence(authSafe, 'the authSafe ContentInfo')
  const type = oid(required(contentType, 'the authSafe content type'), 'the authSafe content type')
  if (type === OID.signedData) unsupported(type, 'the public-key integrity mode (a signed authSafe)')
  if (type !== OID.data) unsupported(type, 'an authSafe that is not id-data')
  const authSafeBytes = octets(explicit(required(content, 'the authSafe content'), 0, 'the authSafe content'), 'the authSafe content')

  const max = options.maxIterations ?? PKCS12_MAX_ITERATIONS
  if (!Number.isSafeInteger(max) || max < 1) throw new SceauError('USAGE', 'maxIterations must be a positive integer')
  const budget: Budget = { max, left: TOTAL_ITERATIONS_FACTOR * max, total: TOTAL_ITERATIONS_FACTOR * max }
  const forms = passwordForms(password)
  let integrity: Integrity = 'none'
  let candidates = forms
  if (macData !== undefined) {
    const checked = checkMac(macData, authSafeBytes, forms, budget)
    integrity = checked.integrity
    candidates = [checked.form]
  }

  // Without a MAC, only decryption can tell the password forms apart: try each, keep the first error.
  let firstError: unknown
  for (const form of candidates) {
    const context: Context = { password: form, vouched: integrity !== 'none', budget }
    try {
      const { keys, certs } = await readAuthenticatedSafe(authSafeBytes, context)
      return { ...pair(keys, certs, options), integrity }
    } catch (err) {
      if (!(err instanceof SceauError && err.code === 'PKCS12_BAD_PASSWORD')) throw err
      firstError ??= err
    }
  }
  throw firstError
}

// OpenSSL reads "" as both "no password" (NULL: nothing at all in the KDF) and "empty password" (the two zero
// bytes); and OpenSSL before 1.1.0 turned each UTF-8 byte of a non-ASCII password into one BMP character.
function passwordForms(password: string): PasswordForm[] {
  const forms: PasswordForm[] = [{ bmp: bmpPassword(password), utf8: new Uint8Array(Buffer.from(password, 'utf8')) }]
  if (password === '') {
    forms.push({ bmp: new Uint8Array(0), utf8: new Uint8Array(0) })
  } else if ([...password].some((char) => char.charCodeAt(0) > 0x7f)) {
    const bytewise = Buffer.from(password, 'utf8').toString('latin1')
    forms.push({ bmp: bmpPassword(bytewise), utf8: new Uint8Array(Buffer.from(bytewise, 'utf8')) })
  }
  return forms
}

function checkMac(macData: Tlv, authSafe: Uint8Array, forms: PasswordForm[], budget: Budget): { form: PasswordForm; integrity: Integrity } {
  const [digestInfo, macSalt, iterationsField] = sequence(macData, 'the MacData')
  const [algorithm, digestField] = sequence(required(digestInfo, 'the MAC'), 'the MAC')
  const [algorithmId, algorithmParams] = sequence(required(algorithm, 'the MAC algorithm'), 'the MAC algorithm')
  const macOid = oid(required(algorithmId, 'the MAC algorithm'), 'the MAC algorithm')
  const expected = octets(required(digestField, 'the MAC value'), 'the MAC value')

  if (macOid === OID.pbmac1) {
    const params = pbmac1Params(required(algorithmParams, 'the PBMAC1 parameters'), budget)
    for (const form of forms) {
      spend(budget, params.iterations, 'the PBMAC1 key derivation')
      // Synchronous like the PKCS#12 KDF beside it: one derivation, bounded, before anything else can run.
      const key = new Uint8Array(pbkdf2Sync(form.utf8, params.salt, params.iterations, params.keyLength, params.prf))
      if (macMatches(params.hmac, key, authSafe, expected)) return { form, integrity: 'pbmac1' }
    }
  } else {
    const hash = DIGESTS[macOid] ?? unsupported(macOid, 'a MAC digest algorithm')
    const salt = octets(required(macSalt, 'the MAC salt'), 'the MAC salt')
    // RFC 7292: iterations DEFAULT 1.
    const iterations = iterationsField === undefined ? 1 : integer(iterationsField, 'the MAC iteration count')
    checkIterations(iterations, 'the MAC', budget)
    for (const form of forms) {
      spend(budget, iterations, 'the MAC key derivation')
      const key = pkcs12Kdf({ hash, password: form.bmp, salt, id: PKCS12_KDF_ID.mac, iterations, length: DIGEST_LENGTHS[hash] })
      if (macMatches(hash, key, authSafe, expected)) return { form, integrity: 'hmac' }
    }
  }
  fail('PKCS12_BAD_PASSWORD', 'does not open with this password: its MAC does not match (wrong password, or an altered file)')
}

function macMatches(hash: Pkcs12KdfHash, key: Uint8Array, data: Uint8Array, expected: Uint8Array): boolean {
  const actual = createHmac(hash, key).update(data).digest()
  key.fill(0)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

interface Pbmac1Params {
  readonly salt: Uint8Array
  readonly iterations: number
  readonly keyLength: number
  readonly prf: Pkcs12KdfHash
  readonly hmac: Pkcs12KdfHash
}

// RFC 9579: the MAC key is PBKDF2 over the UTF-8 password; MacData's own salt and iterations are ignored.
function pbmac1Params(params: Tlv, budget: Budget): Pbmac1Params {
  const [kdf, scheme] = sequence(params, 'the PBMAC1 parameters')
  const [kdfOid, kdfParams] = sequence(required(kdf, 'the PBMAC1 key derivation'), 'the PBMAC1 key derivation')
  const kdfAlgorithm = oid(required(kdfOid, 'the PBMAC1 key derivation'), 'the PBMAC1 key derivation')
  if (kdfAlgorithm !== OID.pbkdf2) unsupported(kdfAlgorithm, 'a PBMAC1 key derivation function')
  const pbkdf2 = pbkdf2Params(required(kdfParams, 'the PBKDF2 parameters'), budget)
  if (pbkdf2.keyLength === undefined) fail('PKCS12_MALFORMED', 'has PBMAC1 parameters without the key length RFC 9579 requires')
  if (pbkdf2.keyLength < 1 || pbkdf2.keyLength > 1024) fail('PKCS12_MALFORMED', `has a PBMAC1 key length of ${pbkdf2.keyLength} bytes`)
  const [schemeOid] = sequence(required(scheme, 'the PBMAC1 MAC scheme'), 'the PBMAC1 MAC scheme')
  const hmacOid = oid(required(schemeOid, 'the PBMAC1 MAC scheme'), 'the PBMAC1 MAC scheme')
  const hmac = HMACS[hmacOid] ?? unsupported(hmacOid, 'a PBMAC1 MAC algorithm')
  return { salt: pbkdf2.salt, iterations: pbkdf2.iterations, keyLength: pbkdf2.keyLength, prf: pbkdf2.prf, hmac }
}

// ---------------------------------------------------------------------------------------------------------
// Contents: AuthenticatedSafe → SafeContents → SafeBags

async function readAuthenticatedSafe(authSafe: Uint8Array, context: Context): Promise<{ keys: KeyEntry[]; certs: CertEntry[] }> {
  const keys: KeyEntry[] = []
  const certs: CertEntry[] = []
  for (const contentInfo of sequence(parseDer(authSafe, 'the AuthenticatedSafe'), 'the AuthenticatedSafe')) {
    const [typeField, contentField] = sequence(contentInfo, 'a ContentInfo')
    const type = oid(required(typeField, 'a ContentInfo type'), 'a ContentInfo type')
    if (contentField === undefined) continue
    const content = explicit(contentField, 0, 'a ContentInfo')
    let safeContents: Uint8Array
    if (type === OID.data) {
      safeContents = octets(content, 'a SafeContents')
    } else if (type === OID.encryptedData) {
      safeContents = await decryptEncryptedData(content, context)
    } else if (type === OID.envelopedData) {
      unsupported(type, 'public-key encrypted contents (envelopedData)')
    } else {
      unsupported(type, 'a content type of the AuthenticatedSafe')
    }
    const root = parseContents(safeContents, 'a SafeContents', type === OID.encryptedData, context)
    await readSafeContents(root, context, keys, certs)
  }
  return { keys, certs }
}

async function decryptEncryptedData(content: Tlv, context: Context): Promise<Uint8Array> {
  const [version, encryptedContentInfo] = sequence(content, 'an EncryptedData')
  integer(required(version, 'the EncryptedData version'), 'the EncryptedData version')
  const [, algorithm, encrypted] = sequence(required(encryptedContentInfo, 'an EncryptedContentInfo'), 'an EncryptedContentInfo')
  if (algorithm === undefined || encrypted === undefined)
    fail('PKCS12_MALFORMED', 'has an EncryptedContentInfo without algorithm or content')
  // encryptedContent is [0] IMPLICIT OCTET STRING: primitive, or constructed from OCTET STRING pieces in BER.
  if ((encrypted.tag & 0xdf) !== 0x80) fail('PKCS12_MALFORMED', 'has an EncryptedContentInfo whose content is not [0]')
  const ciphertext = encrypted.constructed
    ? concatBytes(children(encrypted).map((piece) => octets(piece, 'the encrypted content')))
    : encrypted.content
  return decrypt(algorithm, ciphertext, context)
}

async function readSafeContents(safeContents: Tlv, context: Context, keys: KeyEntry[], certs: CertEntry[]): Promise<void> {
  for (const bag of sequence(safeContents, 'a SafeContents')) {
    const [idField, valueField, attributesField] = sequence(bag, 'a SafeBag')
    const bagId = oid(required(idField, 'a SafeBag type'), 'a SafeBag type')
    const value = explicit(required(valueField, 'a SafeBag value'), 0, 'a SafeBag value')
    const attributes = attributesField === undefined ? {} : bagAttributes(attributesField)
    if (bagId === OID.keyBag) {
      keys.push({ pkcs8: value.encoded, ...attributes })
    } else if (bagId === OID.pkcs8ShroudedKeyBag) {
      const [algorithm, data] = sequence(value, 'an EncryptedPrivateKeyInfo')
      if (algorithm === undefined || data === undefined) fail('PKCS12_MALFORMED', 'has an EncryptedPrivateKeyInfo with missing fields')
      const plaintext = await decrypt(algorithm, octets(data, 'the encrypted private key'), context)
      keys.push({ pkcs8: parseContents(plaintext, 'a decrypted private key', true, context).encoded, ...attributes })
    } else if (bagId === OID.certBag) {
      const [certId, certValue] = sequence(value, 'a CertBag')
      // sdsiCertificate and other certificate types do not carry X.509 certificates: skipped.
      if (oid(required(certId, 'a CertBag type'), 'a CertBag type') !== OID.x509Certificate) continue
      const der = octets(explicit(required(certValue, 'a CertBag value'), 0, 'a CertBag value'), 'a certificate')
      certs.push({ der, ...attributes })
    } else if (bagId === OID.safeContentsBag) {
      await readSafeContents(value, context, keys, certs)
    }
    // CRL and secret bags, and bag types from later standards, carry nothing a signer needs.
  }
}

function bagAttributes(set: Tlv): { localKeyId?: Uint8Array; friendlyName?: string } {
  if (set.tag !== 0x31) fail('PKCS12_MALFORMED', 'has SafeBag attributes that are not a SET')
  const out: { localKeyId?: Uint8Array; friendlyName?: string } = {}
  for (const attribute of children(set)) {
    const [idField, valuesField] = sequence(attribute, 'a SafeBag attribute')
    const id = oid(required(idField, 'a SafeBag attribute'), 'a SafeBag attribute')
    const value = valuesField === undefined ? undefined : children(valuesField)[0]
    // Values of an unexpected type are ignored, as OpenSSL does, rather than failing a file over a label.
    if (id === OID.localKeyId && value?.tag === 0x04) out.localKeyId = value.content
    if (id === OID.friendlyName && value?.tag === 0x1e) out.friendlyName = decodeBmp(value.content)
    if (id === OID.friendlyName && value?.tag === 0x0c) out.friendlyName = Buffer.from(value.content).toString('utf8')
  }
  return out
}

// Decrypted bytes that do not parse were most likely decrypted with the wrong key: when no MAC vouched for
// the password, that is the likelier explanation than a malformed file.
function parseContents(bytes: Uint8Array, what: string, decrypted: boolean, context: Context): Tlv {
  try {
    const tlv = parseDer(bytes, what)
    if (tlv.encoded.length !== bytes.length) fail('PKCS12_MALFORMED', `has trailing bytes after ${what}`)
    return tlv
  } catch (err) {
    if (decrypted && !context.vouched && err instanceof SceauError && err.code === 'PKCS12_MALFORMED') {
      fail(
        'PKCS12_BAD_PASSWORD',
        'does not open with this password: the decrypted contents are garbage (the file has no MAC to tell for sure)',
      )
    }
    throw err
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decryption: the PKCS#12 PBE schemes (RFC 7292 appendix C) and PBES2 (RFC 8018)

interface Pkcs12Pbe {
  readonly cipher: 'des-ede3-cbc' | 'des-ede-cbc' | 'rc2-cbc'
  readonly keyLength: number
  readonly effectiveBits?: number
}

const PKCS12_PBE: Readonly<Record<string, Pkcs12Pbe>> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyLength: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2-cbc', keyLength: 16, effectiveBits: 128 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2-cbc', keyLength: 5, effectiveBits: 40 },
}

const PBES2_CIPHERS: Readonly<Record<string, { readonly node: string; readonly keyLength: number; readonly ivLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { node: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { node: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { node: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { node: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
}

async function decrypt(algorithm: Tlv, ciphertext: Uint8Array, context: Context): Promise<Uint8Array> {
  const [idField, paramsField] = sequence(algorithm, 'an encryption algorithm')
  const id = oid(required(idField, 'an encryption algorithm'), 'an encryption algorithm')
  const pbe = PKCS12_PBE[id]
  if (pbe !== undefined) {
    const [saltField, iterationsField] = sequence(required(paramsField, 'the PBE parameters'), 'the PBE parameters')
    const salt = octets(required(saltField, 'the PBE salt'), 'the PBE salt')
    const iterations = integer(required(iterationsField, 'the PBE iteration count'), 'the PBE iteration count')
    checkIterations(iterations, `the ${ALGORITHM_NAMES[id]} encryption`, context.budget)
    checkBlocks(ciphertext, 8)
    // The KDF runs twice, once for the key and once for the IV.
    spend(context.budget, 2 * iterations, 'the PBE key derivation')
    const derive = (kdfId: 1 | 2, length: number): Uint8Array =>
      pkcs12Kdf({ hash: 'sha1', password: context.password.bmp, salt, id: kdfId, iterations, length })
    const key = derive(PKCS12_KDF_ID.key, pbe.keyLength)
    const iv = derive(PKCS12_KDF_ID.iv, 8)
    let padded: Uint8Array
    if (pbe.cipher === 'rc2-cbc') {
      padded = rc2CbcDecrypt(ciphertext, { key, iv, effectiveBits: pbe.effectiveBits ?? 128 })
    } else {
      // Two-key triple DES is three-key with K3 = K1; OpenSSL 3's default provider has only the latter for sure.
      const key3 = pbe.cipher === 'des-ede-cbc' ? concatBytes([key, key.subarray(0, 8)]) : key
      padded = decipher('des-ede3-cbc', key3, iv, ciphertext)
      key3.fill(0)
    }
    key.fill(0)
    return unpad(padded, 8, context)
  }
  if (id === OID.pbes2) return decryptPbes2(required(paramsField, 'the PBES2 parameters'), ciphertext, context)
  unsupported(id, 'an encryption algorithm')
}

async function decryptPbes2(params: Tlv, ciphertext: Uint8Array, context: Context): Promise<Uint8Array> {
  const [kdf, scheme] = sequence(params, 'the PBES2 parameters')
  const [kdfOid, kdfParams] = sequence(required(kdf, 'the PBES2 key derivation'), 'the PBES2 key derivation')
  const kdfAlgorithm = oid(required(kdfOid, 'the PBES2 key derivation'), 'the PBES2 key derivation')
  if (kdfAlgorithm !== OID.pbkdf2) unsupported(kdfAlgorithm, 'a PBES2 key derivation function')
  const pbkdf2 = pbkdf2Params(required(kdfParams, 'the PBKDF2 parameters'), context.budget)
  const [cipherOid, cipherParams] = sequence(required(scheme, 'the PBES2 encryption scheme'), 'the PBES2 encryption scheme')
  const cipherId = oid(required(cipherOid, 'the PBES2 encryption scheme'), 'the PBES2 encryption scheme')
  const cipher = PBES2_CIPHERS[cipherId] ?? unsupported(cipherId, 'a PBES2 encryption scheme')
  const iv = octets(required(cipherParams, 'the PBES2 IV'), 'the PBES2 IV')
  if (iv.length !== cipher.ivLength) fail('PKCS12_MALFORMED', `has a ${iv.length}-byte IV for ${ALGORITHM_NAMES[cipherId]}`)
  if (pbkdf2.keyLength !== undefined && pbkdf2.keyLength !== cipher.keyLength) {
    fail('PKCS12_MALFORMED', `asks PBKDF2 for a ${pbkdf2.keyLength}-byte key for ${ALGORITHM_NAMES[cipherId]}`)
  }
  checkBlocks(ciphertext, cipher.ivLength)
  spend(context.budget, pbkdf2.iterations, 'the PBKDF2 key derivation')
  // Asynchronous: PBKDF2 runs on libuv's thread pool, so a high iteration count does not block the event loop.
  const key = await pbkdf2Async(context.password.utf8, pbkdf2.salt, pbkdf2.iterations, cipher.keyLength, pbkdf2.prf)
  const padded = decipher(cipher.node, key, iv, ciphertext)
  key.fill(0)
  return unpad(padded, cipher.ivLength, context)
}

interface Pbkdf2Params {
  readonly salt: Uint8Array
  readonly iterations: number
  readonly keyLength?: number
  readonly prf: Pkcs12KdfHash
}

function pbkdf2Params(params: Tlv, budget: Budget): Pbkdf2Params {
  const [saltField, iterationsField, ...rest] = sequence(params, 'the PBKDF2 parameters')
  const saltChoice = required(saltField, 'the PBKDF2 salt')
  if (saltChoice.tag !== 0x04) unsupported('1.2.840.113549.1.5.12', 'PBKDF2 with a salt from another source (otherSource)')
  const salt = octets(saltChoice, 'the PBKDF2 salt')
  const iterations = integer(required(iterationsField, 'the PBKDF2 iteration count'), 'the PBKDF2 iteration count')
  checkIterations(iterations, 'PBKDF2', budget)
  let keyLength: number | undefined
  let prf: Pkcs12KdfHash = 'sha1' // RFC 8018: prf DEFAULT algid-hmacWithSHA1
  for (const field of rest) {
    if (field.tag === 0x02) keyLength = integer(field, 'the PBKDF2 key length')
    else if (field.tag === 0x30) {
      const prfId = oid(required(sequence(field, 'the PBKDF2 PRF')[0], 'the PBKDF2 PRF'), 'the PBKDF2 PRF')
      prf = HMACS[prfId] ?? unsupported(prfId, 'a PBKDF2 pseudo-random function')
    } else fail('PKCS12_MALFORMED', 'has an unexpected field in the PBKDF2 parameters')
  }
  return { salt, iterations, keyLength, prf }
}

const pbkdf2Promise = promisify(pbkdf2)

async function pbkdf2Async(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
  prf: Pkcs12KdfHash,
): Promise<Uint8Array> {
  return new Uint8Array(await pbkdf2Promise(password, salt, iterations, length, prf))
}

function decipher(name: string, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const d = createDecipheriv(name, key, iv)
  // Padding is checked by unpad() so that every cipher, RC2 included, fails the same way.
  d.setAutoPadding(false)
  return concatBytes([d.update(ciphertext), d.final()])
}

function checkBlocks(ciphertext: Uint8Array, blockSize: number): void {
  if (ciphertext.length === 0 || ciphertext.length % blockSize !== 0) {
    fail('PKCS12_MALFORMED', `has encrypted data of ${ciphertext.length} bytes, not a whole number of ${blockSize}-byte blocks`)
  }
}

// PKCS#5 padding: n bytes of value n. A wrong key gives a random last block, which almost never looks like this.
function unpad(padded: Uint8Array, blockSize: number, context: Context): Uint8Array {
  const n = padded[padded.length - 1] ?? 0
  let ok = n >= 1 && n <= blockSize && n <= padded.length
  for (let i = padded.length - n; ok && i < padded.length; i++) ok = padded[i] === n
  if (!ok) {
    padded.fill(0)
    fail(
      'PKCS12_BAD_PASSWORD',
      context.vouched
        ? 'does not decrypt although its MAC matches this password (separate MAC and encryption passwords?)'
        : 'does not open with this password: the contents do not decrypt',
    )
  }
  return padded.subarray(0, padded.length - n)
}

function checkIterations(iterations: number, what: string, budget: Budget): void {
  if (iterations < 1) fail('PKCS12_MALFORMED', `gives ${what} an iteration count of ${iterations}`)
  if (iterations > budget.max) {
    throw new SceauError(
      'PKCS12_UNSUPPORTED',
      `asks for ${Number.isSafeInteger(iterations) ? iterations : 'an enormous number of'} iterations for ${what}; sceau refuses more than ${budget.max}`,
      { details: { iterations: Math.min(iterations, Number.MAX_SAFE_INTEGER), limit: budget.max } },
    )
  }
}

function spend(budget: Budget, iterations: number, what: string): void {
  budget.left -= iterations
  if (budget.left < 0) {
    throw new SceauError(
      'PKCS12_UNSUPPORTED',
      `asks for more than ${budget.total} iterations in total (at ${what}); sceau refuses such files`,
      {
        details: { limit: budget.total },
      },
    )
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pairing the key with its certificate, ordering the chain

function pair(keys: KeyEntry[], certs: CertEntry[], options: ReadPkcs12Options): Omit<Pkcs12Contents, 'integrity'> {
  if (keys.length === 0) fail('PKCS12_MALFORMED', 'holds no private key')
  const parsed = certs.map((cert, n) => {
    const x509 = parseCertificate(cert.der, n)
    return { ...cert, x509, spki: spkiOfCertificate(x509) }
  })
  // The public key decides; localKeyId only chooses among certificates of the same key (a renewed certificate),
  // so that a file with a wrong localKeyId cannot hand out a certificate that is not the key's.
  const certificateOf = (key: KeyEntry): number => {
    const spki = spkiOfKey(key.pkcs8)
    const sameKey = parsed.flatMap((cert, n) => (cert.spki !== undefined && equalBytes(cert.spki, spki) ? [n] : []))
    const byId = sameKey.find((n) => {
      const id = parsed[n]!.localKeyId
      return id !== undefined && key.localKeyId !== undefined && equalBytes(id, key.localKeyId)
    })
    return byId ?? sameKey[0] ?? -1
  }

  let chosen: { key: KeyEntry; cert: number } | undefined
  if (options.index !== undefined) {
    const key = Number.isInteger(options.index) ? keys[options.index] : undefined
    if (key === undefined) {
      throw new SceauError('KEY_NOT_FOUND', `has no private key at index ${options.index} (it holds ${keys.length})`, {
        details: { index: options.index, keys: keys.length },
      })
    }
    chosen = { key, cert: certificateOf(key) }
  } else if (options.friendlyName !== undefined) {
    for (const key of keys) {
      const cert = certificateOf(key)
      if (key.friendlyName === options.friendlyName || (cert >= 0 && parsed[cert]!.friendlyName === options.friendlyName)) {
        chosen = { key, cert }
        break
      }
    }
    if (chosen === undefined) {
      throw new SceauError('KEY_NOT_FOUND', `has no private key named "${options.friendlyName}"`, {
        details: { friendlyName: options.friendlyName },
      })
    }
  } else {
    // Several keys: the first one that has a certificate (a key without one cannot sign anything verifiable).
    for (const key of keys) {
      const cert = certificateOf(key)
      if (cert >= 0) {
        chosen = { key, cert }
        break
      }
    }
  }
  if (chosen === undefined || chosen.cert < 0) fail('PKCS12_MALFORMED', 'holds no certificate matching the private key')

  const leaf = parsed[chosen.cert]!
  const others = parsed.filter((cert) => !equalBytes(cert.der, leaf.der))
  const friendlyName = chosen.key.friendlyName ?? leaf.friendlyName
  // Copies: the caller may wipe the key, and for unencrypted bags these are views into the caller's buffer.
  return {
    privateKey: chosen.key.pkcs8.slice(),
    certificate: leaf.der.slice(),
    chain: orderChain(leaf.x509, others).map((cert) => cert.der.slice()),
    ...(friendlyName === undefined ? {} : { friendlyName }),
  }
}

function orderChain<T extends { der: Uint8Array; x509: X509Certificate }>(leaf: X509Certificate, others: T[]): T[] {
  const remaining = others.filter((cert, n) => others.findIndex((other) => equalBytes(other.der, cert.der)) === n)
  const ordered: T[] = []
  let current = leaf
  for (;;) {
    // Name match (checkIssued) first; the signature decides between two CAs of the same name (cross-certificates).
    const issuers = remaining.filter((cert) => current.checkIssued(cert.x509))
    const issuer = issuers.find((cert) => verifies(current, cert.x509)) ?? issuers[0]
    if (issuer === undefined) break
    ordered.push(issuer)
    remaining.splice(remaining.indexOf(issuer), 1)
    if (issuer.x509.checkIssued(issuer.x509)) break
    current = issuer.x509
  }
  return [...ordered, ...remaining]
}

function verifies(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey)
  } catch {
    return false
  }
}

function parseCertificate(der: Uint8Array, n: number): X509Certificate {
  try {
    return new X509Certificate(der)
  } catch (cause) {
    throw new SceauError('PKCS12_MALFORMED', `holds a certificate (#${n + 1}) that is not valid X.509 DER`, { cause })
  }
}

function spkiOfCertificate(cert: X509Certificate): Uint8Array | undefined {
  try {
    return new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }))
  } catch {
    // A public key algorithm Node cannot load: that certificate cannot be the signing key's.
    return undefined
  }
}

const KEY_ALGORITHMS_NODE_READS = new Set([
  '1.2.840.113549.1.1.1', // rsaEncryption
  '1.2.840.113549.1.1.10', // RSASSA-PSS
  '1.2.840.10045.2.1', // id-ecPublicKey
  '1.2.840.10040.4.1', // DSA
  '1.3.101.110', // X25519
  '1.3.101.111', // X448
  '1.3.101.112', // Ed25519
  '1.3.101.113', // Ed448
])

function spkiOfKey(pkcs8: Uint8Array): Uint8Array {
  try {
    const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }))
  } catch (cause) {
    const algorithm = privateKeyAlgorithm(pkcs8)
    if (algorithm !== undefined && !KEY_ALGORITHMS_NODE_READS.has(algorithm)) {
      throw new SceauError('PKCS12_UNSUPPORTED', `holds a private key of algorithm ${algorithm}, which sceau cannot use`, {
        cause,
        details: { algorithm },
      })
    }
    throw new SceauError('PKCS12_MALFORMED', 'holds a private key that is not valid PKCS#8', { cause })
  }
}

function privateKeyAlgorithm(pkcs8: Uint8Array): string | undefined {
  try {
    const [, algorithm] = sequence(parseDer(pkcs8, 'a private key'), 'a private key')
    return oid(required(sequence(required(algorithm, 'a key algorithm'), 'a key algorithm')[0], 'a key algorithm'), 'a key algorithm')
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------
// A small BER reader: definite and indefinite lengths, single-byte tags, nesting depth bounded.

interface Tlv {
  /** The identifier octet. */
  readonly tag: number
  readonly constructed: boolean
  /** Content octets (for an indefinite length, up to the end-of-contents marker). */
  readonly content: Uint8Array
  /** The whole encoding, header included. */
  readonly encoded: Uint8Array
  readonly depth: number
}

const MAX_DEPTH = 64

function parseDer(bytes: Uint8Array, what: string): Tlv {
  return readTlv(bytes, 0, 0, what)
}

function readTlv(buffer: Uint8Array, start: number, depth: number, what: string): Tlv {
  if (depth > MAX_DEPTH) fail('PKCS12_MALFORMED', `nests ASN.1 deeper than ${MAX_DEPTH} levels in ${what}`)
  const tag = buffer[start]
  if (tag === undefined) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
  if ((tag & 0x1f) === 0x1f) fail('PKCS12_MALFORMED', `has an unexpected multi-byte ASN.1 tag in ${what}`)
  const constructed = (tag & 0x20) !== 0
  const first = buffer[start + 1]
  if (first === undefined) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
  let offset = start + 2
  if (first === 0x80) {
    if (!constructed) fail('PKCS12_MALFORMED', `has an indefinite length on a primitive value in ${what}`)
    let cursor = offset
    for (;;) {
      if (buffer[cursor] === 0 && buffer[cursor + 1] === 0) break
      if (cursor >= buffer.length) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
      cursor = cursor + readTlv(buffer, cursor, depth + 1, what).encoded.length
    }
    if (cursor + 2 > buffer.length) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
    return { tag, constructed, content: buffer.subarray(offset, cursor), encoded: buffer.subarray(start, cursor + 2), depth }
  }
  let length = first
  if (first > 0x80) {
    const count = first & 0x7f
    if (count > 4) fail('PKCS12_MALFORMED', `has an ASN.1 length field of ${count} bytes in ${what}`)
    length = 0
    for (let i = 0; i < count; i++) {
      const byte = buffer[offset + i]
      if (byte === undefined) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
      length = length * 256 + byte
    }
    offset += count
  }
  if (offset + length > buffer.length) fail('PKCS12_MALFORMED', `is truncated in ${what}`)
  return { tag, constructed, content: buffer.subarray(offset, offset + length), encoded: buffer.subarray(start, offset + length), depth }
}

function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) fail('PKCS12_MALFORMED', 'has a primitive ASN.1 value where a constructed one belongs')
  const out: Tlv[] = []
  for (let offset = 0; offset < tlv.content.length;) {
    const child = readTlv(tlv.content, offset, tlv.depth + 1, 'a nested value')
    out.push(child)
    offset += child.encoded.length
  }
  return out
}

function sequence(tlv: Tlv, what: string): Tlv[] {
  if (tlv.tag !== 0x30) fail('PKCS12_MALFORMED', `has ${what} that is not a SEQUENCE`)
  return children(tlv)
}

function explicit(tlv: Tlv, n: number, what: string): Tlv {
  const only = tlv.tag === (0xa0 | n) ? children(tlv) : []
  if (only.length !== 1) fail('PKCS12_MALFORMED', `has ${what} that is not an explicit [${n}] value`)
  return only[0]!
}

function required(tlv: Tlv | undefined, what: string): Tlv {
  if (tlv === undefined) fail('PKCS12_MALFORMED', `is missing ${what}`)
  return tlv
}

function octets(tlv: Tlv, what: string): Uint8Array {
  if (tlv.tag === 0x04) return tlv.content
  // BER constructed OCTET STRING (Java and Windows write them): the value is the concatenation of its pieces.
  if (tlv.tag === 0x24) return concatBytes(children(tlv).map((piece) => octets(piece, what)))
  fail('PKCS12_MALFORMED', `has ${what} that is not an OCTET STRING`)
}

function integer(tlv: Tlv, what: string): number {
  if (tlv.tag !== 0x02 || tlv.content.length === 0) fail('PKCS12_MALFORMED', `has ${what} that is not an INTEGER`)
  if (tlv.content[0]! & 0x80) fail('PKCS12_MALFORMED', `has a negative value for ${what}`)
  let value = 0
  for (const byte of tlv.content) value = value * 256 + byte
  // Past 2^53 the value is no longer exact, but it only matters as "too big": Infinity carries that to the bounds.
  return Number.isSafeInteger(value) ? value : Infinity
}

function oid(tlv: Tlv, what: string): string {
  if (tlv.tag !== 0x06 || tlv.content.length === 0) fail('PKCS12_MALFORMED', `has ${what} that is not an OBJECT IDENTIFIER`)
  const arcs: number[] = []
  let value = 0
  for (const byte of tlv.content) {
    value = value * 128 + (byte & 0x7f)
    if (value > Number.MAX_SAFE_INTEGER) fail('PKCS12_MALFORMED', `has an oversized OBJECT IDENTIFIER for ${what}`)
    if ((byte & 0x80) === 0) {
      arcs.push(value)
      value = 0
    }
  }
  if ((tlv.content[tlv.content.length - 1]! & 0x80) !== 0) fail('PKCS12_MALFORMED', `has a truncated OBJECT IDENTIFIER for ${what}`)
  const first = arcs[0]!
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
  return [...head, ...arcs.slice(1)].join('.')
}

function decodeBmp(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!)
  return out
}

// ---------------------------------------------------------------------------------------------------------
// Names, errors, bytes

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14',
} as const

const DIGESTS: Readonly<Record<string, Pkcs12KdfHash>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

const DIGEST_LENGTHS: Readonly<Record<Pkcs12KdfHash, number>> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 }

const HMACS: Readonly<Record<string, Pkcs12KdfHash>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
}

// Human names for the messages of PKCS12_UNSUPPORTED, including algorithms met in the wild but not done here.
const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.12.1.3': 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.4': 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.5': 'pbeWithSHAAnd128BitRC2-CBC',
  '1.2.840.113549.1.12.1.6': 'pbeWithSHAAnd40BitRC2-CBC',
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.4': 'pbeWithMD2AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.5.12': 'PBKDF2',
  '1.2.840.113549.1.5.13': 'PBES2',
  '1.2.840.113549.1.5.14': 'PBMAC1',
  '1.3.6.1.4.1.11591.4.11': 'scrypt',
  '2.16.840.1.101.3.4.1.2': 'AES-128-CBC',
  '2.16.840.1.101.3.4.1.22': 'AES-192-CBC',
  '2.16.840.1.101.3.4.1.42': 'AES-256-CBC',
  '2.16.840.1.101.3.4.1.6': 'AES-128-GCM',
  '2.16.840.1.101.3.4.1.46': 'AES-256-GCM',
  '1.2.840.113549.3.7': 'DES-EDE3-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC',
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.2.5': 'MD5',
  '1.2.840.113549.2.12': 'hmacWithSHA512-224',
  '1.2.840.113549.2.13': 'hmacWithSHA512-256',
  '2.16.840.1.101.3.4.2.5': 'SHA-512/224',
  '2.16.840.1.101.3.4.2.6': 'SHA-512/256',
  '2.16.840.1.101.3.4.2.8': 'SHA3-256',
  '1.2.643.7.1.1.2.2': 'GOST R 34.11-2012 (256 bits)',
  '1.2.643.7.1.1.2.3': 'GOST R 34.11-2012 (512 bits)',
  '1.2.840.113549.1.7.2': 'signedData',
  '1.2.840.113549.1.7.3': 'envelopedData',
}

function unsupported(algorithmOid: string, role: string): never {
  const name = ALGORITHM_NAMES[algorithmOid] ?? 'an algorithm sceau does not know'
  throw new SceauError('PKCS12_UNSUPPORTED', `uses ${name} (OID ${algorithmOid}) as ${role}, which sceau does not support`, {
    details: { algorithm: algorithmOid, algorithmName: ALGORITHM_NAMES[algorithmOid] },
  })
}

function fail(code: SceauErrorCode, message: string): never {
  throw new SceauError(code, message)
}

// Internal messages are predicates ("is truncated in …"); the subject is the file, named once here.
function located(err: unknown, file: string | undefined): SceauError {
  const subject = file === undefined ? 'PKCS#12 data' : `PKCS#12 file "${file}"`
  if (err instanceof SceauError) {
    if (err.code === 'USAGE') return err
    return new SceauError(err.code, `${subject} ${err.message}`, { cause: err.cause, details: { ...err.details, file } })
  }
  return new SceauError('PKCS12_MALFORMED', `${subject} cannot be read`, { cause: err, details: { file } })
}
