import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { createTestPki, type TestCredential, type TestPki } from '../testing/pki.js'
import { rawCertificate, type RawExtension } from '../testing/raw-certificate.js'
import { describeCertificate } from '../x509/describe.js'
import { readCertificates } from '../x509/pem.js'
import { buildChain, sameName } from './chain.js'
import type { Check } from '../verdicts.js'

const NOW = new Date('2026-01-15T12:00:00Z')
const HOUR = 3_600_000
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }

let pki: TestPki
let rootSubject: string
let intermediateSubject: string

beforeAll(async () => {
  pki = await createTestPki({ now: NOW })
  rootSubject = describeCertificate(pki.root.certificate).subject
  intermediateSubject = describeCertificate(pki.intermediate.certificate).subject
})

const options = (extra: Partial<Parameters<typeof buildChain>[1]> = {}): Parameters<typeof buildChain>[1] => ({
  anchors: [pki.root.certificate],
  intermediates: [pki.intermediate.certificate],
  at: NOW,
  ...extra,
})

const find = (checks: readonly Check[], id: string, status?: Check['status']): Check[] =>
  checks.filter((check) => check.id === id && (status === undefined || check.status === status))

/** A certificate for a fresh P-256 key, issued with the key (RSA or P-256) of `issuer`. */
async function issueBy(
  issuer: TestCredential,
  subject: string,
  extensions: x509.Extension[] = [],
  validity = { notBefore: new Date(NOW.getTime() - HOUR), notAfter: new Date(NOW.getTime() + 24 * HOUR) },
): Promise<TestCredential> {
  const issuerCert = new x509.X509Certificate(Uint8Array.from(issuer.certificate))
  const ec = issuer.key.type === 'EC'
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    Uint8Array.from(issuer.privateKey),
    ec ? { name: 'ECDSA', namedCurve: 'P-256' } : RSA,
    false,
    ['sign'],
  )
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '4a' + Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex'),
      subject,
      issuer: issuerCert.subjectName,
      ...validity,
      signingAlgorithm: ec ? { name: 'ECDSA', hash: 'SHA-256' } : RSA,
      publicKey: keys.publicKey,
      signingKey,
      extensions,
    },
    crypto,
  )
  return {
    certificate: new Uint8Array(cert.rawData),
    privateKey: new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    key: { type: 'EC', curve: 'P-256', size: 256 },
  }
}

describe('buildChain on the test PKI', () => {
  it.each(['signature-rsa2048', 'signature-rsa3072', 'signature-ec-p256', 'authentication-rsa2048', 'revoked-rsa2048'] as const)(
    'builds root ← intermediate ← %s and passes',
    (name) => {
      const leaf = pki.leaf(name).certificate
      const result = buildChain(leaf, options())
      expect(result.status).toBe('pass')
      expect(result.chain.map((element) => element.subject)).toEqual([describeCertificate(leaf).subject, intermediateSubject, rootSubject])
      expect(result.chain[0]?.der).toEqual(leaf)
      expect(find(result.checks, 'chain.signature', 'pass')).toHaveLength(2)
      expect(result.checks.every((check) => check.status === 'pass')).toBe(true)
    },
  )

  it('fails an expired leaf, saying when it expired', () => {
    const leaf = pki.leaf('expired-rsa2048').certificate
    const result = buildChain(leaf, options())
    expect(result.status).toBe('fail')
    const [expired] = find(result.checks, 'validity.notAfter', 'fail')
    expect(expired?.subIndication).toBe('EXPIRED')
    expect(expired?.reason).toContain(`expired on ${describeCertificate(leaf).notAfter.toISOString()}`)
    expect(expired?.subject).toBe(describeCertificate(leaf).subject)
  })

  it('fails a leaf checked before its notBefore as not yet valid', () => {
    const leaf = pki.leaf('signature-rsa2048').certificate
    const result = buildChain(leaf, options({ at: new Date(NOW.getTime() - 2 * HOUR) }))
    expect(result.status).toBe('fail')
    const [early] = find(result.checks, 'validity.notBefore', 'fail')
    expect(early?.reason).toContain(`not yet valid: valid from ${describeCertificate(leaf).notBefore.toISOString()}`)
  })

  it('is indeterminate when the issuer is missing, and names it', () => {
    const result = buildChain(pki.leaf('signature-rsa2048').certificate, options({ intermediates: [] }))
    expect(result.status).toBe('indeterminate')
    expect(result.checks).toEqual([
      expect.objectContaining({
        id: 'chain.build',
        status: 'indeterminate',
        reason: `no path to a trust anchor: issuer '${intermediateSubject}' not found`,
      }),
    ])
    expect(result.chain).toHaveLength(1)
  })

  it('is indeterminate with a wrong trust anchor, naming the root that was not found', () => {
    const wrong = readCertificates(
      readFileSync('fixtures/policy/Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68.pem'),
    )
    const result = buildChain(pki.leaf('signature-rsa2048').certificate, options({ anchors: wrong }))
    expect(result.status).toBe('indeterminate')
    expect(find(result.checks, 'chain.build')[0]?.reason).toBe(`no path to a trust anchor: issuer '${rootSubject}' not found`)
    expect(result.chain.map((element) => element.subject)).toEqual([expect.any(String), intermediateSubject])
  })

  it('fails on chain.signature when a byte of the signature is flipped', () => {
    const tampered = Uint8Array.from(pki.leaf('signature-rsa2048').certificate)
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01
    const result = buildChain(tampered, options())
    expect(result.status).toBe('indeterminate')
    // A path that does not validate leaves the chain undecided (EN 319 102-1 §5.2.6): CERTIFICATE_CHAIN_GENERAL_FAILURE.
    const [bad] = find(result.checks, 'chain.signature', 'indeterminate')
    expect(bad?.subIndication).toBe('CERTIFICATE_CHAIN_GENERAL_FAILURE')
    expect(bad?.subject).toBe(describeCertificate(tampered).subject)
    expect(bad?.reason).toBe(`signature does not verify with the key of '${intermediateSubject}'`)
  })

  it('fails when the issuer is not a CA (a leaf used to issue a certificate)', async () => {
    const leaf = pki.leaf('signature-rsa2048')
    const leafSki = describeCertificate(leaf.certificate).subjectKeyIdentifier ?? ''
    const victim = await issueBy(leaf, 'CN=issued by an end entity (TEST)', [new x509.AuthorityKeyIdentifierExtension(leafSki)])
    const result = buildChain(victim.certificate, options({ intermediates: [leaf.certificate, pki.intermediate.certificate] }))
    expect(result.status).toBe('indeterminate')
    expect(result.chain).toHaveLength(4)
    const leafSubject = describeCertificate(leaf.certificate).subject
    expect(find(result.checks, 'issuer.basicConstraints', 'indeterminate')).toEqual([
      expect.objectContaining({ subject: leafSubject, reason: expect.stringContaining('not a CA') }),
    ])
    expect(find(result.checks, 'issuer.keyUsage', 'indeterminate')[0]?.reason).toContain('lacks keyCertSign (nonRepudiation)')
    // The signature itself is genuine: only the issuer's role is wrong.
    expect(find(result.checks, 'chain.signature', 'indeterminate')).toHaveLength(0)
  })

  it("fails when a CA below the intermediate breaks the intermediate's pathLenConstraint 0", async () => {
    const sub = await issueBy(pki.intermediate, 'CN=sub CA (TEST)', [new x509.BasicConstraintsExtension(true, undefined, true)])
    const leaf = await issueBy(sub, 'CN=below the sub CA (TEST)')
    const result = buildChain(leaf.certificate, options({ intermediates: [sub.certificate, pki.intermediate.certificate] }))
    expect(result.status).toBe('indeterminate')
    expect(find(result.checks, 'issuer.pathLength', 'indeterminate')).toEqual([
      expect.objectContaining({ subject: intermediateSubject, reason: '1 CA certificate(s) below, more than its pathLenConstraint 0' }),
    ])
  })

  it('fails a certificate with a critical extension it does not understand', async () => {
    const odd = await issueBy(pki.intermediate, 'CN=odd critical extension (TEST)', [
      new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([5, 0])),
    ])
    const result = buildChain(odd.certificate, options())
    expect(result.status).toBe('indeterminate')
    expect(find(result.checks, 'extensions.critical', 'indeterminate')[0]).toMatchObject({
      subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
      reason: expect.stringContaining('1.3.6.1.4.1.99999.1'),
    })
  })

  it('tries every same-named candidate: a renewed CA with another key is passed over', async () => {
    // Same name as the real intermediate, another key, no key identifiers: only the signature tells them apart.
    const renewed = await issueBy(pki.root, intermediateSubject, [new x509.BasicConstraintsExtension(true, 0, true)], {
      notBefore: new Date(NOW.getTime() - HOUR),
      notAfter: new Date(NOW.getTime() + 365 * 24 * HOUR),
    })
    expect(sameName(describeCertificate(renewed.certificate).subject, intermediateSubject)).toBe(true)
    const leaf = pki.leaf('signature-rsa2048').certificate
    const result = buildChain(leaf, options({ intermediates: [renewed.certificate, pki.intermediate.certificate] }))
    expect(result.status).toBe('pass')
    expect(result.chain[1]?.der).toEqual(pki.intermediate.certificate)
  })

  it('trusts an expired anchor as given, with a warning (as DSS does)', () => {
    const expired = pki.leaf('expired-rsa2048').certificate
    const result = buildChain(expired, options({ anchors: [expired] }))
    expect(result.status).toBe('warning')
    expect(result.chain).toHaveLength(1)
    expect(find(result.checks, 'validity.notAfter', 'warning')[0]?.reason).toMatch(/^trust anchor expired on .*not blocking/)
  })

  it('stops at maxDepth', () => {
    const result = buildChain(pki.leaf('signature-rsa2048').certificate, options({ maxDepth: 2 }))
    expect(result.status).toBe('indeterminate')
    expect(result.checks[0]?.reason).toBe('no path to a trust anchor: no trust anchor within 2 certificates')
  })

  it('gives a JSON-serialisable result with ISO dates', () => {
    const result = buildChain(pki.leaf('signature-rsa2048').certificate, options())
    const json = JSON.parse(JSON.stringify({ checks: result.checks, chain: result.chain.map(({ der: _der, ...rest }) => rest) })) as {
      chain: { notAfter: string }[]
    }
    expect(json.chain[2]?.notAfter).toBe(describeCertificate(pki.root.certificate).notAfter.toISOString())
  })

  it('throws USAGE for an invalid date and CERTIFICATE_MALFORMED for bytes that are not a certificate', () => {
    expect(() => buildChain(pki.leaf('signature-rsa2048').certificate, options({ at: new Date('nope') }))).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    )
    try {
      buildChain(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), options())
      expect.unreachable()
    } catch (err) {
      expect(isSceauError(err, 'CERTIFICATE_MALFORMED')).toBe(true)
    }
  })
})

describe('buildChain on certificates with extensions that cannot be decoded', () => {
  const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
  const validity = { notBefore: new Date(NOW.getTime() - HOUR), notAfter: new Date(NOW.getTime() + 24 * HOUR) }
  const CA = { oid: '2.5.29.19', critical: true, value: hex('30030101ff') } // basicConstraints cA
  const KEY_CERT_SIGN = { oid: '2.5.29.15', critical: true, value: hex('03020106') } // keyCertSign, cRLSign
  const ca = (subject: string, extensions: RawExtension[]) => rawCertificate({ subject, issuer: pki.root, ...validity, extensions })
  const leafOf = (issuer: { certificate: Uint8Array; privateKey: Uint8Array }, extensions: RawExtension[] = []) =>
    rawCertificate({ subject: 'CN=TEST leaf, O=sceau TEST, C=FR', issuer, ...validity, extensions }).certificate

  it('leaves the path undecided when a CA’s keyUsage cannot be decoded (RFC 5280 §6.1.4 (n) cannot be checked)', () => {
    const issuer = ca('CN=TEST CA with a NULL keyUsage, C=FR', [CA, { oid: '2.5.29.15', critical: true, value: hex('0500') }])
    const result = buildChain(leafOf(issuer), options({ intermediates: [issuer.certificate] }))
    expect(result.status).toBe('indeterminate')
    expect(result.chain).toHaveLength(3)
    expect(find(result.checks, 'issuer.keyUsage')).toEqual([
      expect.objectContaining({
        status: 'indeterminate',
        subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
        reason: "its keyUsage cannot be decoded, so whether it may issue 'CN=TEST leaf, O=sceau TEST, C=FR' is unknown",
      }),
    ])
    // It is critical, too: an extension that cannot be processed (RFC 5280 §4.2).
    expect(find(result.checks, 'extensions.critical', 'indeterminate')).toEqual([
      expect.objectContaining({
        subject: 'CN=TEST CA with a NULL keyUsage, C=FR',
        subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
        reason: 'critical extension(s) that cannot be decoded: keyUsage (2.5.29.15)',
      }),
    ])
  })

  it('leaves the path undecided when a CA’s basicConstraints cannot be decoded', () => {
    const issuer = ca('CN=TEST CA with a bare BOOLEAN basicConstraints, C=FR', [{ oid: '2.5.29.19', value: hex('0101ff') }, KEY_CERT_SIGN])
    const result = buildChain(leafOf(issuer), options({ intermediates: [issuer.certificate] }))
    expect(result.status).toBe('indeterminate')
    expect(find(result.checks, 'issuer.basicConstraints')).toEqual([
      expect.objectContaining({ status: 'indeterminate', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE' }),
    ])
    expect(find(result.checks, 'extensions.undecodable')[0]?.reason).toBe(
      'extension(s) that cannot be decoded, whose facts are unknown: basicConstraints (2.5.29.19)',
    )
  })

  it('is undecided on a leaf with a critical subjectAltName that cannot be decoded, and only warns for a non-critical EKU', () => {
    const issuer = ca('CN=TEST CA, C=FR', [CA, KEY_CERT_SIGN])
    const san = leafOf(issuer, [{ oid: '2.5.29.17', critical: true, value: hex('3003020101') }])
    const critical = buildChain(san, options({ intermediates: [issuer.certificate] }))
    expect(critical.status).toBe('indeterminate')
    expect(find(critical.checks, 'extensions.critical', 'indeterminate')[0]).toMatchObject({
      subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
      reason: 'critical extension(s) that cannot be decoded: subjectAltName (2.5.29.17)',
    })
    const eku = leafOf(issuer, [{ oid: '2.5.29.37', value: hex('0603550403') }])
    const minor = buildChain(eku, options({ intermediates: [issuer.certificate] }))
    expect(minor.status).toBe('warning')
    expect(find(minor.checks, 'extensions.undecodable', 'warning')).toHaveLength(1)
  })

  it('leaves out intermediates and anchors that cannot be read, names them, and still builds the path', () => {
    const truncated = pki.intermediate.certificate.subarray(0, 100)
    const result = buildChain(pki.leaf('signature-rsa2048').certificate, {
      anchors: [new Uint8Array([0x30, 0x00]), pki.root.certificate],
      intermediates: [truncated, pki.intermediate.certificate],
      at: NOW,
    })
    expect(result.chain).toHaveLength(3)
    expect(result.status).toBe('warning')
    expect(find(result.checks, 'chain.candidates')).toEqual([
      expect.objectContaining({
        status: 'warning',
        reason: expect.stringMatching(
          /^2 certificate\(s\) given cannot be read and were left out: trust anchor #1 \(.+\); intermediate #1 \(/,
        ),
      }),
    ])
  })
})

describe('buildChain on a real French chain', () => {
  const read = (name: string): Uint8Array => {
    const [der] = readCertificates(readFileSync(`fixtures/policy/${name}.pem`))
    if (der === undefined) throw new Error(`no certificate in ${name}`)
    return der
  }
  const jorry = (): Uint8Array => read('Mathieu-JORRY-3310003898jm__3727ba76')
  const ants3 = (): Uint8Array => read('Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68')
  const ants2 = (): Uint8Array => read('Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__75b7cc2e')
  const at = new Date('2023-06-01T00:00:00Z')

  it('passes the ANTS agent certificate with the ANTS "Personnes AAE" CA (serialNumber=3) as anchor', () => {
    const result = buildChain(jorry(), { anchors: [ants2(), ants3()], at })
    expect(result.status).toBe('pass')
    expect(result.chain.map((element) => element.subject)).toEqual([
      describeCertificate(jorry()).subject,
      describeCertificate(ants3()).subject,
    ])
    expect(find(result.checks, 'chain.signature', 'pass')).toHaveLength(1)
  })

  it('is indeterminate with the previous generation of that CA only', () => {
    const result = buildChain(jorry(), { anchors: [ants2()], at })
    expect(result.status).toBe('indeterminate')
    expect(result.checks[0]?.reason).toContain(`issuer '${describeCertificate(jorry()).issuer}' not found`)
  })

  it('fails it after its expiry (2024-11-23)', () => {
    const result = buildChain(jorry(), { anchors: [ants3()], at: new Date('2025-01-01T00:00:00Z') })
    expect(result.status).toBe('fail')
    expect(find(result.checks, 'validity.notAfter', 'fail')[0]?.reason).toContain('expired on 2024-11-23T23:03:12.000Z')
  })
})
