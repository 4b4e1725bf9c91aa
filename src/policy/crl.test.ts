import 'reflect-metadata'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { IssuingDistributionPoint } from '@peculiar/asn1-x509'
import * as x509 from '@peculiar/x509'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { createTestPki, type TestCredential, type TestPki } from '../testing/pki.js'
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
