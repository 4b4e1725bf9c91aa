import { readFileSync } from 'node:fs'
import * as asn1js from 'asn1js'
import { describe, expect, it } from 'vitest'
import { SceauError } from '../errors.js'
import { readChildren, readTlv } from './der.js'
import { formatRfc2253, parseRfc2253, sameDistinguishedName, sameNameDer } from './rfc2253.js'

const EMAIL = '1.2.840.113549.1.9.1'

function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8')
}

/** The issuer (or subject) Name of a certificate, as the exact bytes the CA signed. */
function nameOf(certificate: Uint8Array, which: 'issuer' | 'subject'): Uint8Array {
  const outer = readTlv(certificate, 0)
  const tbs = outer && readChildren(certificate, outer)?.[0]
  const fields = tbs && readChildren(certificate, tbs)
  if (fields === undefined) throw new Error('not a certificate')
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0
  const name = fields[skip + (which === 'issuer' ? 2 : 4)]
  if (name === undefined) throw new Error('not a certificate')
  return certificate.subarray(name.start, name.end)
}

function firstSignature(xmlPath: string): { certificate: Uint8Array; issuerName: string } {
  const xml = fixture(xmlPath)
  const base64 = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/u.exec(xml)?.[1]
  const issuerName = /<ds:X509IssuerName>([^<]+)<\/ds:X509IssuerName>/u.exec(xml)?.[1]
  if (base64 === undefined || issuerName === undefined) throw new Error(`no signer certificate in ${xmlPath}`)
  return { certificate: new Uint8Array(Buffer.from(base64.replace(/\s+/gu, ''), 'base64')), issuerName }
}

function pem(file: string): Uint8Array {
  return new Uint8Array(Buffer.from(fixture(`certs/${file}`).replace(/-----[^-]+-----|\s+/gu, ''), 'base64'))
}

type Value = asn1js.BaseBlock | Uint8Array

/** A DER Name from RDNs in DER order; a Uint8Array value is put in as it is (to build odd string types). */
function derName(...rdns: Array<Array<[string, Value]>>): Uint8Array {
  const attribute = ([type, value]: [string, Value]): asn1js.Sequence =>
    new asn1js.Sequence({
      value: [new asn1js.ObjectIdentifier({ value: type }), value instanceof Uint8Array ? asn1js.fromBER(value).result : value],
    })
  return new Uint8Array(new asn1js.Sequence({ value: rdns.map((rdn) => new asn1js.Set({ value: rdn.map(attribute) })) }).toBER())
}

const utf8 = (value: string): asn1js.Utf8String => new asn1js.Utf8String({ value })
const cn = (value: Value): Uint8Array => derName([['2.5.4.3', value]])

describe('formatRfc2253 on the issuers written by Java PES signers', () => {
  it('prints the issuer of the Berger-Levrault signature as its ds:X509IssuerName', () => {
    const { certificate, issuerName } = firstSignature('pes/PESALR2_25060187900027_190328_001.xml')
    expect(issuerName).toBe('CN=berger-levrault-DC1LABL-CA,DC=berger-levrault,DC=net')
    expect(formatRfc2253(nameOf(certificate, 'issuer'))).toBe(issuerName)
  })

  it('prints the issuer of the Hélios test signature as its ds:X509IssuerName', () => {
    const { certificate, issuerName } = firstSignature('pes/test-perime-04-04-2016.xml')
    // Read by hand in the file: DGFiP's test CA, four single-valued RDNs.
    expect(issuerName).toBe(
      'CN=Signature Helios Finances Publiques,OU=0002 13000495500014,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR',
    )
    expect(formatRfc2253(nameOf(certificate, 'issuer'))).toBe(issuerName)
  })
})

// Expected strings from `new X500Principal(der).getName()` on Temurin 25.0.3 and OpenJDK 17.0.15 (identical for
// these names). `openssl x509 -nameopt RFC2253` agrees for the keyword attributes but prints serialNumber=,
// organizationIdentifier=, SN= and GN= by name and non-ASCII as \C3\A9, where Java prints OID=#hex and é.
describe('formatRfc2253 on real certificates', () => {
  const cases: Array<[string, 'issuer' | 'subject', string]> = [
    [
      'Mathieu-JORRY-3310003898jm__3727ba76.pem',
      'subject',
      '2.5.4.4=#0c054a4f525259,2.5.4.42=#0c074d617468696575,CN=Mathieu JORRY 3310003898jm,OU=0002 130007669,O=ANTS,C=FR',
    ],
    [
      'Mathieu-JORRY-3310003898jm__3727ba76.pem',
      'issuer',
      '2.5.4.5=#130133,CN=Autorité de Certification Personnes AAE,OU=0002 130003262,O=Agence Nationale des Titres Sécurisés,C=FR',
    ],
    [
      'Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68.pem',
      'issuer',
      '2.5.4.5=#130131,CN=Autorité de Certification Racine ANTS/A V3,OU=0002 130003262,O=Agence Nationale des Titres Sécurisés,C=FR',
    ],
    [
      'CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem',
      'subject',
      '2.5.4.97=#130f4e545246522d353039363038333532,CN=CLEARBUS - CACHET SRE 001,OU=0002 509608352,O=ClearBUS,C=FR',
    ],
    [
      'CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem',
      'issuer',
      '2.5.4.97=#130f53493a46522d343334323032313830,CN=CertEurope eID Corp,OU=0002 434202180,O=CertEurope,C=FR',
    ],
    [
      'Universign-Primary-CA-hardware__0a373229.pem',
      'issuer',
      'CN=Universign Primary CA hardware,OU=0002 43912916400026,O=Cryptolog International,C=FR',
    ],
  ]

  it.each(cases)('%s %s', (file, which, expected) => {
    expect(formatRfc2253(nameOf(pem(file), which))).toBe(expected)
  })

  it('matches what OpenSSL prints once its attribute names are allowed', () => {
    // `openssl x509 -noout -issuer -nameopt RFC2253` on the CLEARBUS certificate.
    const openssl = 'organizationIdentifier=SI:FR-434202180,CN=CertEurope eID Corp,OU=0002 434202180,O=CertEurope,C=FR'
    const issuer = nameOf(pem('CLEARBUS-CACHET-SRE-001__2ed5f0d7.pem'), 'issuer')
    expect(sameDistinguishedName(openssl, issuer)).toBe(true)
    expect(sameDistinguishedName(formatRfc2253(issuer), issuer)).toBe(true)
    // The same for the JORRY subject, whose names OpenSSL writes SN= and GN=.
    const subject = nameOf(pem('Mathieu-JORRY-3310003898jm__3727ba76.pem'), 'subject')
    expect(sameDistinguishedName('SN=JORRY,GN=Mathieu,CN=Mathieu JORRY 3310003898jm,OU=0002 130007669,O=ANTS,C=FR', subject)).toBe(true)
  })
})

// Expected strings checked with X500Principal.getName() on Temurin 25.0.3.
describe('formatRfc2253 escaping and encodings', () => {
  it('escapes the RFC 2253 specials, and = and # anywhere, as Java does', () => {
    expect(formatRfc2253(cn(utf8('a,b+c"d\\e<f>g;h=i#j')))).toBe('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i\\#j')
    expect(formatRfc2253(cn(utf8('#lead')))).toBe('CN=\\#lead')
  })

  it('escapes leading and trailing spaces and carriage returns, and NUL as \\00', () => {
    expect(formatRfc2253(cn(utf8('  two  ')))).toBe('CN=\\ \\ two\\ \\ ')
    expect(formatRfc2253(cn(utf8(' ')))).toBe('CN=\\ ')
    expect(formatRfc2253(cn(utf8('\r x \r')))).toBe('CN=\\\r\\ x\\ \\\r')
    expect(formatRfc2253(cn(utf8('nul\u0000x')))).toBe('CN=nul\\00x')
  })

  it('writes characters outside ASCII as themselves', () => {
    expect(formatRfc2253(cn(utf8('Éric Noël 😀 tab\tend')))).toBe('CN=Éric Noël 😀 tab\tend')
    expect(formatRfc2253(cn(new asn1js.BmpString({ value: 'Bmp Éric' })))).toBe('CN=Bmp Éric')
    // TeletexString, PrintableString, IA5String and GeneralString octets read as Latin-1 (Java 25; Java 17 gives U+FFFD).
    expect(formatRfc2253(cn(Uint8Array.of(0x14, 3, 0x45, 0xe9, 0x41)))).toBe('CN=EéA')
    expect(formatRfc2253(cn(Uint8Array.of(0x1b, 2, 0x41, 0xe9)))).toBe('CN=Aé')
    expect(formatRfc2253(cn(Uint8Array.of(0x0c, 3, 0x45, 0xe9, 0x41)))).toBe('CN=E\uFFFDA')
  })

  it('keeps the keyword but prints #hex for a value Java does not read as a string', () => {
    expect(formatRfc2253(cn(Uint8Array.of(0x1c, 4, 0, 0, 0, 0x41)))).toBe('CN=#1c0400000041')
    expect(formatRfc2253(cn(Uint8Array.of(0x1a, 1, 0x41)))).toBe('CN=#1a0141')
    expect(formatRfc2253(cn(Uint8Array.of(0x12, 1, 0x31)))).toBe('CN=#120131')
    expect(formatRfc2253(cn(Uint8Array.of(0x02, 1, 0x01)))).toBe('CN=#020101')
  })

  it('joins a multi-valued RDN with + in DER order, and names every other type by OID', () => {
    const name = derName(
      [['2.5.4.6', new asn1js.PrintableString({ value: 'FR' })]],
      [
        ['2.5.4.3', utf8('x')],
        ['2.5.4.11', utf8('y')],
        [EMAIL, new asn1js.IA5String({ value: 'a@b.fr' })],
      ],
    )
    expect(formatRfc2253(name)).toBe('CN=x+OU=y+1.2.840.113549.1.9.1=#16066140622e6672,C=FR')
    const all = derName(
      [['0.9.2342.19200300.100.1.1', utf8('uid')]],
      [
        ['2.5.4.9', utf8('rue')],
        ['2.5.4.7', utf8('l')],
        ['2.5.4.8', utf8('st')],
      ],
      [['2.5.4.42', utf8('g')]],
      [['2.25.329800735698586629295641978511506172918', utf8('big')]],
    )
    expect(formatRfc2253(all)).toBe(
      '2.25.329800735698586629295641978511506172918=#0c03626967,2.5.4.42=#0c0167,STREET=rue+L=l+ST=st,UID=uid',
    )
  })

  it('prints the empty Name as the empty string and rejects bytes that are not a Name', () => {
    expect(formatRfc2253(Uint8Array.of(0x30, 0))).toBe('')
    expect(() => formatRfc2253(Uint8Array.of(0x30, 2, 0x31, 0))).toThrow(SceauError)
    expect(() => formatRfc2253(Uint8Array.of(0x30, 0, 0))).toThrow(SceauError)
  })
})

describe('parseRfc2253', () => {
  it('reads keywords and aliases in any case, spaces, escapes, hex pairs and quotes', () => {
    expect(parseRfc2253('cn = a\\,b , E=x@y.fr+ OU=\\C3\\A9t\\C3\\A9 ; OID.2.5.4.97="NTR, FR" ,S=\\ x\\ ')).toEqual([
      [{ type: '2.5.4.3', value: 'a,b' }],
      [
        { type: EMAIL, value: 'x@y.fr' },
        { type: '2.5.4.11', value: 'été' },
      ],
      [{ type: '2.5.4.97', value: 'NTR, FR' }],
      [{ type: '2.5.4.8', value: ' x ' }],
    ])
    expect(parseRfc2253('emailAddress=a@b,EMAILADDRESS=c,serialNumber=1,GN=g,surname=s,title=t,organizationIdentifier=o,uid=u')).toEqual(
      [EMAIL, EMAIL, '2.5.4.5', '2.5.4.42', '2.5.4.4', '2.5.4.12', '2.5.4.97', '0.9.2342.19200300.100.1.1'].map((type, i) => [
        { type, value: ['a@b', 'c', '1', 'g', 's', 't', 'o', 'u'][i] },
      ]),
    )
    expect(parseRfc2253('')).toEqual([])
  })

  it('turns #hex into the DER bytes, and reads back what formatRfc2253 writes', () => {
    expect(parseRfc2253('1.2.840.113549.1.9.1=#16066140622E6672')).toEqual([
      [{ type: EMAIL, value: Uint8Array.of(0x16, 6, 0x61, 0x40, 0x62, 0x2e, 0x66, 0x72) }],
    ])
    const value = 'a,b+c"d\\e<f>g;h=i#j '
    expect(parseRfc2253(formatRfc2253(cn(utf8(value))))).toEqual([[{ type: '2.5.4.3', value }]])
  })

  it.each(['CN', 'CN=a,', 'CN=a,,O=b', 'FOO=bar', 'CN=a\\', 'CN=a\\x', 'CN=\\E9', 'CN="open', 'CN=#1603', 'CN=#160161ff', 'CN=a"b', '=a'])(
    'rejects %j',
    (text) => {
      expect(() => parseRfc2253(text)).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED' }))
    },
  )
})

describe('sameDistinguishedName', () => {
  const { certificate } = firstSignature('pes/test-perime-04-04-2016.xml')
  const helios = nameOf(certificate, 'issuer')
  const withEmail = derName(
    [['2.5.4.6', new asn1js.PrintableString({ value: 'FR' })]],
    [['2.5.4.10', utf8('Mairie de Noisy')]],
    [['2.5.4.3', utf8('Jean  Dupont')]],
    [[EMAIL, new asn1js.IA5String({ value: 'jean@noisy.fr' })]],
  )
  const hexEmail = '1.2.840.113549.1.9.1=#160d6a65616e406e6f6973792e6672'

  it('matches the same DN written with spaces, other case, other keywords or #hex', () => {
    expect(
      sameDistinguishedName(
        'CN=Signature Helios Finances Publiques,OU=0002 13000495500014,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR',
        helios,
      ),
    ).toBe(true)
    expect(
      sameDistinguishedName(
        'cn=signature helios finances publiques, OU = 0002  13000495500014, O=Direction Generale des Finances Publiques, c=fr',
        helios,
      ),
    ).toBe(true)
    expect(formatRfc2253(withEmail)).toBe(`${hexEmail},CN=Jean  Dupont,O=Mairie de Noisy,C=FR`)
    expect(sameDistinguishedName(formatRfc2253(withEmail), withEmail)).toBe(true)
    expect(sameDistinguishedName('EMAILADDRESS=Jean@Noisy.fr, CN=Jean Dupont, O=Mairie de Noisy, C=FR', withEmail)).toBe(true)
    expect(sameDistinguishedName('emailAddress=jean@noisy.fr,CN=Jean Dupont,O=Mairie de Noisy,C=FR', withEmail)).toBe(true)
    // A PrintableString #hex of 'Jean Dupont' against the UTF8String 'Jean  Dupont' of the certificate.
    expect(sameDistinguishedName(`${hexEmail},CN=#130b4a65616e204475706f6e74,O=Mairie de Noisy,C=FR`, withEmail)).toBe(true)
    expect(sameDistinguishedName(`${hexEmail},CN=#130b4a65616e204475706f6e75,O=Mairie de Noisy,C=FR`, withEmail)).toBe(false)
    expect(sameDistinguishedName('1.2.840.113549.1.9.1=#020101,CN=Jean Dupont,O=Mairie de Noisy,C=FR', withEmail)).toBe(false)
  })

  it('matches a multi-valued RDN whatever the order of its attributes', () => {
    const name = derName(
      [['2.5.4.6', new asn1js.PrintableString({ value: 'FR' })]],
      [
        ['2.5.4.3', utf8('x')],
        ['2.5.4.11', utf8('y')],
      ],
    )
    expect(sameDistinguishedName('OU=y + CN=x, C=FR', name)).toBe(true)
    expect(sameDistinguishedName('CN=x, OU=y, C=FR', name)).toBe(false)
  })

  it('matches the RDNs written in DER order, as some signers print them (the same name read the other way)', () => {
    expect(
      sameDistinguishedName(
        'C=FR,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,OU=0002 13000495500014,CN=Signature Helios Finances Publiques',
        helios,
      ),
    ).toBe(true)
    expect(
      sameDistinguishedName(
        'O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR,OU=0002 13000495500014,CN=Signature Helios Finances Publiques',
        helios,
      ),
    ).toBe(false)
  })

  it('does not match another CN, a missing RDN or text that does not parse', () => {
    expect(
      sameDistinguishedName(
        'CN=Signature Helios Finances Privees,OU=0002 13000495500014,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR',
        helios,
      ),
    ).toBe(false)
    expect(sameDistinguishedName('CN=Signature Helios Finances Publiques,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR', helios)).toBe(
      false,
    )
    expect(
      sameDistinguishedName(
        'CN=Signature Helios Finances Publiques,OU=0002 13000495500014,O=DIRECTION GENERALE DES FINANCES PUBLIQUES,C=FR,',
        helios,
      ),
    ).toBe(false)
    expect(sameDistinguishedName('CN=Signature Helios Finances Publiques', Uint8Array.of(1, 2, 3))).toBe(false)
  })
})

describe('sameNameDer', () => {
  const printable = (value: string): asn1js.PrintableString => new asn1js.PrintableString({ value })

  it('matches one name encoded with other string types, spacing and case (RFC 5280 §7.1)', () => {
    const a = derName([['2.5.4.6', printable('FR')]], [['2.5.4.10', printable('Mairie de Noisy')]], [['2.5.4.3', printable('AC Agents')]])
    const b = derName([['2.5.4.6', printable('FR')]], [['2.5.4.10', utf8('MAIRIE  de noisy')]], [['2.5.4.3', utf8('AC Agents ')]])
    expect(sameNameDer(a, b)).toBe(true)
    expect(sameNameDer(a, a)).toBe(true)
  })

  it('matches a multi-valued RDN as a set, and nothing else', () => {
    const ab = derName([
      ['2.5.4.3', utf8('x')],
      ['2.5.4.11', utf8('y')],
    ])
    const ba = derName([
      ['2.5.4.11', utf8('y')],
      ['2.5.4.3', utf8('x')],
    ])
    expect(sameNameDer(ab, ba)).toBe(true)
    expect(sameNameDer(ab, derName([['2.5.4.3', utf8('x')]], [['2.5.4.11', utf8('y')]]))).toBe(false)
    expect(sameNameDer(cn(utf8('x')), cn(utf8('z')))).toBe(false)
    expect(
      sameNameDer(
        derName([['2.5.4.6', printable('FR')]], [['2.5.4.3', utf8('x')]]),
        derName([['2.5.4.3', utf8('x')]], [['2.5.4.6', printable('FR')]]),
      ),
    ).toBe(false)
    expect(sameNameDer(cn(utf8('x')), Uint8Array.of(1, 2, 3))).toBe(false)
  })
})
