import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { DOMParser } from '@xmldom/xmldom'
import { ExclusiveCanonicalization } from 'xml-crypto'
import { describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { canonicalizeElementById, digestElementById } from './digest.js'

const FLOW = new URL('../../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url)
const DSIG = 'http://www.w3.org/2000/09/xmldsig#'

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64')
}

/** xml-crypto's exc-c14n of the element with `Id="target"`, after removing ds:Signature descendants. */
function oracle(xml: string, options: { excludeSignature?: boolean; inclusive?: string[] } = {}): string {
  const document = new DOMParser().parseFromString(xml, 'text/xml')
  const all = Array.from(document.getElementsByTagName('*'))
  const element = all.find((node) => node.getAttribute('Id') === 'target')
  if (!element) throw new Error('fixture without Id="target"')
  if (options.excludeSignature ?? true) {
    for (const signature of Array.from(element.getElementsByTagNameNS(DSIG, 'Signature'))) signature.parentNode?.removeChild(signature)
  }
  return new ExclusiveCanonicalization().process(
    element as never,
    { inclusiveNamespacesPrefixList: options.inclusive ?? [] } as never,
  ) as unknown as string
}

function ours(document: string | Buffer, options: { excludeSignature?: boolean; inclusive?: string[] } = {}): string {
  const bytes = typeof document === 'string' ? Buffer.from(document, 'utf8') : document
  const result = canonicalizeElementById(bytes, {
    id: 'target',
    excludeSignature: options.excludeSignature,
    inclusiveNamespacePrefixes: options.inclusive,
  })
  return Buffer.from(result).toString('utf8')
}

describe('digestElementById on the real signed PES flow', () => {
  const flow = readFileSync(FLOW)

  it('reproduces the DigestValue of the Bordereau reference (enveloped + exc-c14n)', () => {
    const result = digestElementById(flow, { id: 'N10025' })
    expect(base64(result.digest)).toBe('G7smT2s9qRH2fdhuMW4pEYQFAaE1bMAyrYZx6zv1oDA=')
    expect(flow.subarray(result.start, result.start + 23).toString('latin1')).toBe('<Bordereau Id="N10025">')
    expect(flow.subarray(result.end - 12, result.end).toString('latin1')).toBe('</Bordereau>')
  })

  it('reproduces the DigestValue of the SignedProperties reference (exc-c14n, namespaces from ancestors)', () => {
    const result = digestElementById(flow, { id: 'IDC1190328100914p0100_SP', excludeSignature: false })
    expect(base64(result.digest)).toBe('m6q2yeiad05o99FcQI1URCdoFa1DFiLvYBm7fCmFsDs=')
    const canonical = Buffer.from(canonicalizeElementById(flow, { id: 'IDC1190328100914p0100_SP' })).toString('utf8')
    expect(canonical).toContain('<ds:X509IssuerName xmlns:ds="http://www.w3.org/2000/09/xmldsig#">')
  })

  it('detects a one-byte change in the Bordereau', () => {
    const tampered = Buffer.from(flow)
    const at = tampered.indexOf('<MtBordHT V="4874.40"/>')
    tampered[at + 13] = 0x35
    expect(base64(digestElementById(tampered, { id: 'N10025' }).digest)).not.toBe('G7smT2s9qRH2fdhuMW4pEYQFAaE1bMAyrYZx6zv1oDA=')
  })

  it('matches SHA-1 and SHA-512 of the canonical bytes', async () => {
    const { createHash } = await import('node:crypto')
    const canonical = canonicalizeElementById(flow, { id: 'N10025' })
    for (const [hash, node] of [
      ['SHA-1', 'sha1'],
      ['SHA-512', 'sha512'],
    ] as const) {
      expect(base64(digestElementById(flow, { id: 'N10025', hash }).digest)).toBe(createHash(node).update(canonical).digest('base64'))
    }
  })

  it('agrees with xmlsec1, which verifies both references of the flow', () => {
    let xmlsec: string
    try {
      xmlsec = execFileSync('which', ['xmlsec1']).toString().trim()
    } catch {
      return expect.fail('xmlsec1 not installed')
    }
    const output = execFileSync(
      xmlsec,
      [
        '--verify',
        '--insecure',
        '--id-attr:Id',
        'Bordereau',
        '--id-attr:Id',
        'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
        FLOW.pathname,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    expect(output.toString()).not.toContain('FAIL')
  })
})

const DIFFERENTIAL: Record<string, string> = {
  'ancestor namespaces, used and unused': `<r:root xmlns:r="urn:r" xmlns:a="urn:a" xmlns:u="urn:unused"><a:x Id="target"><a:y/><b xmlns:c="urn:c">t</b></a:x></r:root>`,
  'default namespace inherited and undeclared': `<root xmlns="urn:d"><x Id="target"><y xmlns=""><z xmlns="urn:e"/></y><w/></x></root>`,
  'redundant redeclarations': `<root xmlns:p="urn:p"><p:x Id="target" xmlns:p="urn:p"><p:y xmlns:p="urn:p"/><p:z xmlns:p="urn:other"/></p:x></root>`,
  'prefixed attributes and ordering': `<root xmlns:b="urn:b" xmlns:a="urn:z"><e Id="target" z="1" b:k="2" a:k="3" a="4" xml:lang="fr" b:a="5"/></root>`,
  'entities and char refs': `<root><e Id="target" v="&lt;&amp;&gt;&quot;&apos;&#65;&#x20AC;">a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &apos; &#233; &#x1F600; &#13; &#x9;</e></root>`,
  CDATA: `<root><e Id="target"><![CDATA[<b>& "x" ]] >]]> tail</e></root>`,
  'CRLF and CR line endings': `<root>\r\n<e Id="target" v="a\r\nb\rc">line1\r\nline2\rline3\r\n<![CDATA[x\r\ny]]></e></root>`,
  'tabs and newlines in attributes': `<root><e Id="target" a="x\ty\nz" b="&#9;&#10;&#13;" c="  two  spaces "/></root>`,
  'non-ASCII UTF-8': `<?xml version="1.0" encoding="UTF-8"?><root><e Id="target" v="évolution €">réseau d’eau 😀</e></root>`,
  'empty elements and whitespace': `<root><e Id="target">\n  <a/>\n  <b></b>\n  <c   x = 'single'  /></e></root>`,
  'nested ds:Signature removed': `<root xmlns:ds="${DSIG}"><e Id="target"><a>1</a><ds:Signature><ds:SignedInfo/></ds:Signature><b/><Signature xmlns="${DSIG}"><x/></Signature><ds:Other/></e></root>`,
  'Signature of another namespace kept': `<root><e Id="target"><Signature xmlns="urn:not-dsig">k</Signature></e></root>`,
  'target is the root': `<n:PES_Aller xmlns:n="urn:pes" Id="target"><Enveloppe><x V="1"/></Enveloppe></n:PES_Aller>`,
  'prefix used only by an attribute': `<root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e Id="target"><f xsi:type="t"/></e></root>`,
}

describe('canonicalizeElementById against xml-crypto ExclusiveCanonicalization', () => {
  for (const [name, xml] of Object.entries(DIFFERENTIAL)) {
    it(name, () => {
      expect(ours(xml)).toBe(oracle(xml))
    })
  }

  it('keeps ds:Signature without the enveloped transform', () => {
    const xml = DIFFERENTIAL['nested ds:Signature removed'] as string
    expect(ours(xml, { excludeSignature: false })).toBe(oracle(xml, { excludeSignature: false }))
    expect(ours(xml, { excludeSignature: false })).toContain('<ds:Signature xmlns:ds=')
  })

  it('honours the InclusiveNamespaces PrefixList', () => {
    const xml = `<root xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d"><x:e xmlns:x="urn:x" Id="target"><x:f/></x:e></root>`
    // Spelled out: xml-crypto does not see namespaces declared on ancestors of the apex for the PrefixList.
    expect(ours(xml, { inclusive: ['a', '#default'] })).toBe(
      '<x:e xmlns="urn:d" xmlns:a="urn:a" xmlns:x="urn:x" Id="target"><x:f></x:f></x:e>',
    )
    expect(ours(xml, { inclusive: ['a'] })).toBe('<x:e xmlns:a="urn:a" xmlns:x="urn:x" Id="target"><x:f></x:f></x:e>')
  })

  it('decodes ISO-8859-1 bytes to UTF-8', () => {
    const latin1 = Buffer.from(
      `<?xml version="1.0" encoding="ISO-8859-1"?><root><e Id="target" v="\u00e9">r\u00e9seau \u00ff</e></root>`,
      'latin1',
    )
    const expected = oracle(`<root><e Id="target" v="\u00e9">r\u00e9seau \u00ff</e></root>`)
    expect(ours(latin1)).toBe(expected)
    expect(ours(latin1)).toBe('<e Id="target" v="é">réseau ÿ</e>')
  })

  it('keeps processing instructions and drops comments', () => {
    // Spelled out: xml-crypto cannot canonicalise processing instructions.
    const xml = `<root><e Id="target"><?pi   some data ?><?empty?><!-- gone -->t<!--x--></e><?after x?></root>`
    expect(ours(xml)).toBe('<e Id="target"><?pi some data ?><?empty?>t</e>')
  })

  it('sorts plain attributes and declares an inherited default namespace once (fast start-tag path)', () => {
    const xml =
      `<root xmlns="urn:d"><e Id="target"><b z="1" a="2" m="&amp;"/><b z="1" a="2"/>` +
      `<c xmlns=""><d v="x"/></c><\u00e9t\u00e9 V="\u00e9"/><\u00e9t\u00e9 V="1"/></e></root>`
    const latin1 = Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>${xml}`, 'latin1')
    expect(ours(latin1)).toBe(oracle(xml))
    expect(ours(latin1)).toBe(
      '<e xmlns="urn:d" Id="target"><b a="2" m="&amp;" z="1"></b><b a="2" z="1"></b>' +
        '<c xmlns=""><d v="x"></d></c><été V="é"></été><été V="1"></été></e>',
    )
  })

  it('normalises literal whitespace in attribute values as XML 1.0 §3.3.3 asks', () => {
    // Spelled out rather than compared with xmldom, whose attribute normalisation is not the oracle here.
    expect(ours(`<r><e Id="target" a="x\ty\r\nz" b="&#9;&#10;&#13;"/></r>`)).toBe('<e Id="target" a="x y z" b="&#x9;&#xA;&#xD;"></e>')
  })
})

function expectMalformed(document: string | Buffer, id: string, message: RegExp): void {
  const bytes = typeof document === 'string' ? Buffer.from(document, 'utf8') : document
  try {
    digestElementById(bytes, { id })
  } catch (err) {
    expect(isSceauError(err, 'INPUT_MALFORMED')).toBe(true)
    expect((err as Error).message).toMatch(message)
    return
  }
  expect.fail('no error thrown')
}

describe('digestElementById refuses', () => {
  it('a DOCTYPE', () => expectMalformed(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r Id="a"/>`, 'a', /DOCTYPE/))
  it('a missing Id, naming it', () => expectMalformed(`<r><e Id="b"/></r>`, 'a', /no element has Id "a"/))
  it('a duplicate Id', () => expectMalformed(`<r><e Id="a"/><f Id="a"/></r>`, 'a', /more than one element/))
  it('a duplicate Id nested in the target', () => expectMalformed(`<r><e Id="a"><f Id="a"/></e></r>`, 'a', /more than one element/))
  it('a truncated document', () => expectMalformed(`<r><e Id="a">text</e>`, 'a', /ends inside <r>/))
  it('a truncated start tag', () => expectMalformed(`<r><e Id="a"`, 'a', /truncated|not closed/))
  it('mismatched end tags', () => expectMalformed(`<r><e Id="a"></f></r>`, 'a', /does not match/))
  it('an unknown entity', () => expectMalformed(`<r><e Id="a">&nbsp;</e></r>`, 'a', /unknown entity/))
  it('an unknown entity in an attribute', () => expectMalformed(`<r><e Id="a" v="&foo;"/></r>`, 'a', /unknown entity/))
  it('a bare ampersand', () => expectMalformed(`<r><e Id="a">a & b</e></r>`, 'a', /reference/))
  it('an unbound prefix', () => expectMalformed(`<r><p:e Id="a"/></r>`, 'a', /not bound/))
  it('over-deep nesting', () => expectMalformed(`${'<d>'.repeat(300)}<e Id="a"/>${'</d>'.repeat(300)}`, 'a', /deeper than 256/))
  it('an unsupported encoding', () => expectMalformed(`<?xml version="1.0" encoding="EBCDIC"?><r Id="a"/>`, 'a', /not supported/))
  it('invalid UTF-8', () => expectMalformed(Buffer.from([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e]), 'a', /invalid UTF-8/))
  it('two root elements', () => expectMalformed(`<r Id="a"/><s/>`, 'a', /more than one root/))
})
