import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OpensslCa, run, type OpensslCredential } from '../testing/openssl-ca.js'
import { issuerAndSerialOf } from './certificate-fields.js'
import { concatBytes } from '../bytes.js'
import { compareDer, oid, setOf, TAG, tlv } from './der-encode.js'
import { CMS_OIDS } from './oids.js'
import { parseCms, verifyCms } from './index.js'
import { joinSignedData } from './signed-data.js'

// Signed attributes arranged as other software writes them — several values, out of DER order, BER lengths, ESS v1
// beside v2 — around signature values made by `openssl dgst -sign` (or `openssl pkeyutl` for EdDSA) and judged by
// `openssl cms -verify` where OpenSSL can judge them.

let dir: string
let ca: OpensslCa
let rsa: OpensslCredential
let ed25519: OpensslCredential
let ed448: OpensslCredential
const content = new Uint8Array(Buffer.from('Délibération 2026-17: approved\n'))

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-attributes-'))
  ca = OpensslCa.create(join(dir, 'ca'))
  rsa = ca.issue('rsa')
  ed25519 = ca.issue('ed25519', { key: ['-algorithm', 'ED25519'] })
  ed448 = ca.issue('ed448', { key: ['-algorithm', 'ED448'] })
  writeFileSync(join(dir, 'content.bin'), content)
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const SHA256 = '2.16.840.1.101.3.4.2.1'
const SHA512 = '2.16.840.1.101.3.4.2.3'
const SHAKE256 = '2.16.840.1.101.3.4.2.12'
const PROOF_OF_ORIGIN = '1.2.840.113549.1.9.16.6.1'
const PROOF_OF_APPROVAL = '1.2.840.113549.1.9.16.6.5'

const sha = (name: string, data: Uint8Array): Uint8Array => new Uint8Array(createHash(name).update(data).digest())
const attribute = (type: string, ...values: Uint8Array[]): Uint8Array => tlv(TAG.sequence, oid(type), setOf(values))
const octets = (bytes: Uint8Array): Uint8Array => tlv(TAG.octetString, bytes)

/** ESSCertIDv2 (SHA-256, the DEFAULT, omitted) or ESSCertID (SHA-1), with issuerSerial. */
function signingCertificate(version: 1 | 2, certificate: Uint8Array, serialOverride?: Uint8Array): Uint8Array {
  const { issuer, serialNumber } = issuerAndSerialOf(certificate)
  const issuerSerial = tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.context4, issuer)), serialOverride ?? serialNumber)
  const hash = octets(sha(version === 1 ? 'sha1' : 'sha256', certificate))
  return tlv(TAG.sequence, tlv(TAG.sequence, tlv(TAG.sequence, hash, issuerSerial)))
}

interface Assembly {
  readonly attributes: readonly Uint8Array[]
  /** `der`: the attributes stored sorted (DER); `as-given`: stored in the order given. */
  readonly stored?: 'der' | 'as-given'
  /** What the signature is computed over: the DER SET OF (RFC 5652 §5.4), or the bytes as stored. */
  readonly signOver?: 'der' | 'stored'
  readonly signer?: OpensslCredential
  readonly digestOid?: string
  readonly signatureOid?: string
}

/** A detached SignedData around `attributes`, its signature value made by OpenSSL. */
function assemble(assembly: Assembly): Uint8Array {
  const signer = assembly.signer ?? rsa
  const storedContents = concatBytes(assembly.stored === 'as-given' ? assembly.attributes : [...assembly.attributes].sort(compareDer))
  const stored = tlv(TAG.context0, storedContents)
  const signed = assembly.signOver === 'stored' ? tlv(TAG.set, storedContents) : setOf(assembly.attributes)
  const signedFile = join(dir, 'signed-attributes.der')
  writeFileSync(signedFile, signed)
  const signature =
    signer === rsa
      ? run('openssl', ['dgst', '-sha256', '-sign', signer.key, signedFile])
      : run('openssl', ['pkeyutl', '-sign', '-rawin', '-inkey', signer.key, '-in', signedFile])
  const { issuer, serialNumber } = issuerAndSerialOf(signer.der)
  const digestAlgorithm = tlv(TAG.sequence, oid(assembly.digestOid ?? SHA256))
  const signatureAlgorithm =
    signer === rsa
      ? tlv(TAG.sequence, oid('1.2.840.113549.1.1.1'), new Uint8Array([5, 0]))
      : tlv(TAG.sequence, oid(assembly.signatureOid ?? '1.3.101.112'))
  const signerInfo = tlv(
    TAG.sequence,
    new Uint8Array([2, 1, 1]),
    tlv(TAG.sequence, issuer, serialNumber),
    digestAlgorithm,
    stored,
    signatureAlgorithm,
    octets(new Uint8Array(signature)),
  )
  return joinSignedData({
    version: 1,
    digestAlgorithms: [digestAlgorithm],
    contentType: CMS_OIDS.data,
    certificates: [signer.der],
    crls: [],
    signerInfos: [signerInfo],
  })
}

function opensslVerifies(signature: Uint8Array, name: string): boolean {
  const file = join(dir, `${name}.der`)
  writeFileSync(file, signature)
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', file, '-content', join(dir, 'content.bin')]
  return spawnSync('openssl', [...args, '-CAfile', ca.credential.cert, '-purpose', 'any', '-out', '/dev/null']).status === 0
}

const baseAttributes = (): Uint8Array[] => [
  attribute(CMS_OIDS.contentType, oid(CMS_OIDS.data)),
  attribute(CMS_OIDS.messageDigest, octets(sha('sha256', content))),
  attribute(CMS_OIDS.signingCertificateV2, signingCertificate(2, rsa.der)),
]

const checksOf = (der: Uint8Array): Record<string, { status: string; subIndication?: string; reason: string }> =>
  Object.fromEntries(verifyCms(der, { content }).checks.map((check) => [check.id, check]))

describe('signed attributes as other software writes them', () => {
  it('reads a commitment-type-indication with two values (as DSS writes it)', () => {
    const commitment = attribute(
      CMS_OIDS.commitmentTypeIndication,
      tlv(TAG.sequence, oid(PROOF_OF_ORIGIN)),
      tlv(TAG.sequence, oid(PROOF_OF_APPROVAL)),
    )
    const der = assemble({ attributes: [...baseAttributes(), commitment] })
    expect(opensslVerifies(der, 'commitments')).toBe(true)
    const { attributes } = parseCms(der).signer
    expect([...attributes.commitmentTypes].sort()).toEqual([PROOF_OF_ORIGIN, PROOF_OF_APPROVAL])
    expect(Object.values(checksOf(der)).map((check) => check.status)).toEqual(['pass', 'pass', 'pass', 'pass'])
  })

  it('refuses two message digests (RFC 5652 §11.2), as it refuses two signing times or content types', () => {
    const twoDigests = attribute(CMS_OIDS.messageDigest, octets(sha('sha256', content)), octets(sha('sha256', new Uint8Array(1))))
    const der = assemble({ attributes: [attribute(CMS_OIDS.contentType, oid(CMS_OIDS.data)), twoDigests] })
    expect(() => parseCms(der)).toThrow(
      expect.objectContaining({ code: 'INPUT_MALFORMED', message: expect.stringContaining('message-digest') }),
    )
    const twoTimes = [
      ...baseAttributes(),
      attribute(CMS_OIDS.signingTime, tlv(0x17, Buffer.from('260101000000Z'))),
      attribute(CMS_OIDS.signingTime, tlv(0x17, Buffer.from('260102000000Z'))),
    ]
    expect(() => parseCms(assemble({ attributes: twoTimes }))).toThrow(
      expect.objectContaining({ message: expect.stringContaining('signing-time') }),
    )
  })

  it('verifies attributes stored out of DER order over their DER encoding, and says they were', () => {
    // Reverse DER order; the signature is over the DER SET OF, as RFC 5652 §5.4 asks (and BouncyCastle, hence DSS,
    // verifies). OpenSSL verifies over the attributes in the order it read them, so it rejects this one.
    const attributes = [...baseAttributes()].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)))
    const der = assemble({ attributes, stored: 'as-given' })
    expect(opensslVerifies(der, 'unsorted-der')).toBe(false)
    const signer = parseCms(der).signer
    expect(signer.signedAttributesAsStored).not.toEqual(signer.signedAttributesDer)
    const checks = checksOf(der)
    expect(checks.signature?.status).toBe('pass')
    expect(checks['signed-attributes-der']).toMatchObject({
      status: 'warning',
      reason: expect.stringContaining('verifies over their DER encoding'),
    })
  })

  it('accepts, with a warning, a signature over the attributes as stored out of DER order, as OpenSSL does', () => {
    const attributes = [...baseAttributes()].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)))
    const der = assemble({ attributes, stored: 'as-given', signOver: 'stored' })
    expect(opensslVerifies(der, 'unsorted-stored')).toBe(true)
    const checks = checksOf(der)
    expect(checks.signature?.status).toBe('pass')
    expect(checks['signed-attributes-der']).toMatchObject({
      status: 'warning',
      reason: expect.stringContaining('only over the bytes as stored'),
    })
    // Still bound to the content: another content fails on the message digest.
    expect(verifyCms(der, { content: new Uint8Array(3) }).checks.find((check) => check.id === 'message-digest')?.status).toBe('fail')
    // And to the signature value: one bit changed in it fails.
    const tampered = Uint8Array.from(der)
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0x01
    expect(verifyCms(tampered, { content }).checks.find((check) => check.id === 'signature')?.status).toBe('fail')
  })

  it('reads attributes stored with BER long-form lengths', () => {
    const digest = sha('sha256', content)
    // message-digest with its OCTET STRING length in two octets (0x81 0x20) where DER uses one.
    const berDigest = tlv(TAG.sequence, oid(CMS_OIDS.messageDigest), tlv(TAG.set, new Uint8Array([0x04, 0x81, 0x20, ...digest])))
    const attributes = [
      attribute(CMS_OIDS.contentType, oid(CMS_OIDS.data)),
      berDigest,
      attribute(CMS_OIDS.signingCertificateV2, signingCertificate(2, rsa.der)),
    ]
    const der = assemble({ attributes, stored: 'as-given' })
    const checks = checksOf(der)
    expect(checks['message-digest']?.status).toBe('pass')
    expect(checks.signature?.status).toBe('pass')
    expect(checks['signed-attributes-der']?.status).toBe('warning')
  })

  it('accepts ESS signing-certificate v1 beside v2 when both name the signer, and neither when one names another', () => {
    const both = [...baseAttributes(), attribute(CMS_OIDS.signingCertificate, signingCertificate(1, rsa.der))]
    const der = assemble({ attributes: both })
    expect(opensslVerifies(der, 'ess-both')).toBe(true)
    expect(checksOf(der)['signing-certificate']).toMatchObject({
      status: 'pass',
      reason: expect.stringContaining('signing-certificate (SHA-1 certHash)'),
    })

    const otherCertificate = [...baseAttributes(), attribute(CMS_OIDS.signingCertificate, signingCertificate(1, ca.credential.der))]
    expect(checksOf(assemble({ attributes: otherCertificate }))['signing-certificate']).toMatchObject({
      status: 'indeterminate',
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
    })
    const wrongSerial = [
      attribute(CMS_OIDS.contentType, oid(CMS_OIDS.data)),
      attribute(CMS_OIDS.messageDigest, octets(sha('sha256', content))),
      attribute(CMS_OIDS.signingCertificateV2, signingCertificate(2, rsa.der, new Uint8Array([2, 1, 7]))),
    ]
    expect(checksOf(assemble({ attributes: wrongSerial }))['signing-certificate']).toMatchObject({
      subIndication: 'NO_SIGNING_CERTIFICATE_FOUND',
      reason: expect.stringContaining('issuerSerial'),
    })
  })

  it('fails a content-type attribute that differs from eContentType', () => {
    const attributes = [
      attribute(CMS_OIDS.contentType, oid('1.2.840.113549.1.9.16.1.31')),
      attribute(CMS_OIDS.messageDigest, octets(sha('sha256', content))),
      attribute(CMS_OIDS.signingCertificateV2, signingCertificate(2, rsa.der)),
    ]
    expect(checksOf(assemble({ attributes }))['content-type']).toMatchObject({ status: 'fail', subIndication: 'FORMAT_FAILURE' })
  })

  it.each([
    ['Ed25519', () => ed25519, SHA512, 'sha512', '1.3.101.112'],
    ['Ed448', () => ed448, SHAKE256, 'shake256', '1.3.101.113'],
  ] as const)(
    'verifies %s over the signed attributes (RFC 8419), and fails it when one byte changes',
    (name, key, digestOid, hash, signatureOid) => {
      const signer = key()
      const digest =
        hash === 'shake256' ? new Uint8Array(createHash('shake256', { outputLength: 64 }).update(content).digest()) : sha(hash, content)
      const attributes = [
        attribute(CMS_OIDS.contentType, oid(CMS_OIDS.data)),
        attribute(CMS_OIDS.messageDigest, octets(digest)),
        attribute(CMS_OIDS.signingCertificateV2, signingCertificate(2, signer.der)),
      ]
      const der = assemble({ attributes, signer, digestOid, signatureOid })
      expect(parseCms(der).signer.signatureAlgorithm.scheme).toBe(name)
      expect(Object.values(checksOf(der)).map((check) => check.status)).toEqual(['pass', 'pass', 'pass', 'pass'])
      const tampered = Uint8Array.from(der)
      tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01
      expect(checksOf(tampered).signature).toMatchObject({ status: 'fail', subIndication: 'SIG_CRYPTO_FAILURE' })
      // RFC 8419 §3 pairs each curve with one digest: another is a cryptographic constraint, not a broken signature.
      const mismatched = assemble({
        attributes: [...attributes.slice(0, 1), attribute(CMS_OIDS.messageDigest, octets(sha('sha256', content))), ...attributes.slice(2)],
        signer,
        digestOid: SHA256,
        signatureOid,
      })
      expect(checksOf(mismatched).signature).toMatchObject({ status: 'indeterminate', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' })
    },
  )
})
