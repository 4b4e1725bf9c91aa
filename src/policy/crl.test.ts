import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { createPrivateKey, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { IssuingDistributionPoint } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { opensslCrl } from '../testing/openssl-crl.js'
import { createTestPki, type TestCredential, type TestPki } from '../testing/pki.js'
import { rawCertificate } from '../testing/raw-certificate.js'
import { readChildren, readTlv } from '../x509/der.js'
import { describeCertificate } from '../x509/describe.js'
import { derToPem } from '../x509/pem.js'
import { checkCrl, MAX_CRL_BYTES, parseCrl } from './crl.js'

const NOW = new Date('2026-01-15T12:00:00Z')
const HOUR = 3_600_000
const DAY = 24 * HOUR
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }

let pki: TestPki
let dir: string
let intermediateSubject: string

beforeAll(async () => {
  pki = await createTestPki({ now: NOW })
  intermediateSubject = describeCertificate(pki.intermediate.certificate).subject
  dir = mkdtempSync(join(tmpdir(), 'sceau-crl-'))
})

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** A CRL in the intermediate's name, signed by `signer`'s RSA key, with the given extensions and entries. */
async function makeCrl(
  signer: TestCredential,
  extensions: x509.Extension[] = [],
  entries: x509.X509CrlEntryParams[] = [],
  issuer: TestCredential = pki.intermediate,
): Promise<Uint8Array> {
  const signingKey = await crypto.subtle.importKey('pkcs8', Uint8Array.from(signer.privateKey), RSA, false, ['sign'])
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: new x509.X509Certificate(Uint8Array.from(issuer.certificate)).subjectName,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 7 * DAY),
      signingAlgorithm: RSA,
      signingKey,
      extensions,
      entries,
    },
    crypto,
  )
  return new Uint8Array(crl.rawData)
}

const leaf = (name: Parameters<TestPki['leaf']>[0]): Uint8Array => pki.leaf(name).certificate

describe('parseCrl', () => {
  it('reads the test CRL: issuer, dates, number, key identifier, the revoked entry', () => {
    const crl = parseCrl(pki.crl)
    const revoked = describeCertificate(leaf('revoked-rsa2048'))
    expect(crl.issuer).toBe(intermediateSubject)
    expect(crl.thisUpdate).toEqual(NOW)
    expect(crl.nextUpdate).toEqual(new Date(NOW.getTime() + 7 * DAY))
    expect(crl.crlNumber).toBe('1')
    expect(crl.authorityKeyIdentifier).toBe(describeCertificate(pki.intermediate.certificate).subjectKeyIdentifier)
    expect(crl.signatureAlgorithm).toBe('1.2.840.113549.1.1.11')
    expect(crl.unsupported).toEqual([])
    expect([...crl.entries.keys()]).toEqual([revoked.serialNumber])
    expect(crl.entries.get(revoked.serialNumber)).toEqual({ revocationDate: new Date(NOW.getTime() - HOUR / 2), reason: 'keyCompromise' })
  })

  it('reads PEM, as a string and as bytes, like DER', () => {
    const pem = derToPem(pki.crl, 'X509 CRL')
    expect(parseCrl(pem).entries).toEqual(parseCrl(pki.crl).entries)
    expect(parseCrl(new TextEncoder().encode(`\n${pem}`)).thisUpdate).toEqual(NOW)
  })

  it('agrees with openssl crl -text on entries and dates', () => {
    const file = join(dir, 'crl.der')
    writeFileSync(file, pki.crl)
    const text = execFileSync('openssl', ['crl', '-in', file, '-inform', 'DER', '-noout', '-text'], { encoding: 'utf8' })
    const opensslDate = (label: string): Date => new Date(new RegExp(`${label}: (.+ GMT)`).exec(text)?.[1] ?? 'missing')
    const crl = parseCrl(pki.crl)
    expect(crl.thisUpdate).toEqual(opensslDate('Last Update'))
    expect(crl.nextUpdate).toEqual(opensslDate('Next Update'))
    const serials = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1]?.toLowerCase())
    expect(serials).toEqual([...crl.entries.keys()])
    const [serial] = serials
    expect(crl.entries.get(serial ?? '')?.revocationDate).toEqual(opensslDate('Revocation Date'))
    expect(text).toMatch(/CRL Reason Code:\s+Key Compromise/)
    expect(text).toMatch(/CRL Number:\s+1\b/)
  })

  it('refuses more than 50 MB with INPUT_TOO_LARGE, and non-CRL bytes with INPUT_MALFORMED', () => {
    expect(() => parseCrl(new Uint8Array(MAX_CRL_BYTES + 1))).toThrow(expect.objectContaining({ code: 'INPUT_TOO_LARGE' }))
    for (const bad of [new Uint8Array([1, 2, 3]), pki.root.certificate, Uint8Array.from([...pki.crl, 0])]) {
      try {
        parseCrl(bad)
        expect.unreachable()
      } catch (err) {
        expect(isSceauError(err, 'INPUT_MALFORMED')).toBe(true)
      }
    }
  })
})

describe('checkCrl', () => {
  it('fails a revoked leaf, with the date and keyCompromise', () => {
    const check = checkCrl(leaf('revoked-rsa2048'), pki.intermediate.certificate, [pki.crl], { at: NOW })
    expect(check).toEqual({
      id: 'revocation.crl',
      status: 'fail',
      subIndication: 'REVOKED',
      subject: describeCertificate(leaf('revoked-rsa2048')).subject,
      reason: `revoked on ${new Date(NOW.getTime() - HOUR / 2).toISOString()} (keyCompromise), according to the CRL of '${intermediateSubject}' issued ${NOW.toISOString()}`,
    })
  })

  it('passes the revoked leaf at a date before its revocation, saying so', () => {
    const check = checkCrl(leaf('revoked-rsa2048'), pki.intermediate.certificate, [pki.crl], { at: new Date(NOW.getTime() - 45 * 60_000) })
    expect(check.status).toBe('pass')
    expect(check.reason).toContain('revoked later, on')
  })

  it('passes a good leaf', () => {
    const check = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [parseCrl(pki.crl)], { at: NOW })
    expect(check.status).toBe('pass')
    expect(check.reason).toBe(
      `not revoked: not on the CRL of '${intermediateSubject}' issued ${NOW.toISOString()} (next update ${new Date(NOW.getTime() + 7 * DAY).toISOString()})`,
    )
  })

  it('is indeterminate after the CRL nextUpdate (stale)', () => {
    const at = new Date(NOW.getTime() + 8 * DAY)
    const check = checkCrl(leaf('revoked-rsa2048'), pki.intermediate.certificate, [pki.crl], { at })
    expect(check.status).toBe('indeterminate')
    expect(check.reason).toContain(`it is stale: its next update was due on ${new Date(NOW.getTime() + 7 * DAY).toISOString()}`)
  })

  it('is indeterminate for a CRL signed by the wrong key (unusable, as in DSS)', async () => {
    const forged = await makeCrl(pki.root)
    const check = checkCrl(leaf('revoked-rsa2048'), pki.intermediate.certificate, [forged], { at: NOW })
    expect(check.status).toBe('indeterminate')
    expect(check.reason).toContain(`its signature does not verify with the key of '${intermediateSubject}'`)
  })

  it('is indeterminate when no CRL comes from the issuer, naming it', async () => {
    const fromRoot = await makeCrl(pki.root, [], [], pki.root)
    for (const crls of [[], [fromRoot]]) {
      const check = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, crls, { at: NOW })
      expect(check).toMatchObject({ status: 'indeterminate', reason: `no CRL from '${intermediateSubject}'` })
    }
  })

  it('says delta and indirect CRLs are not supported rather than misjudging', async () => {
    const delta = await makeCrl(pki.intermediate, [new x509.Extension('2.5.29.27', true, new Uint8Array([2, 1, 1]))])
    const indirect = await makeCrl(pki.intermediate, [
      new x509.Extension('2.5.29.28', true, AsnConvert.serialize(new IssuingDistributionPoint({ indirectCRL: true }))),
    ])
    const deltaCheck = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [delta], { at: NOW })
    expect(deltaCheck.status).toBe('indeterminate')
    expect(deltaCheck.reason).toContain('delta CRL')
    const indirectCheck = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [indirect], { at: NOW })
    expect(indirectCheck.status).toBe('indeterminate')
    expect(indirectCheck.reason).toContain('indirect CRL')
  })

  it('prefers the CRL that proves a revocation, and the most recent otherwise', async () => {
    const empty = await makeCrl(pki.intermediate)
    const check = checkCrl(leaf('revoked-rsa2048'), pki.intermediate.certificate, [empty, pki.crl], { at: NOW })
    expect(check.status).toBe('fail')
  })

  it('is indeterminate for an expired certificate missing from a later CRL without expiredCertsOnCRL', () => {
    const check = checkCrl(leaf('expired-rsa2048'), pki.intermediate.certificate, [pki.crl], { at: new Date(NOW.getTime() - 60 * DAY) })
    expect(check.status).toBe('indeterminate')
    expect(check.reason).toContain('its absence proves nothing')
  })

  it('is indeterminate when the issuer given did not issue the certificate', () => {
    const check = checkCrl(leaf('signature-rsa2048'), pki.root.certificate, [pki.crl], { at: NOW })
    expect(check.status).toBe('indeterminate')
    expect(check.reason).toContain('is not the issuer of this certificate')
  })
})

describe('CRLs other CAs publish', () => {
  const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', undefined, 'affiliationChanged', 'CACompromise'] as const
  const nextUpdate = (): Date => new Date(NOW.getTime() + 7 * DAY)
  /** `count` revoked serials 0x10000000…, plus the test leaf signature-rsa2048 revoked (superseded) in the middle. */
  const bigCrl = (count: number): { der: Uint8Array; serials: string[] } => {
    const serials = Array.from({ length: count }, (_, index) => (0x10000000 + index).toString(16))
    const middle = Math.floor(count / 2)
    serials[middle] = describeCertificate(leaf('signature-rsa2048')).serialNumber
    const der = opensslCrl({
      issuer: pki.intermediate,
      thisUpdate: NOW,
      nextUpdate: nextUpdate(),
      entries: serials.map((serial, index) => ({
        serial,
        revokedAt: new Date(NOW.getTime() - (index + 1) * 1000),
        reason: index === middle ? 'superseded' : reasons[index % reasons.length],
      })),
    })
    return { der, serials }
  }

  it('reads a 5,000-entry CRL made by openssl ca -gencrl, entry for entry as openssl crl -text lists them', () => {
    const { der, serials } = bigCrl(5000)
    expect(der.length).toBeGreaterThan(100_000)
    const crl = parseCrl(der)
    expect(crl.entries.size).toBe(5000)
    expect(crl.unsupported).toEqual([])
    const file = join(dir, 'big.crl')
    writeFileSync(file, der)
    const text = execFileSync('openssl', ['crl', '-in', file, '-inform', 'DER', '-noout', '-text'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    })
    const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1]?.toLowerCase())
    expect([...crl.entries.keys()]).toEqual(listed)
    // openssl writes the entries in its own order (the index sorted by serial): the same set.
    expect([...listed].sort()).toEqual([...serials].sort())
    const blocks = text.split('Serial Number: ').slice(1)
    const opensslReasons = blocks.map((block) => /X509v3 CRL Reason Code:\s*\n\s+(.+)/.exec(block)?.[1]?.trim())
    expect(opensslReasons).toHaveLength(5000)
    const opensslNames: Record<string, string> = {
      'Key Compromise': 'keyCompromise',
      Superseded: 'superseded',
      'Cessation Of Operation': 'cessationOfOperation',
      'Affiliation Changed': 'affiliationChanged',
      'CA Compromise': 'cACompromise',
    }
    expect([...crl.entries.values()].map((entry) => entry.reason)).toEqual(
      opensslReasons.map((name) => (name === undefined ? undefined : opensslNames[name])),
    )
  })

  it('finds revoked and not revoked certificates in a 200,000-entry CRL (6.8 MB), which asn1js’s node cap refused', () => {
    const { der, serials } = bigCrl(200_000)
    const crl = parseCrl(der)
    expect(crl.entries.size).toBe(200_000)
    for (const serial of [serials[0], serials[99_999], serials[199_999]]) expect(crl.entries.has(serial ?? '')).toBe(true)
    expect(crl.entries.has('0fffffff')).toBe(false)
    expect(crl.entries.get(serials[1] ?? '')).toEqual({ revocationDate: new Date(NOW.getTime() - 2000), reason: 'superseded' })
    const revoked = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [crl], { at: NOW })
    expect(revoked).toMatchObject({ status: 'fail', subIndication: 'REVOKED', reason: expect.stringContaining('(superseded)') })
    const good = checkCrl(leaf('signature-ec-p256'), pki.intermediate.certificate, [crl], { at: NOW })
    expect(good.status).toBe('pass')
  })

  /** The CRL with its first reasonCode ENUMERATED set to `code`, signed again by the intermediate. */
  const withReasonCode = (der: Uint8Array, code: number): Uint8Array => {
    const bytes = Buffer.from(der)
    // The reasonCode extension: OID 2.5.29.21, OCTET STRING { ENUMERATED }.
    const at = bytes.indexOf(Buffer.from('0603551d1504030a01', 'hex'))
    expect(at).toBeGreaterThan(0)
    bytes[at + 9] = code
    return resign(bytes, pki.intermediate.privateKey)
  }

  it('reads a CRL entry with reason code 7 (unused in RFC 5280) as revoked for an unknown reason, as OpenSSL does', () => {
    const serial = describeCertificate(leaf('signature-rsa2048')).serialNumber
    const base = opensslCrl({
      issuer: pki.intermediate,
      thisUpdate: NOW,
      nextUpdate: nextUpdate(),
      entries: [{ serial, revokedAt: new Date(NOW.getTime() - HOUR), reason: 'keyCompromise' }],
    })
    for (const code of [7, 11, 200]) {
      const der = withReasonCode(base, code)
      // OpenSSL still verifies the re-signed CRL against the intermediate.
      const file = join(dir, `reason-${code}.crl`)
      writeFileSync(file, der)
      writeFileSync(join(dir, 'intermediate.pem'), derToPem(pki.intermediate.certificate))
      const verified = execFileSync('openssl', ['crl', '-in', file, '-inform', 'DER', '-noout', '-CAfile', join(dir, 'intermediate.pem')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      expect(verified + '').toBe('')
      expect(parseCrl(der).entries.get(serial)).toEqual({
        revocationDate: new Date(NOW.getTime() - HOUR),
        unrecognisedReason: `code ${code}`,
      })
      const check = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [der], { at: NOW })
      expect(check).toMatchObject({
        status: 'fail',
        subIndication: 'REVOKED',
        reason: expect.stringContaining(`(reason unknown: code ${code}, which RFC 5280 §5.3.1 does not define)`),
      })
    }
  })

  it('leaves a certificate on hold undecided (TRY_LATER), not revoked, and lets the most recent CRL speak', () => {
    const serial = describeCertificate(leaf('signature-rsa2048')).serialNumber
    const held = opensslCrl({
      issuer: pki.intermediate,
      thisUpdate: NOW,
      nextUpdate: nextUpdate(),
      entries: [{ serial, revokedAt: new Date(NOW.getTime() - HOUR), reason: 'certificateHold' }],
    })
    expect(parseCrl(held).entries.get(serial)?.reason).toBe('certificateHold')
    const check = checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [held], { at: NOW })
    expect(check).toMatchObject({
      status: 'indeterminate',
      subIndication: 'TRY_LATER',
      reason: expect.stringMatching(/^suspended \(on hold\) since/),
    })
    // The hold lifted: a later CRL no longer lists it.
    const lifted = opensslCrl({
      issuer: pki.intermediate,
      thisUpdate: new Date(NOW.getTime() + HOUR),
      nextUpdate: nextUpdate(),
      entries: [],
    })
    expect(
      checkCrl(leaf('signature-rsa2048'), pki.intermediate.certificate, [held, lifted], { at: new Date(NOW.getTime() + 2 * HOUR) }).status,
    ).toBe('pass')
  })

  it('does not use a CRL whose issuer’s keyUsage cannot be decoded (cRLSign unknown)', async () => {
    const validity = { notBefore: new Date(NOW.getTime() - DAY), notAfter: new Date(NOW.getTime() + DAY) }
    const ca = rawCertificate({
      subject: 'CN=TEST CA whose keyUsage is a NULL, C=FR',
      issuer: pki.root,
      ...validity,
      extensions: [
        { oid: '2.5.29.19', critical: true, value: Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0xff) },
        { oid: '2.5.29.15', critical: true, value: Uint8Array.of(0x05, 0x00) },
      ],
    })
    const child = rawCertificate({ subject: 'CN=TEST child, C=FR', issuer: ca, ...validity, extensions: [] }).certificate
    // openssl ca refuses to sign with a CA whose extensions it cannot decode; the CA's own key signs here.
    const signingKey = await crypto.subtle.importKey(
      'pkcs8',
      Uint8Array.from(ca.privateKey),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    )
    const crl = new Uint8Array(
      (
        await x509.X509CrlGenerator.create({
          issuer: describeCertificate(ca.certificate).subject,
          thisUpdate: NOW,
          nextUpdate: nextUpdate(),
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
          signingKey,
          entries: [],
        })
      ).rawData,
    )
    const check = checkCrl(child, ca.certificate, [crl], { at: NOW })
    expect(check).toMatchObject({
      status: 'indeterminate',
      subIndication: 'TRY_LATER',
      reason: expect.stringContaining("the keyUsage of 'CN=TEST CA whose keyUsage is a NULL, C=FR' cannot be decoded"),
    })
  })
})

/** `der` (a CRL) with its signature made again over its tbsCertList, with the PKCS#8 RSA key given. */
function resign(der: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const outer = readTlv(der, 0)
  const [tbs, algorithm] = outer === undefined ? [] : (readChildren(der, outer) ?? [])
  if (tbs === undefined || algorithm === undefined) throw new Error('not a CRL')
  const key = createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' })
  const signature = sign('sha256', der.subarray(tbs.start, tbs.end), key)
  const tlv = (tag: number, content: Uint8Array): Buffer => {
    const length =
      content.length < 0x80
        ? [content.length]
        : content.length < 0x10000
          ? [0x82, content.length >> 8, content.length & 0xff]
          : [0x83, content.length >> 16, (content.length >> 8) & 0xff, content.length & 0xff]
    return Buffer.concat([Buffer.from([tag, ...length]), content])
  }
  return new Uint8Array(
    tlv(
      0x30,
      Buffer.concat([
        der.subarray(tbs.start, tbs.end),
        der.subarray(algorithm.start, algorithm.end),
        tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
      ]),
    ),
  )
}
