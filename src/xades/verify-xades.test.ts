// The issuer a XAdES SigningCertificate (and a KeyInfo X509IssuerSerial) writes is compared with the certificate's
// as a distinguished name (RFC 5280 §7.1), not as a string: RDNs written in DER order, other spacing or case, a
// value given as #hex in another string type all name the same issuer. The real PESALR2 signer certificate's
// issuer is CN (PrintableString), DC, DC (IA5String).

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { indexDocument } from '../xml/index-document.js'
import { readSignature, type ReadSignature } from './read-signature.js'
import { pickCertificate, xadesChecks } from './verify-xades.js'

const FLOW = readFileSync(new URL('../../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url))
const TEST_PERIME = readFileSync(new URL('../../fixtures/pes/test-perime-04-04-2016.xml', import.meta.url))

function signatureOf(bytes: Buffer): ReadSignature {
  const index = indexDocument(bytes)
  return readSignature(bytes, index.encoding, index.signatures[0] as NonNullable<(typeof index.signatures)[0]>)
}

function withIssuer(read: ReadSignature, issuerName: string): ReadSignature {
  const xades = read.xades as NonNullable<ReadSignature['xades']>
  return { ...read, xades: { ...xades, signingCertificates: xades.signingCertificates.map((ref) => ({ ...ref, issuerName })) } }
}

function signingCertificateStatus(read: ReadSignature): string | undefined {
  return xadesChecks(read, [], read.keyInfoCertificates[0], true).find((check) => check.id === 'xades.signing-certificate')?.status
}

describe('XAdES SigningCertificate X509IssuerName compared as a name', () => {
  const read = signatureOf(FLOW)

  it('as written by the signer (RFC 2253 order)', () => {
    expect(read.xades?.signingCertificates[0]?.issuerName).toBe('CN=berger-levrault-DC1LABL-CA,DC=berger-levrault,DC=net')
    expect(signingCertificateStatus(read)).toBe('pass')
  })

  for (const [what, issuer] of [
    ['RDNs in DER order', 'DC=net,DC=berger-levrault,CN=berger-levrault-DC1LABL-CA'],
    ['other spacing and case', 'cn = Berger-Levrault-DC1LABL-CA ,  dc=Berger-Levrault, DC=NET'],
    [
      'the CN as #hex of a UTF8String, where the certificate has a PrintableString',
      'CN=#0c1a6265726765722d6c65767261756c742d4443314c41424c2d4341,DC=berger-levrault,DC=net',
    ],
  ] as const) {
    it(`the same issuer with ${what}`, () => {
      expect(signingCertificateStatus(withIssuer(read, issuer))).toBe('pass')
    })
  }

  for (const [what, issuer] of [
    ['another CN', 'CN=berger-levrault-OTHER-CA,DC=berger-levrault,DC=net'],
    ['an RDN missing', 'CN=berger-levrault-DC1LABL-CA,DC=net'],
  ] as const) {
    it(`another issuer: ${what}`, () => {
      expect(signingCertificateStatus(withIssuer(read, issuer))).toBe('fail')
    })
  }
})

describe('KeyInfo X509IssuerSerial names the signer among several certificates', () => {
  it('picks the certificate whose issuer (as a name) and serial match, whatever the order in KeyInfo', () => {
    const first = signatureOf(FLOW)
    const second = signatureOf(TEST_PERIME)
    const signer = second.keyInfoCertificates[0] as Uint8Array
    const other = first.keyInfoCertificates[0] as Uint8Array
    const own = second.xades?.signingCertificates[0]
    if (own?.issuerName === undefined || own.serialNumber === undefined) throw new Error('no IssuerSerial in test-perime')
    // No XAdES digest to go by: only KeyInfo's X509IssuerSerial, written with its RDNs reversed.
    const reversed = own.issuerName
      .split(/,(?=[A-Za-z0-9.]+=)/)
      .reverse()
      .join(', ')
    const read: ReadSignature = {
      ...second,
      xades: undefined,
      keyInfoCertificates: [other, signer],
      keyInfoIssuerSerials: [{ issuerName: reversed, serialNumber: own.serialNumber }],
    }
    expect(pickCertificate(read)).toBe(signer)
    expect(pickCertificate({ ...read, keyInfoIssuerSerials: [] })).toBe(other)
  })
})
