import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { rawCertificate } from '../testing/raw-certificate.js'
import { describeCertificate } from './describe.js'
import { readCertificates } from './pem.js'

// Real certificates (fixtures/certs/SOURCES.md); expected values read with `openssl x509 -noout -text`.
const fixture = (name: string): Uint8Array => {
  const [der] = readCertificates(readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url)))
  if (der === undefined) throw new Error(`no certificate in ${name}`)
  return der
}
const AGENT = fixture('Mathieu-JORRY-3310003898jm__3727ba76.pem')
const SEAL = fixture('CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem')
const ANTS_CA = fixture('Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68.pem')
const UNIVERSIGN_ROOT = fixture('Universign-Primary-CA-hardware__0a373229.pem')

describe('describeCertificate on a real ANTS agent certificate (eIDAS QC, QSCD, RGS***)', () => {
  const info = describeCertificate(AGENT)

  it('reads names, serial and validity as openssl prints them', () => {
    expect(info.subject).toBe('C=FR, O=ANTS, OU=0002 130007669, CN=Mathieu JORRY 3310003898jm, G=Mathieu, SN=JORRY')
    expect(info.issuer).toBe(
      'C=FR, O=Agence Nationale des Titres Sécurisés, OU=0002 130003262, CN=Autorité de Certification Personnes AAE, 2.5.4.5=3',
    )
    expect(info.subjectCommonName).toBe('Mathieu JORRY 3310003898jm')
    expect(info.subjectOrganization).toBe('ANTS')
    expect(info.subjectSerialNumber).toBeUndefined()
    expect(info.organizationIdentifier).toBeUndefined()
    expect(info.serialNumber).toBe('112169aa276c5fb2690c988851af9de25147')
    expect(info.notBefore.toISOString()).toBe('2021-11-23T23:03:12.000Z')
    expect(info.notAfter.toISOString()).toBe('2024-11-23T23:03:12.000Z')
    expect(info.fingerprintSha256).toBe('3727ba76a8555c3eeab14bf0ce6ba97d42c642f8a2de6b243d55559a65de4b8a')
  })

  it('reads key usage, policies and QC statements', () => {
    expect(info.keyUsage).toEqual(['nonRepudiation'])
    expect(info.keyUsageCritical).toBe(true)
    expect(info.extendedKeyUsage).toEqual([])
    expect(info.policies).toEqual(['1.2.250.1.200.3.1.2.3.2'])
    expect(info.qcStatements).toEqual({
      compliance: true,
      sscd: true,
      types: ['esign'],
      legislation: [],
      pds: [],
      semanticsIds: [],
      statementIds: ['0.4.0.1862.1.1', '0.4.0.1862.1.4', '0.4.0.1862.1.6'],
    })
    expect(info.criticalExtensions).toEqual(['2.5.29.15'])
  })

  it('reads the key, identifiers and revocation locations', () => {
    expect(info.publicKey).toEqual({ type: 'RSA', size: 2048 })
    expect(info.isCA).toBe(false)
    expect(info.pathLength).toBeUndefined()
    expect(info.subjectKeyIdentifier).toBe('3babb92fca5459eecddaaf03b1a82366a4141daa')
    expect(info.authorityKeyIdentifier).toBe('f5527d0eb2697e700b043787d6500d26a70ba483')
    expect(info.crlDistributionPoints).toEqual(['http://crl.ants.gouv.fr/antsav3/ac_personnes_aae_3.crl'])
    expect(info.ocspUrls).toEqual(['http://ocsp.ants.gouv.fr/antsav3/ac_personnes_aae_3'])
    expect(info.caIssuers).toEqual(['http://sp.ants.gouv.fr/antsav3/ac_personnes_aae_3.cer'])
    expect(info.subjectAltNames).toEqual([{ type: 'email', value: 'mathieu.jorry@ssi.gouv.fr' }])
    expect(info.undecodable).toEqual([])
  })

  it('is chained to the real ANTS CA by key identifier', () => {
    expect(info.authorityKeyIdentifier).toBe(describeCertificate(ANTS_CA).subjectKeyIdentifier)
  })
})

describe('describeCertificate on a real CertEurope eIDAS seal', () => {
  const info = describeCertificate(SEAL)

  it('reads QcPDS, QcRetentionPeriod and QcType eseal', () => {
    expect(info.qcStatements).toEqual({
      compliance: true,
      sscd: false,
      types: ['eseal'],
      legislation: [],
      pds: [{ url: 'https://uk.certeurope.fr/trust-chain', language: 'EN' }],
      retentionPeriod: 7,
      semanticsIds: [],
      statementIds: ['0.4.0.1862.1.1', '0.4.0.1862.1.3', '0.4.0.1862.1.5', '0.4.0.1862.1.6'],
    })
    expect(info.keyUsage).toEqual(['digitalSignature', 'nonRepudiation'])
    expect(info.policies).toEqual(['1.2.250.1.105.24.411.2.2.1.1.0', '0.4.0.194112.1.1'])
  })

  it('reads organizationIdentifier and every OCSP and CRL location', () => {
    expect(info.subject).toBe('C=FR, O=ClearBUS, OU=0002 509608352, CN=CLEARBUS - CACHET SRE 001, 2.5.4.97=NTRFR-509608352')
    expect(info.organizationIdentifier).toBe('NTRFR-509608352')
    expect(info.serialNumber).toBe('79178b28fe65fe2a985cc0cd32e7c4c6')
    expect(info.subjectKeyIdentifier).toBe('4a41a6cc868503b2')
    expect(info.authorityKeyIdentifier).toBe('448dfc15116b1931')
    expect(info.ocspUrls).toEqual(['http://ocsp1.corp.certeurope.fr', 'http://ocsp2.corp.certeurope.fr'])
    expect(info.caIssuers).toEqual(['http://www.certeurope.fr/reference/eid_corp.crt'])
    expect(info.crlDistributionPoints).toEqual([
      'http://www.certeurope.fr/reference/certeurope_eid_corp.crl',
      'ldap://lcr1.certeurope.fr/cn=CertEurope%20eID%20Corp,ou=0002%20434202180,o=Certeurope,c=FR?certificateRevocationList',
      'ldap://lcr2.certeurope.fr/cn=CertEurope%20eID%20Corp,ou=0002%20434202180,o=Certeurope,c=FR?certificateRevocationList',
    ])
  })
})

describe('describeCertificate on real CA certificates', () => {
  it('reads the ANTS issuing CA', () => {
    const info = describeCertificate(ANTS_CA)
    expect(info.isCA).toBe(true)
    expect(info.pathLength).toBe(0)
    expect(info.keyUsage).toEqual(['keyCertSign', 'cRLSign'])
    expect(info.policies).toEqual(['2.5.29.32.0'])
    expect(info.qcStatements).toBeNull()
    expect(info.subjectSerialNumber).toBe('3')
    expect(info.subjectCommonName).toBe('Autorité de Certification Personnes AAE')
    expect(info.notAfter.toISOString()).toBe('2025-03-28T00:00:00.000Z')
    expect(info.criticalExtensions).toEqual(['2.5.29.19', '2.5.29.15'])
    expect(info.fingerprintSha256).toBe('6daa8f68decb799b6126e6fc3b25d90ca79b965ebaec07a3b2dd79e44117d697')
  })

  it('reads a self-signed root without AKI, and a serial whose DER has a sign octet', () => {
    const info = describeCertificate(UNIVERSIGN_ROOT)
    expect(info.subject).toBe(info.issuer)
    expect(info.isCA).toBe(true)
    expect(info.pathLength).toBeUndefined()
    expect(info.authorityKeyIdentifier).toBeUndefined()
    expect(info.subjectKeyIdentifier).toBe('4dd9fca82dc7c85aa4ad5f49ae68a4dc9e8a1222')
    expect(info.policies).toEqual([])
    expect(info.crlDistributionPoints).toEqual([])
    expect(info.ocspUrls).toEqual([])
    // openssl -serial prints C32E…; the DER INTEGER is 00 C3 2E….
    expect(info.serialNumber).toBe('c32e08bdf59771b2c4ad6663005957f4')
  })

  it('agrees with Node’s X509Certificate on serial and fingerprint for every fixture', () => {
    for (const der of [AGENT, SEAL, ANTS_CA, UNIVERSIGN_ROOT]) {
      const node = new X509Certificate(der)
      const info = describeCertificate(der)
      expect(info.serialNumber).toBe(node.serialNumber.toLowerCase())
      expect(info.fingerprintSha256).toBe(node.fingerprint256.replaceAll(':', '').toLowerCase())
      expect(info.notAfter.getTime()).toBe(new Date(node.validTo).getTime())
    }
  })
})

describe('describeCertificate on keys OpenSSL generates', () => {
  // Self-signed certificates made by openssl, so the key description is checked against another implementation.
  const opensslCertificate = (keyArgs: string[]): Uint8Array =>
    new Uint8Array(
      execFileSync(
        'openssl',
        ['req', '-x509', '-nodes', '-subj', '/CN=key test', '-days', '1', '-keyout', '/dev/null', '-outform', 'DER', ...keyArgs],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ),
    )

  it('describes RSA sizes and the three NIST curves sceau signs with', () => {
    expect(describeCertificate(opensslCertificate(['-newkey', 'rsa:1024'])).publicKey).toEqual({ type: 'RSA', size: 1024 })
    expect(describeCertificate(opensslCertificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'])).publicKey).toEqual({
      type: 'EC',
      curve: 'P-384',
      size: 384,
    })
    expect(describeCertificate(opensslCertificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'])).publicKey).toEqual({
      type: 'EC',
      curve: 'P-521',
      size: 521,
    })
  })

  it('still describes keys sceau cannot sign with, by their OIDs', () => {
    expect(describeCertificate(opensslCertificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'])).publicKey).toEqual({
      type: 'other',
      algorithm: '1.2.840.10045.2.1',
      curve: '1.3.36.3.3.2.8.1.1.7',
    })
    expect(describeCertificate(opensslCertificate(['-newkey', 'ed25519'])).publicKey).toEqual({ type: 'other', algorithm: '1.3.101.112' })
  })
})

describe('describeCertificate on bytes that are not a certificate', () => {
  const expectMalformed = (bytes: Uint8Array): void => {
    let thrown: unknown
    try {
      describeCertificate(bytes)
    } catch (err) {
      thrown = err
    }
    expect(isSceauError(thrown, 'CERTIFICATE_MALFORMED')).toBe(true)
  }

  it('rejects empty input, text, a truncated certificate and trailing bytes', () => {
    expectMalformed(new Uint8Array())
    expectMalformed(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'))
    expectMalformed(AGENT.subarray(0, AGENT.length - 10))
    expectMalformed(new Uint8Array([...AGENT, 0]))
  })

  it('rejects a certificate whose Extensions list is not a SEQUENCE OF Extension (OpenSSL refuses it too)', () => {
    const fields = Buffer.from(AGENT)
    // The [3] tag of the extensions, then the SEQUENCE tag inside it, turned into a SET tag.
    const at = fields.indexOf(Buffer.from('a382', 'hex'))
    expect(at).toBeGreaterThan(0)
    const damaged = new Uint8Array(AGENT)
    damaged[at + 4] = 0x31
    expect(() => new X509Certificate(damaged)).toThrow()
    expectMalformed(damaged)
  })
})

describe('describeCertificate on extensions that cannot be decoded', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z')
  const notAfter = new Date('2028-01-01T00:00:00Z')
  const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''), 'hex'))
  // A well-formed value for each extension describeCertificate reads, so that one damaged value can be put among them.
  const GOOD = {
    '2.5.29.15': hex('03020640'), // keyUsage nonRepudiation
    '2.5.29.37': hex('300a06082b06010505070304'), // extendedKeyUsage emailProtection
    '2.5.29.19': hex('3000'), // basicConstraints, not a CA
    '2.5.29.32': hex('300b300906072a817a01020304'), // certificatePolicies 1.2.250.1.2.3.4
    '1.3.6.1.5.5.7.1.1': hex('301e301c06082b060105050730018610687474703a2f2f6f6373702e74657374'), // OCSP http://ocsp.test
    '2.5.29.31': hex('30173015a013a011860f687474703a2f2f63726c2e74657374'), // CRL http://crl.test
    '2.5.29.14': hex('04020102'),
    '2.5.29.35': hex('300480020304'),
    '2.5.29.17': hex('300d810b6140652e6578616d706c65'), // email a@e.example
    '1.3.6.1.5.5.7.1.3': hex('30273008060604008e4601013011060604008e460106060704008e460106013008060604008e460104'),
  } as const
  type Oid = keyof typeof GOOD
  const certificate = (damaged: Partial<Record<Oid, Uint8Array>>, critical: Oid[] = []): Uint8Array =>
    rawCertificate({
      subject: 'CN=TEST damaged extensions, O=sceau tests, C=FR',
      notBefore,
      notAfter,
      extensions: (Object.keys(GOOD) as Oid[]).map((oid) => ({ oid, critical: critical.includes(oid), value: damaged[oid] ?? GOOD[oid] })),
    }).certificate
  const opensslReads = (der: Uint8Array): boolean => {
    new X509Certificate(der)
    execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: der, stdio: ['pipe', 'ignore', 'ignore'] })
    return true
  }

  it('reads every extension of the reference certificate, and a Certum-style bare QcType as one undecodable statement', () => {
    const der = certificate({})
    expect(opensslReads(der)).toBe(true)
    const info = describeCertificate(der)
    expect(info.undecodable).toEqual([])
    expect(info.keyUsage).toEqual(['nonRepudiation'])
    expect(info.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.4'])
    expect(info.isCA).toBe(false)
    expect(info.policies).toEqual(['1.2.250.1.2.3.4'])
    expect(info.ocspUrls).toEqual(['http://ocsp.test'])
    expect(info.crlDistributionPoints).toEqual(['http://crl.test'])
    expect(info.subjectKeyIdentifier).toBe('0102')
    expect(info.authorityKeyIdentifier).toBe('0304')
    expect(info.subjectAltNames).toEqual([{ type: 'email', value: 'a@e.example' }])
    expect(info.qcStatements).toMatchObject({ compliance: true, sscd: true, types: [], undecodable: ['0.4.0.1862.1.6'] })
  })

  // Each damaged value is a well-formed DER element of the wrong type, or not DER at all.
  const DAMAGED: readonly [Oid, string, Uint8Array][] = [
    ['2.5.29.15', 'keyUsage as a NULL', hex('0500')],
    ['2.5.29.15', 'keyUsage with 8 unused bits', hex('03020880')],
    ['2.5.29.37', 'extendedKeyUsage as a bare OID', hex('0603550403')],
    ['2.5.29.19', 'basicConstraints as a bare BOOLEAN', hex('0101ff')],
    ['2.5.29.32', 'certificatePolicies as a NULL', hex('0500')],
    ['1.3.6.1.5.5.7.1.1', 'authorityInfoAccess holding an INTEGER', hex('3003020101')],
    ['2.5.29.31', 'cRLDistributionPoints holding an INTEGER', hex('3003020101')],
    ['2.5.29.14', 'subjectKeyIdentifier as a NULL', hex('0500')],
    ['2.5.29.35', 'authorityKeyIdentifier as an INTEGER', hex('020101')],
    ['2.5.29.17', 'subjectAltName holding an INTEGER', hex('3003020101')],
    ['1.3.6.1.5.5.7.1.3', 'qcStatements as an OCTET STRING', hex('04020000')],
    ['2.5.29.15', 'keyUsage truncated (not DER)', hex('0303')],
  ]

  for (const [oid, what, value] of DAMAGED) {
    it(`records ${what} as undecodable, keeps the other facts, and throws nothing (OpenSSL reads the certificate)`, () => {
      const der = certificate({ [oid]: value })
      expect(opensslReads(der)).toBe(true)
      const info = describeCertificate(der)
      expect(info.undecodable).toEqual([oid])
      expect(info.extensions).toEqual(Object.keys(GOOD))
      // The facts of the damaged extension are empty (unknown), the others are read as in the reference.
      const reference = describeCertificate(certificate({}))
      const view = (read: typeof info): Record<Oid, unknown> => ({
        '2.5.29.15': read.keyUsage,
        '2.5.29.37': read.extendedKeyUsage,
        '2.5.29.19': [read.isCA, read.pathLength],
        '2.5.29.32': read.policies,
        '1.3.6.1.5.5.7.1.1': read.ocspUrls,
        '2.5.29.31': read.crlDistributionPoints,
        '2.5.29.14': read.subjectKeyIdentifier,
        '2.5.29.35': read.authorityKeyIdentifier,
        '2.5.29.17': read.subjectAltNames,
        '1.3.6.1.5.5.7.1.3': read.qcStatements,
      })
      const empty: Record<Oid, unknown> = {
        '2.5.29.15': [],
        '2.5.29.37': [],
        '2.5.29.19': [false, undefined],
        '2.5.29.32': [],
        '1.3.6.1.5.5.7.1.1': [],
        '2.5.29.31': [],
        '2.5.29.14': undefined,
        '2.5.29.35': undefined,
        '2.5.29.17': [],
        '1.3.6.1.5.5.7.1.3': null,
      }
      expect(view(info)).toEqual({ ...view(reference), [oid]: empty[oid] })
      expect(info.subject).toBe(reference.subject)
    })
  }

  it('reads neither copy of an extension present twice (RFC 5280 §4.2), and says so', () => {
    const der = rawCertificate({
      subject: 'CN=TEST twice, C=FR',
      notBefore,
      notAfter,
      extensions: [
        { oid: '2.5.29.15', critical: true, value: hex('03020640') },
        { oid: '2.5.29.15', critical: true, value: hex('03020780') },
      ],
    }).certificate
    expect(opensslReads(der)).toBe(true)
    const info = describeCertificate(der)
    expect(info.undecodable).toEqual(['2.5.29.15'])
    expect(info.keyUsage).toEqual([])
    expect(info.keyUsageCritical).toBe(true)
  })

  it('reads a certificate OpenSSL made with a bare QcType, as Certum QCA 2017 writes it', () => {
    const der = new Uint8Array(
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-nodes',
          '-subj',
          '/CN=TEST Certum-style QcType',
          '-days',
          '1',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-keyout',
          '/dev/null',
          '-outform',
          'DER',
          '-addext',
          'keyUsage=critical,nonRepudiation',
          '-addext',
          '1.3.6.1.5.5.7.1.3=DER:30273008060604008e4601013011060604008e460106060704008e460106013008060604008e460104',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ),
    )
    const info = describeCertificate(der)
    expect(info.keyUsage).toEqual(['nonRepudiation'])
    expect(info.undecodable).toEqual([])
    expect(info.qcStatements).toMatchObject({ compliance: true, sscd: true, types: [], undecodable: ['0.4.0.1862.1.6'] })
  })
})
