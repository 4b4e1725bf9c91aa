/**
 * A throwaway PKI shaped like a French agent's: a root, an issuing CA, and leaf certificates with the RGS** /
 * eIDAS signature profile (nonRepudiation only, QC statements, QCP-n-qscd) and its counter-examples
 * (authentication-only, expired, revoked), plus a time-stamping authority for PAdES B-T. Native tests import it
 * into SoftHSM, the demo signs with it, and the policy tests judge it. Every name says TEST and every policy OID
 * sits under the "example" arc, so nothing made here can pass for a real certificate.
 *
 * @packageDocumentation
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API when it loads.
import 'reflect-metadata'
import { randomBytes, webcrypto } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CRLNumber } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { SceauError } from '../errors.js'
import type { KeyDescription } from '../types.js'
import { derToPem } from '../x509/pem.js'
import { encodeQcStatements, QC_STATEMENTS_OID } from '../x509/qc-statements.js'

/**
 * Certificate policy OIDs of the test PKI.
 *
 * The sceau policies live under 2.999, the joint ISO/ITU-T arc reserved for examples (ITU-T X.660): no CA can
 * issue a real certificate under it, unlike a made-up number under AFNOR's 1.2.250.1, which AFNOR may assign
 * to a real company tomorrow. Below it, `250.1` echoes the French arc 1.2.250.1 and the rest follows the
 * shape French CAs use (CA, offer, usage, version; see shared research rgs-eidas.md §2.3).
 */
export const TEST_POLICY_OIDS = {
  /** ETSI EN 319 411-2 QCP-n-qscd: qualified certificate for a natural person, key on a QSCD. */
  qcpNaturalQscd: '0.4.0.194112.1.2',
  /** The test CA's "RGS** signature" offer. */
  rgsSignature: '2.999.250.1.1.2.1.1',
  /** The test CA's "RGS** authentication" offer. */
  rgsAuthentication: '2.999.250.1.1.2.2.1',
} as const

/** Names of the leaf certificates {@link createTestPki} makes. */
export const TEST_LEAF_NAMES = [
  'signature-rsa2048',
  'signature-rsa3072',
  'signature-ec-p256',
  'authentication-rsa2048',
  'expired-rsa2048',
  'revoked-rsa2048',
  'tsa-rsa2048',
] as const

/** One of {@link TEST_LEAF_NAMES}. */
export type TestLeafName = (typeof TEST_LEAF_NAMES)[number]

/** A certificate with its private key. */
export interface TestCredential {
  /** Certificate, DER. */
  readonly certificate: Uint8Array
  /** Private key, PKCS#8 DER (unencrypted: test material only). */
  readonly privateKey: Uint8Array
  readonly key: KeyDescription
}

/** A leaf certificate of the test PKI. */
export interface TestLeaf extends TestCredential {
  readonly name: TestLeafName
}

/** Where the test certificates say their CRL, OCSP responder and issuer certificate are. */
export interface TestPkiUrls {
  readonly crl: string
  /** The root's CRL (its authority revocation list), written in the intermediate. */
  readonly rootCrl: string
  readonly ocsp: string
  readonly caIssuers: string
}

/** The generated PKI. All dates are relative to {@link TestPki.now}. */
export interface TestPki {
  readonly now: Date
  /** Self-signed root CA, RSA-3072. */
  readonly root: TestCredential
  /** Issuing CA (pathLen 0), RSA-2048, signed by the root; it signs the leaves and the CRL. */
  readonly intermediate: TestCredential
  /** Every leaf, in {@link TEST_LEAF_NAMES} order. */
  readonly leaves: readonly TestLeaf[]
  /** CRL of the intermediate (DER): revoked-rsa2048 for keyCompromise; thisUpdate now, nextUpdate now + 7 days. */
  readonly crl: Uint8Array
  /** CRL of the root (DER), listing no CA: lets the intermediate's own revocation be checked. */
  readonly rootCrl: Uint8Array
  readonly urls: TestPkiUrls
  /**
   * The leaf of that name.
   *
   * @throws SceauError `USAGE` for a name that is not one of {@link TEST_LEAF_NAMES}.
   */
  leaf(name: TestLeafName | (string & {})): TestLeaf
  /** Root then intermediate, PEM: a trust bundle for tools such as `openssl verify -CAfile`. */
  toPemBundle(): string
}

/** Options of {@link createTestPki}. */
export interface TestPkiOptions {
  /** The instant the PKI is made at. Default: the current time. */
  readonly now?: Date
  /** CRL distribution point written in the leaves. Default `http://127.0.0.1/sceau-test/intermediate.crl`. */
  readonly crlUrl?: string
  /** OCSP responder written in the leaves. Default `http://127.0.0.1/sceau-test/ocsp`. */
  readonly ocspUrl?: string
  /** caIssuers location written in the leaves. Default `http://127.0.0.1/sceau-test/intermediate.cer`. */
  readonly caIssuersUrl?: string
}

// Node's webcrypto, typed as the DOM's Crypto that @peculiar/x509 declares (the DOM lib is in the program
// through @xmldom/xmldom's types).
const crypto = webcrypto as unknown as Crypto
const SHA256_RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
const HOUR = 3_600_000
const DAY = 24 * HOUR
const YEAR = 365 * DAY

type KeySpec = { readonly type: 'RSA'; readonly size: number } | { readonly type: 'EC'; readonly curve: 'P-256' }

interface LeafSpec {
  readonly name: TestLeafName
  readonly key: KeySpec
  readonly profile: 'signature' | 'authentication' | 'timestamping'
  readonly expired?: boolean
  readonly revoked?: boolean
}

const LEAVES: readonly LeafSpec[] = [
  { name: 'signature-rsa2048', key: { type: 'RSA', size: 2048 }, profile: 'signature' },
  { name: 'signature-rsa3072', key: { type: 'RSA', size: 3072 }, profile: 'signature' },
  { name: 'signature-ec-p256', key: { type: 'EC', curve: 'P-256' }, profile: 'signature' },
  { name: 'authentication-rsa2048', key: { type: 'RSA', size: 2048 }, profile: 'authentication' },
  { name: 'expired-rsa2048', key: { type: 'RSA', size: 2048 }, profile: 'signature', expired: true },
  { name: 'revoked-rsa2048', key: { type: 'RSA', size: 2048 }, profile: 'signature', revoked: true },
  { name: 'tsa-rsa2048', key: { type: 'RSA', size: 2048 }, profile: 'timestamping' },
]

// The commune and its identifiers are made up: "0002 <SIREN>" is how French CAs write the organisation in OU, and
// NTRFR-<SIREN> its EN 319 412-1 organizationIdentifier; 000000001 is no real SIREN.
const ORGANISATION: x509.JsonName = [
  { O: ['COMMUNE DE TESTVILLE (TEST)'] },
  { OU: ['0002 000000001'] },
  { '2.5.4.97': ['NTRFR-000000001'] },
]
const ROOT_NAME: x509.JsonName = [{ C: ['FR'] }, { O: ['sceau TEST'] }, { CN: ['sceau Test Root CA'] }]
const INTERMEDIATE_NAME: x509.JsonName = [
  { C: ['FR'] },
  { O: ['sceau TEST'] },
  { OU: ['0002 000000001'] },
  { CN: ['sceau Test Agents CA'] },
]

function leafName(leaf: LeafSpec): x509.JsonName {
  if (leaf.profile === 'timestamping') return [{ C: ['FR'] }, { O: ['sceau TEST'] }, { CN: [`sceau Test TSA (${leaf.name})`] }]
  return [
    { C: ['FR'] },
    ...ORGANISATION,
    { CN: [`Camille DUPONT-TEST (${leaf.name})`] },
    { '2.5.4.42': ['Camille'] },
    { '2.5.4.4': ['DUPONT-TEST'] },
    // X.520 serialNumber of the person (an agent number), not of the certificate.
    { '2.5.4.5': ['TEST-AGENT-0001'] },
  ]
}

async function generateKeys(spec: KeySpec): Promise<webcrypto.CryptoKeyPair> {
  const algorithm =
    spec.type === 'RSA'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: spec.size, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: spec.curve }
  return (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
}

function describeKey(spec: KeySpec): KeyDescription {
  return spec.type === 'RSA' ? { type: 'RSA', size: spec.size } : { type: 'EC', curve: spec.curve, size: 256 }
}

/** 16 random bytes, top bit clear (a positive INTEGER needs no 00 octet) and next bit set (DER keeps all 16). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40
  return bytes.toString('hex')
}

async function credential(cert: x509.X509Certificate, keys: webcrypto.CryptoKeyPair, spec: KeySpec): Promise<TestCredential> {
  return {
    certificate: new Uint8Array(cert.rawData),
    privateKey: new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    key: describeKey(spec),
  }
}

/**
 * Generates the test PKI: 9 key pairs (WebCrypto; the two RSA-3072 keys take most of the time), 9 certificates
 * and a CRL. Nothing is cached: each call makes new keys and serial numbers.
 *
 * @example
 * ```ts
 * // native-tests/setup/global.ts
 * const pki = await createTestPki()
 * await writeTestPki(pki, dir) // then: pkcs11-tool --write-object dir/signature-rsa2048.key.der --type privkey …
 * const signer = await KeySigner.fromPkcs8({ key: pki.leaf('signature-rsa2048').privateKey, certificate: pki.leaf('signature-rsa2048').certificate })
 * ```
 */
export async function createTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const now = options.now ?? new Date()
  const at = (offset: number): Date => new Date(now.getTime() + offset)
  const urls: TestPkiUrls = {
    crl: options.crlUrl ?? 'http://127.0.0.1/sceau-test/intermediate.crl',
    rootCrl: 'http://127.0.0.1/sceau-test/root.crl',
    ocsp: options.ocspUrl ?? 'http://127.0.0.1/sceau-test/ocsp',
    caIssuers: options.caIssuersUrl ?? 'http://127.0.0.1/sceau-test/intermediate.cer',
  }

  // Key generation is nearly all the time spent; WebCrypto runs it on libuv's thread pool, so in parallel.
  const rootSpec: KeySpec = { type: 'RSA', size: 3072 }
  const intermediateSpec: KeySpec = { type: 'RSA', size: 2048 }
  const [rootKeys, intermediateKeys, ...leafKeys] = await Promise.all(
    [rootSpec, intermediateSpec, ...LEAVES.map((leaf) => leaf.key)].map(generateKeys),
  )
  if (rootKeys === undefined || intermediateKeys === undefined) throw new Error('key generation returned too few keys')

  const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto)
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: ROOT_NAME,
      notBefore: at(-5 * YEAR),
      notAfter: at(20 * YEAR),
      signingAlgorithm: SHA256_RSA,
      keys: rootKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        rootSki,
      ],
    },
    crypto,
  )

  const intermediateSki = await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey, false, crypto)
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: INTERMEDIATE_NAME,
      issuer: root.subjectName,
      notBefore: at(-5 * YEAR + DAY),
      notAfter: at(10 * YEAR),
      signingAlgorithm: SHA256_RSA,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        // anyPolicy, as real French issuing CAs do, so RFC 5280 policy processing lets the leaves' policies through.
        new x509.CertificatePolicyExtension(['2.5.29.32.0']),
        new x509.CRLDistributionPointsExtension([urls.rootCrl]),
        intermediateSki,
        new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
      ],
    },
    crypto,
  )

  const issue = async (leaf: LeafSpec, keys: webcrypto.CryptoKeyPair): Promise<x509.X509Certificate> => {
    const signature = leaf.profile === 'signature'
    const timestamping = leaf.profile === 'timestamping'
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false),
      // RGS** / EN 319 412-2: a signature certificate has nonRepudiation alone, critical.
      new x509.KeyUsagesExtension(signature ? x509.KeyUsageFlags.nonRepudiation : x509.KeyUsageFlags.digitalSignature, true),
      // RFC 3161 §2.3: a TSA certificate has id-kp-timeStamping as its only extended key usage, critical.
      ...(signature
        ? []
        : [
            new x509.ExtendedKeyUsageExtension(
              [timestamping ? x509.ExtendedKeyUsage.timeStamping : x509.ExtendedKeyUsage.clientAuth],
              timestamping,
            ),
          ]),
      ...(timestamping
        ? []
        : [
            new x509.CertificatePolicyExtension(
              signature ? [TEST_POLICY_OIDS.rgsSignature, TEST_POLICY_OIDS.qcpNaturalQscd] : [TEST_POLICY_OIDS.rgsAuthentication],
            ),
          ]),
      ...(signature
        ? [
            new x509.Extension(
              QC_STATEMENTS_OID,
              false,
              new Uint8Array(
                encodeQcStatements({
                  compliance: true,
                  sscd: true,
                  types: ['esign'],
                  pds: [{ url: 'https://127.0.0.1/sceau-test/pds-en.pdf', language: 'en' }],
                }),
              ),
            ),
          ]
        : []),
      new x509.CRLDistributionPointsExtension([urls.crl]),
      new x509.AuthorityInfoAccessExtension({ ocsp: [urls.ocsp], caIssuers: [urls.caIssuers] }),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      new x509.AuthorityKeyIdentifierExtension(intermediateSki.keyId),
    ]
    return x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: leafName(leaf),
        issuer: intermediate.subjectName,
        // An hour back, so that a verifier whose clock lags a little still sees a valid certificate.
        notBefore: leaf.expired === true ? at(-3 * YEAR - 30 * DAY) : at(-HOUR),
        notAfter: leaf.expired === true ? at(-30 * DAY) : at(3 * YEAR),
        signingAlgorithm: SHA256_RSA,
        publicKey: keys.publicKey,
        signingKey: intermediateKeys.privateKey,
        extensions,
      },
      crypto,
    )
  }

  const leaves: TestLeaf[] = await Promise.all(
    LEAVES.map(async (spec, index) => {
      const keys = leafKeys[index]
      if (keys === undefined) throw new Error(`no key generated for ${spec.name}`)
      return { name: spec.name, ...(await credential(await issue(spec, keys), keys, spec.key)) }
    }),
  )

  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: intermediate.subjectName,
      thisUpdate: now,
      nextUpdate: at(7 * DAY),
      signingAlgorithm: SHA256_RSA,
      signingKey: intermediateKeys.privateKey,
      extensions: [
        new x509.AuthorityKeyIdentifierExtension(intermediateSki.keyId),
        new x509.Extension('2.5.29.20', false, AsnConvert.serialize(new CRLNumber(1))),
      ],
      entries: LEAVES.flatMap((spec, index) => {
        const leaf = leaves[index]
        if (spec.revoked !== true || leaf === undefined) return []
        const serial = new x509.X509Certificate(new Uint8Array(leaf.certificate)).serialNumber
        return [{ serialNumber: serial, revocationDate: at(-HOUR / 2), reason: x509.X509CrlReason.keyCompromise }]
      }),
    },
    crypto,
  )

  const rootCrl = await x509.X509CrlGenerator.create(
    {
      issuer: root.subjectName,
      thisUpdate: now,
      nextUpdate: at(30 * DAY),
      signingAlgorithm: SHA256_RSA,
      signingKey: rootKeys.privateKey,
      extensions: [
        new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
        new x509.Extension('2.5.29.20', false, AsnConvert.serialize(new CRLNumber(1))),
      ],
      entries: [],
    },
    crypto,
  )

  const rootCredential = await credential(root, rootKeys, rootSpec)
  const intermediateCredential = await credential(intermediate, intermediateKeys, intermediateSpec)
  return {
    now,
    root: rootCredential,
    intermediate: intermediateCredential,
    leaves,
    crl: new Uint8Array(crl.rawData),
    rootCrl: new Uint8Array(rootCrl.rawData),
    urls,
    leaf(name) {
      const found = leaves.find((leaf) => leaf.name === name)
      if (found === undefined) {
        throw new SceauError('USAGE', `the test PKI has no leaf "${name}"; it has ${TEST_LEAF_NAMES.join(', ')}`, { details: { name } })
      }
      return found
    },
    toPemBundle() {
      return derToPem(rootCredential.certificate) + derToPem(intermediateCredential.certificate)
    },
  }
}

/**
 * Writes the test PKI into `dir` (created if needed), in the forms pkcs11-tool and openssl read:
 * `root.pem`, `intermediate.pem`, `root.cert.der`, `intermediate.cert.der`, `crl.der`, `crl.pem`, `root-crl.der`, and per leaf
 * `<leaf>.cert.der`, `<leaf>.cert.pem` and `<leaf>.key.der` (PKCS#8, mode 0600).
 *
 * @example
 * ```ts
 * const dir = mkdtempSync(join(tmpdir(), 'sceau-pki-'))
 * await writeTestPki(await createTestPki(), dir)
 * execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'intermediate.pem'), join(dir, 'signature-rsa2048.cert.pem')])
 * ```
 */
export async function writeTestPki(pki: TestPki, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const files: Array<[string, string | Uint8Array, number?]> = [
    ['root.pem', derToPem(pki.root.certificate)],
    ['intermediate.pem', derToPem(pki.intermediate.certificate)],
    ['root.cert.der', pki.root.certificate],
    ['intermediate.cert.der', pki.intermediate.certificate],
    ['crl.der', pki.crl],
    ['root-crl.der', pki.rootCrl],
    ['crl.pem', derToPem(pki.crl, 'X509 CRL')],
    ...pki.leaves.flatMap((leaf): Array<[string, string | Uint8Array, number?]> => [
      [`${leaf.name}.cert.der`, leaf.certificate],
      [`${leaf.name}.cert.pem`, derToPem(leaf.certificate)],
      [`${leaf.name}.key.der`, leaf.privateKey, 0o600],
    ]),
  ]
  await Promise.all(files.map(([name, data, mode]) => writeFile(join(dir, name), data, mode === undefined ? {} : { mode })))
}
