import { describe, expect, it } from 'vitest'
import { SceauError } from '../errors.js'
import { formatPkcs11Uri, matchesPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './uri.js'

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

function thrown(run: () => unknown): SceauError {
  try {
    run()
  } catch (err) {
    if (err instanceof SceauError) return err
    throw err
  }
  throw new Error('expected a SceauError, nothing was thrown')
}

// RFC 7512 §3, each URI joined onto one line, with the values the RFC says it carries.
const RFC_EXAMPLES: [string, Pkcs11Uri][] = [
  ['pkcs11:', {}],
  ['pkcs11:object=my-pubkey;type=public', { object: 'my-pubkey', type: 'public' }],
  ['pkcs11:object=my-key;type=private?pin-source=file:/etc/token', { object: 'my-key', type: 'private', pinSource: 'file:/etc/token' }],
  [
    'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;' +
      'id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin',
    {
      token: 'The Software PKCS#11 Softtoken',
      manufacturer: 'Snake Oil, Inc.',
      model: '1.0',
      object: 'my-certificate',
      type: 'cert',
      id: bytes(0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91),
      serial: '',
      pinSource: 'file:/etc/token_pin',
    },
  ],
  ['pkcs11:object=my-sign-key;type=private?module-name=mypkcs11', { object: 'my-sign-key', type: 'private', moduleName: 'mypkcs11' }],
  [
    'pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1',
    { object: 'my-sign-key', type: 'private', modulePath: '/mnt/libmypkcs11.so.1' },
  ],
  ['pkcs11:slot-description=Sun%20Metaslot', { slotDescription: 'Sun Metaslot' }],
  [
    'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23',
    { libraryManufacturer: 'Snake Oil, Inc.', libraryDescription: 'Soft Token Library', libraryVersion: '1.23' },
  ],
  [
    'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06',
    { token: 'My token% created by Joe', libraryVersion: '3', id: bytes(0x01, 0x02, 0x03, 0xba, 0xdd, 0xca, 0xfe, 0x04, 0x05, 0x06) },
  ],
  [
    'pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert',
    { token: 'A name with a substring %;', object: 'my-certificate', type: 'cert' },
  ],
  [
    'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert',
    { token: 'Name with a small A with acute: á', object: 'my-certificate', type: 'cert' },
  ],
  [
    'pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b',
    {
      token: 'my-token',
      object: 'my-certificate',
      type: 'cert',
      vendor: { 'vendor-aaa': 'value-a' },
      pinSource: 'file:/etc/token_pin',
      vendorQuery: { 'vendor-bbb': 'value-b' },
    },
  ],
]

const RFC_PIN_VALUE_EXAMPLE = 'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin'

describe('parsePkcs11Uri', () => {
  it.each(RFC_EXAMPLES)('reads the RFC 7512 example %s', (uri, expected) => {
    expect(parsePkcs11Uri(uri)).toEqual(expected)
  })

  it('reads mixed-case hex escapes in id together with object and type', () => {
    expect(
      parsePkcs11Uri(
        'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ef%0c;object=my-certificate;type=cert',
      ),
    ).toEqual({
      token: 'My token% created by Joe',
      libraryVersion: '3',
      id: bytes(0x01, 0x02, 0x03, 0xba, 0xdd, 0xef, 0x0c),
      object: 'my-certificate',
      type: 'cert',
    })
  })

  it('accepts the scheme in any case', () => {
    expect(parsePkcs11Uri('PKCS11:token=Mairie')).toEqual({ token: 'Mairie' })
    expect(parsePkcs11Uri('Pkcs11:')).toEqual({})
  })

  it('reads slot-id as a number and every object type', () => {
    expect(parsePkcs11Uri('pkcs11:slot-id=0').slotId).toBe(0)
    expect(parsePkcs11Uri('pkcs11:slot-id=1893094146;slot-manufacturer=SoftHSM%20project').slotId).toBe(1893094146)
    for (const type of ['cert', 'private', 'public', 'secret-key', 'data'] as const) {
      expect(parsePkcs11Uri(`pkcs11:type=${type}`).type).toBe(type)
    }
  })

  it('keeps the characters each component allows unencoded', () => {
    expect(parsePkcs11Uri("pkcs11:token=:[]@!$'()*+,=&?module-name=:[]@!$'()*+,=/?|")).toEqual({
      token: ":[]@!$'()*+,=&",
      moduleName: ":[]@!$'()*+,=/?|",
    })
  })

  it('takes an empty query and an empty id', () => {
    expect(parsePkcs11Uri('pkcs11:?')).toEqual({})
    expect(parsePkcs11Uri('pkcs11:id=')).toEqual({ id: bytes() })
  })

  it('keeps a vendor attribute named like an Object.prototype member as plain data', () => {
    const uri = parsePkcs11Uri('pkcs11:__proto__=x;constructor=y')
    expect(Object.getPrototypeOf(uri)).toBe(Object.prototype)
    expect(Object.keys(uri.vendor ?? {})).toEqual(['__proto__', 'constructor'])
    expect(uri.vendor?.['constructor']).toBe('y')
  })
})

describe('parsePkcs11Uri refuses malformed URIs with URI_INVALID naming the part at fault', () => {
  it.each([
    ['', 'pkcs11:'],
    ['token=Mairie', 'pkcs11:'],
    ['pkcs11', 'pkcs11:'],
    ['https://example.org/', 'pkcs11:'],
  ])('a scheme other than pkcs11: in %j', (uri, named) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.message).toContain(named)
  })

  it.each([
    ['pkcs11:token=a;token=b', 'token'],
    ['pkcs11:object=a;type=cert;object=a', 'object'],
    ['pkcs11:?pin-source=file:/a&pin-source=file:/b', 'pin-source'],
    ['pkcs11:x-a=1;x-a=2', 'x-a'],
  ])('a duplicate attribute in %s', (uri, attribute) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.details).toEqual({ attribute })
    expect(err.message).toContain(`${attribute} is given twice`)
  })

  it.each([
    ['pkcs11:token=a;', 'path attribute 2 is empty'],
    ['pkcs11:;token=a', 'path attribute 1 is empty'],
    ['pkcs11:token=a;;object=b', 'path attribute 2 is empty'],
    ['pkcs11:token=a?&module-name=b', 'query attribute 1 is empty'],
    ['pkcs11:token', 'path attribute 1 has no "="'],
    ['pkcs11:?module-name', 'query attribute 1 has no "="'],
    ['pkcs11:=a', 'path attribute 1 has no name'],
    ['pkcs11:to.ken=a', 'path attribute 1 has a name with characters other than'],
  ])('a malformed segment in %s', (uri, problem) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.message).toContain(problem)
  })

  it.each([
    ['pkcs11:token=%zz', 'token', '"%zz"'],
    ['pkcs11:object=abc%2', 'object', '"%2"'],
    ['pkcs11:serial=%', 'serial', '"%"'],
    ['pkcs11:id=%01%G1', 'id', '"%G1"'],
    ['pkcs11:?pin-source=file:/etc/%p', 'pin-source', '"%p"'],
  ])('a bad pct-escape in %s', (uri, attribute, shown) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.details).toEqual({ attribute })
    expect(err.message).toContain(`${shown} in ${attribute} is not a pct-escape`)
  })

  it.each([
    ['pkcs11:token=Mairie de Test', 'token', '%20'],
    ['pkcs11:token=Saint-Étienne', 'token', '%C3%89'],
    ['pkcs11:object=a#b', 'object', '%23'],
    ['pkcs11:object=a/b', 'object', '%2F'],
    ['pkcs11:?module-path=/a;b', 'module-path', '%3B'],
  ])('a character that must be pct-encoded in %s', (uri, attribute, encoding) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.details).toEqual({ attribute })
    expect(err.message).toContain(`must be pct-encoded, as ${encoding}`)
  })

  it('text that is not UTF-8 (id, being bytes, may hold anything)', () => {
    const err = thrown(() => parsePkcs11Uri('pkcs11:token=%FF%FE'))
    expect(err.details).toEqual({ attribute: 'token' })
    expect(err.message).toContain('not UTF-8')
    expect(parsePkcs11Uri('pkcs11:id=%FF%FE').id).toEqual(bytes(0xff, 0xfe))
  })

  it.each(['abc', '-1', '1.5', '', '0x10', '%31a', '99999999999999999999'])('a slot-id of %j', (value) => {
    const err = thrown(() => parsePkcs11Uri(`pkcs11:slot-id=${value}`))
    expect(err.code).toBe('URI_INVALID')
    expect(err.details).toEqual({ attribute: 'slot-id' })
    expect(err.message).toContain('slot-id must be')
  })

  it.each(['key', 'CERT', 'certificate', ''])('an unknown type %j', (value) => {
    const err = thrown(() => parsePkcs11Uri(`pkcs11:object=a;type=${value}`))
    expect(err.details).toEqual({ attribute: 'type' })
    expect(err.message).toContain('cert, private, public, secret-key, data')
  })

  it.each(['1.2.3', 'v1', '', '1.'])('a library-version of %j', (value) => {
    const err = thrown(() => parsePkcs11Uri(`pkcs11:library-version=${value}`))
    expect(err.details).toEqual({ attribute: 'library-version' })
  })

  it.each([
    ['pkcs11:module-path=/usr/lib/opensc-pkcs11.so', 'module-path', 'belongs in the query'],
    ['pkcs11:pin-source=file:/etc/pin', 'pin-source', 'belongs in the query'],
    ['pkcs11:?token=Mairie', 'token', 'belongs in the path'],
    ['pkcs11:?id=%01', 'id', 'belongs in the path'],
  ])('a standard attribute in the wrong component: %s', (uri, attribute, problem) => {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.details).toEqual({ attribute })
    expect(err.message).toContain(problem)
  })
})

describe('a PIN never travels in a URI', () => {
  const PIN = 'the-pin'
  const SECRET = '4711-Geheim'

  function expectRefusedWithoutPin(uri: string, pin: string): void {
    const err = thrown(() => parsePkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.details).toEqual({ attribute: 'pin-value' })
    expect(err.message).toContain('a PIN must not travel inside a URI; use pin-source=file:')
    for (const text of [err.message, JSON.stringify(err.details), JSON.stringify(err), String(err), err.stack ?? '']) {
      expect(text).not.toContain(pin)
    }
  }

  it('refuses the RFC 7512 pin-value example without repeating the PIN', () => {
    expectRefusedWithoutPin(RFC_PIN_VALUE_EXAMPLE, PIN)
  })

  it.each([
    [`pkcs11:token=Mairie?pin-value=${SECRET}`],
    [`pkcs11:token=Mairie?module-name=opensc-pkcs11&PIN-Value=${SECRET}`],
    [`pkcs11:token=Mairie;pin-value=${SECRET}`],
    // Other faults come before the PIN in the text; the PIN refusal still wins and nothing quotes the PIN.
    [`pkcs11:token=%zz;;slot-id=x?pin-value=${SECRET}%zz&pin-value=${SECRET}`],
    [`pkcs11:token=Mairie?pin-value=${encodeURIComponent(SECRET)}`],
  ])('refuses %s', (uri) => {
    expectRefusedWithoutPin(uri, SECRET)
    expectRefusedWithoutPin(uri, encodeURIComponent(SECRET))
  })

  it('refuses pin-value even without "=" or with an empty value', () => {
    expectRefusedWithoutPin('pkcs11:?pin-value', SECRET)
    expectRefusedWithoutPin('pkcs11:?pin-value=', SECRET)
  })

  it('will not format a vendor attribute called pin-value', () => {
    for (const key of ['vendor', 'vendorQuery'] as const) {
      const err = thrown(() => formatPkcs11Uri({ token: 'Mairie', [key]: { 'pin-value': SECRET } }))
      expect(err.details).toEqual({ attribute: 'pin-value' })
      expect(JSON.stringify(err)).not.toContain(SECRET)
    }
  })
})

describe('formatPkcs11Uri', () => {
  it('writes the canonical order with uppercase hex', () => {
    expect(formatPkcs11Uri({ token: 'Mairie de Test', object: 'Signature', type: 'private', id: bytes(0x01, 0xa2) })).toBe(
      'pkcs11:token=Mairie%20de%20Test;object=Signature;type=private;id=%01%A2',
    )
    const everything: Pkcs11Uri = {
      vendorQuery: { 'z-b': '2', 'z-a': '1' },
      pinSource: 'file:/etc/token_pin',
      moduleName: 'opensc-pkcs11',
      modulePath: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
      vendor: { 'y-b': 'b', 'y-a': 'a' },
      id: bytes(0x41),
      type: 'cert',
      object: 'Signature',
      token: 'Mairie',
      serial: '0123',
      model: 'PKCS#15',
      manufacturer: 'Gemalto',
      slotId: 3,
      slotDescription: 'Lecteur',
      slotManufacturer: 'Identiv',
      libraryVersion: '1.23',
      libraryDescription: 'OpenSC',
      libraryManufacturer: 'OpenSC Project',
    }
    expect(formatPkcs11Uri(everything)).toBe(
      'pkcs11:library-manufacturer=OpenSC%20Project;library-description=OpenSC;library-version=1.23;' +
        'slot-manufacturer=Identiv;slot-description=Lecteur;slot-id=3;' +
        'manufacturer=Gemalto;model=PKCS%2315;serial=0123;token=Mairie;object=Signature;type=cert;id=%41;y-a=a;y-b=b' +
        '?module-path=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so&module-name=opensc-pkcs11&pin-source=file:/etc/token_pin&z-a=1&z-b=2',
    )
  })

  it('writes nothing for attributes given as undefined, and "pkcs11:" for none', () => {
    expect(formatPkcs11Uri({})).toBe('pkcs11:')
    expect(formatPkcs11Uri({ token: undefined, object: 'a', id: undefined })).toBe('pkcs11:object=a')
  })

  it('encodes "&" only in the query and "/", "?", "|" only in the path', () => {
    expect(formatPkcs11Uri({ token: 'a&b/c?d|e;f', moduleName: 'a&b/c?d|e;f' })).toBe(
      'pkcs11:token=a&b%2Fc%3Fd%7Ce%3Bf?module-name=a%26b/c?d|e%3Bf',
    )
  })

  it('gives the RFC example back in canonical order, same length, uppercase hex', () => {
    const [uri] = RFC_EXAMPLES[3] ?? ['']
    const formatted = formatPkcs11Uri(parsePkcs11Uri(uri))
    expect(formatted).toBe(
      'pkcs11:manufacturer=Snake%20Oil,%20Inc.;model=1.0;serial=;token=The%20Software%20PKCS%2311%20Softtoken;' +
        'object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91?pin-source=file:/etc/token_pin',
    )
    expect(formatted).toHaveLength(uri.length)
    expect(formatPkcs11Uri(parsePkcs11Uri('pkcs11:id=%01%02%03%Ba%dd%Ca%fe'))).toBe('pkcs11:id=%01%02%03%BA%DD%CA%FE')
  })

  it.each<[Pkcs11Uri, string]>([
    [{ slotId: -1 }, 'slot-id'],
    [{ slotId: 1.5 }, 'slot-id'],
    [{ slotId: 2 ** 53 }, 'slot-id'],
    [{ libraryVersion: '1.2.3' }, 'library-version'],
    [{ type: 'key' as never }, 'type'],
    [{ vendor: { token: 'x' } }, 'token'],
    [{ vendorQuery: { 'module-path': '/x' } }, 'module-path'],
    [{ vendor: { 'pin-source': 'file:/x' } }, 'pin-source'],
  ])('refuses %j, which would not parse back', (uri, attribute) => {
    const err = thrown(() => formatPkcs11Uri(uri))
    expect(err.code).toBe('URI_INVALID')
    expect(err.details).toEqual({ attribute })
  })

  it('refuses a vendor attribute name with characters RFC 7512 does not allow', () => {
    expect(thrown(() => formatPkcs11Uri({ vendor: { 'a b': 'x' } })).code).toBe('URI_INVALID')
  })
})

describe('format and parse round-trip', () => {
  it.each(RFC_EXAMPLES)('%s', (uri) => {
    const parsed = parsePkcs11Uri(uri)
    const formatted = formatPkcs11Uri(parsed)
    expect(parsePkcs11Uri(formatted)).toEqual(parsed)
    expect(formatPkcs11Uri(parsePkcs11Uri(formatted))).toBe(formatted)
    // RFC 7512 gives its examples with uppercase hex, so canonical form only reorders them.
    expect(formatted).toHaveLength(uri.length)
  })

  it('carries awkward labels and a 20-byte id', () => {
    // A SHA-1-sized CKA_ID holding the bytes a naive encoder gets wrong: NUL, 0xFF, "%", ";", "?", " ", "A".
    const id = bytes(0x00, 0xff, 0x25, 0x3b, 0x3f, 0x20, 0x41, 0x7f, 0x80, 0xc3, 0xa9, 0x0a, 0x26, 0x3d, 0x2f, 0x7c, 0x23, 0x5c, 0xfe, 0x01)
    const uri: Pkcs11Uri = {
      token: 'Mairie de Saint-Étienne; service « finances » ? 100 % sûr',
      manufacturer: 'Société & Cie #1',
      serial: '   ',
      model: 'ID-One Cosmo v7 / IAS-ECC',
      object: '署名キー 🔑 a=b;c?d%25',
      slotDescription: 'Lecteur\tà\u00a0badge',
      slotId: 4294967295,
      libraryVersion: '10.04',
      id,
      type: 'private',
      modulePath: 'C:\\Program Files\\Gemalto\\IDGo 800 PKCS#11\\IDPrimePKCS1164.dll',
      moduleName: 'idprime&co',
      pinSource: 'file:/run/secrets/pin%20file?x=1&y',
      vendor: { 'x-vendor_1': 'é;?&%' },
      vendorQuery: { 'x-vendor_1': 'é;?&%|/' },
    }
    expect(id).toHaveLength(20)
    const formatted = formatPkcs11Uri(uri)
    expect(formatted).toMatch(/^pkcs11:[A-Za-z0-9\-._~:[\]@!$'()*+,=&%;]*\?[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|%&]*$/)
    expect(formatted).toContain(`id=${Array.from(id, (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`)
    expect(parsePkcs11Uri(formatted)).toEqual(uri)
  })

  it('carries generated text through every text attribute', () => {
    // Deterministic, so a failure reproduces: a small LCG over a pool of the characters that matter.
    const pool = Array.from('aZ09-._~:[]@!$\'()*+,=&;?/|#% \t\n"<>\\^`{}éÁß€日本🔑\u0000\u007f\u00a0')
    let seed = 7512
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const text = (): string => Array.from({ length: next() % 12 }, () => pool[next() % pool.length] ?? '').join('')
    for (let round = 0; round < 300; round++) {
      const uri: Pkcs11Uri = {
        token: text(),
        manufacturer: text(),
        serial: text(),
        model: text(),
        libraryManufacturer: text(),
        libraryDescription: text(),
        slotDescription: text(),
        slotManufacturer: text(),
        object: text(),
        id: Uint8Array.from({ length: next() % 21 }, () => next() % 256),
        modulePath: text(),
        moduleName: text(),
        pinSource: text(),
        vendor: { 'x-a': text() },
        vendorQuery: { 'x-b': text() },
      }
      expect(parsePkcs11Uri(formatPkcs11Uri(uri))).toEqual(uri)
    }
  })
})

describe('matchesPkcs11Uri', () => {
  const candidate: Pkcs11Uri = {
    token: 'Mairie de Test',
    manufacturer: 'SoftHSM project',
    model: 'SoftHSM v2',
    serial: '9a1b2c3d4e5f6071',
    slotId: 1893094146,
    object: 'Signature',
    type: 'private',
    id: bytes(0x01, 0xa2),
    libraryVersion: '2.6',
  }

  it('matches a pattern with only the token label', () => {
    expect(matchesPkcs11Uri(parsePkcs11Uri('pkcs11:token=Mairie%20de%20Test'), candidate)).toBe(true)
    expect(matchesPkcs11Uri(parsePkcs11Uri('pkcs11:token=Mairie'), candidate)).toBe(false)
  })

  it('does not match a differing id, nor an id the candidate lacks', () => {
    expect(matchesPkcs11Uri({ id: bytes(0x01, 0xa2) }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ id: Buffer.from('01a2', 'hex') }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ id: bytes(0x01, 0xa3) }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ id: bytes(0x01) }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ id: bytes(0x01) }, { token: 'Mairie de Test' })).toBe(false)
  })

  it('lets attributes absent from the pattern match anything', () => {
    expect(matchesPkcs11Uri({}, candidate)).toBe(true)
    expect(matchesPkcs11Uri(parsePkcs11Uri('pkcs11:'), {})).toBe(true)
    expect(matchesPkcs11Uri({ object: 'Signature', id: undefined, token: undefined }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ object: 'Signature', type: 'private' }, candidate)).toBe(true)
  })

  it('compares every attribute the pattern gives', () => {
    expect(matchesPkcs11Uri({ token: 'Mairie de Test', type: 'cert' }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ token: 'Mairie de Test', slotId: 0 }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ slotId: 1893094146, serial: '9a1b2c3d4e5f6071' }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ manufacturer: 'softhsm project' }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ libraryManufacturer: 'SoftHSM' }, candidate)).toBe(false)
  })

  it('treats an empty value as a value (RFC 7512 example "serial=")', () => {
    expect(matchesPkcs11Uri(parsePkcs11Uri('pkcs11:serial='), candidate)).toBe(false)
    expect(matchesPkcs11Uri(parsePkcs11Uri('pkcs11:serial='), { serial: '' })).toBe(true)
  })

  it('compares library-version as numbers', () => {
    expect(matchesPkcs11Uri({ libraryVersion: '2.6' }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ libraryVersion: '2.06' }, candidate)).toBe(true)
    expect(matchesPkcs11Uri({ libraryVersion: '3' }, { libraryVersion: '3.0' })).toBe(true)
    expect(matchesPkcs11Uri({ libraryVersion: '2' }, candidate)).toBe(false)
    expect(matchesPkcs11Uri({ libraryVersion: '1.23' }, {})).toBe(false)
  })

  it('matches nothing when the pattern has a vendor attribute the candidate does not carry', () => {
    const pattern = parsePkcs11Uri('pkcs11:token=Mairie%20de%20Test;objet=Signature')
    expect(matchesPkcs11Uri(pattern, candidate)).toBe(false)
    expect(matchesPkcs11Uri(pattern, { ...candidate, vendor: { objet: 'Signature' } })).toBe(true)
    expect(matchesPkcs11Uri({ vendor: { constructor: 'x' } }, candidate)).toBe(false)
  })

  it('ignores query attributes, which say how to reach an object and not which one', () => {
    const pattern = parsePkcs11Uri('pkcs11:object=Signature?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/pin&x-y=1')
    expect(matchesPkcs11Uri(pattern, candidate)).toBe(true)
  })
})
