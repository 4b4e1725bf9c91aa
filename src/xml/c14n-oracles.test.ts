// The streaming canonicaliser against implementations nobody here wrote, on generated documents in several
// encodings: xmllint (libxml2) canonicalises whole documents with comments in the three forms; xmlsec1 prints the
// exact bytes it digests for References to an element (#id, #xpointer(id(...))) and to the document ("",
// #xpointer(/)) with each of the six algorithms, which covers the forms without comments, the apex element's
// inherited namespaces and xml:* attributes, and what each URI form does with comments.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { randomXmlDocument, type RandomXmlOptions } from '../testing/random-xml.js'
import { signatureTemplate, xmlsecReferenceData, type TemplateReference } from '../testing/xmlsec.js'
import {
  C14N_10,
  C14N_10_WITH_COMMENTS,
  C14N_11,
  C14N_11_WITH_COMMENTS,
  c14nMethodFromUri,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  type C14nMethod,
} from './c14n-method.js'
import { canonicalizeDocument, canonicalizeElementAt } from './digest.js'
import { byteTable, transcodeToUtf8 } from './encoding.js'
import { indexDocument } from './index-document.js'

const ALGORITHMS = [C14N_10, C14N_10_WITH_COMMENTS, C14N_11, C14N_11_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS]
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'

const pickText = (pick: (n: number) => number, texts: readonly string[]): string => texts[pick(texts.length)] as string

const DOCUMENTS: RandomXmlOptions = {
  texts: [
    'plain',
    ' a &lt; b ',
    '&amp;&gt;&quot;',
    'caf\u00e9',
    '\u20ac 10 \u0153uvre',
    '\u017dlu\u0165ou\u010dk\u00fd k\u016f\u0148',
    'line\r\nbreak\rcr',
    '&#233;&#x1F600;',
    '\t tab ',
    'x ]]&gt; y',
    '',
  ],
  children: 5,
  kinds: [
    pickText,
    (pick, texts) => `<![CDATA[<x> & ${pickText(pick, texts)}]]>`,
    () => '<!-- comment & <stuff>\r\n -->',
    (pick) => (pick(2) === 0 ? '<?pi inside\r\n data ?>' : '<?empty?>'),
  ],
  whitespace: '\n  ',
  xmlAttributes: true,
  prolog: '<?first pi?>\n<!-- before -->\n',
  epilog: '\n<!-- after -->\n<?after the root?>\n',
}

/** The WHATWG name (for the table) and the label the declaration gives. */
const ENCODINGS = [
  { label: 'UTF-8' },
  { label: 'ISO-8859-1' },
  { label: 'windows-1252', table: 'windows-1252' },
  { label: 'ISO-8859-15', table: 'iso-8859-15' },
  { label: 'ISO-8859-2', table: 'iso-8859-2' },
  { label: 'UTF-16' },
]

/** The document of `seed` written in an encoding; characters it lacks become references. */
function documentIn(seed: number, label: string, table: string | undefined, insert?: (text: string) => string): Buffer {
  const { text: utf8Text } = randomXmlDocument(seed, false, DOCUMENTS)
  const text = (insert ?? ((value: string) => value))(utf8Text).replace('encoding="UTF-8"', `encoding="${label}"`)
  if (label === 'UTF-8') return Buffer.from(text, 'utf8')
  if (label === 'UTF-16') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  const codes = table === undefined ? undefined : byteTable(table).codes
  const bytes: number[] = []
  for (const character of text) {
    const code = character.codePointAt(0) as number
    const byte = codes === undefined ? (code <= 0xff ? code : -1) : code < 0x80 ? code : codes.indexOf(code)
    if (byte >= 0) bytes.push(byte)
    else for (const ascii of Buffer.from(`&#x${code.toString(16)};`, 'latin1')) bytes.push(ascii)
  }
  return Buffer.from(bytes)
}

const directory = mkdtempSync(join(tmpdir(), 'sceau-c14n-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

function xmllint(bytes: Buffer, flag: string): string {
  const file = join(directory, 'doc.xml')
  writeFileSync(file, bytes)
  return execFileSync('xmllint', [flag, file]).toString('utf8')
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8')

describe('whole documents with comments = xmllint --c14n / --c14n11 / --exc-c14n', () => {
  for (const { label, table } of ENCODINGS) {
    it(`${label}: 25 generated documents (PIs and comments around the root, xml:* attributes, CR LF)`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        const bytes = documentIn(seed, label, table)
        const readable = transcodeToUtf8(bytes) ?? bytes
        for (const [flag, version] of [
          ['--c14n', 'c14n'],
          ['--c14n11', 'c14n11'],
          ['--exc-c14n', 'exc-c14n'],
        ] as const) {
          const ours = text(canonicalizeDocument(readable, { method: { version, comments: true } }))
          expect(ours, `seed ${seed} ${flag}`).toBe(xmllint(bytes, flag))
        }
      }
    })
  }
})

describe('References to an element and to the document = the bytes xmlsec1 digests', () => {
  for (const { label, table } of ENCODINGS) {
    it(`${label}: 12 generated documents × 6 algorithms × #id, #xpointer(id()), "", #xpointer(/)`, () => {
      const references: TemplateReference[] = ALGORITHMS.flatMap((algorithm) => [
        { uri: '#target', transforms: [algorithm] },
        { uri: "#xpointer(id('target'))", transforms: [algorithm] },
        { uri: '', transforms: [ENVELOPED, algorithm] },
        { uri: '#xpointer(/)', transforms: [ENVELOPED, algorithm] },
      ])
      const template = signatureTemplate(references)
      for (let seed = 1; seed <= 12; seed++) {
        const bytes = documentIn(seed, label, table, (value) => {
          const end = value.lastIndexOf('</', value.length - (DOCUMENTS.epilog as string).length)
          return value.slice(0, end) + template + value.slice(end)
        })
        const readable = transcodeToUtf8(bytes) ?? bytes
        const index = indexDocument(readable)
        const target = index.ids.get('target')?.[0]
        const signature = index.signatures[0]
        if (target === undefined || signature === undefined) throw new Error('no target or no signature')
        const expected = xmlsecReferenceData(bytes, [{ attribute: 'Id', localName: target.localName, namespace: target.namespace }])
        expect(expected).toHaveLength(references.length)
        const ours: string[] = []
        for (const algorithm of ALGORITHMS) {
          const method = c14nMethodFromUri(algorithm) as C14nMethod
          // A bare-name or "" URI leaves the comments out (XML-DSig §4.4.3.3); the XPointer forms keep them.
          const without = { ...method, comments: false }
          ours.push(text(canonicalizeElementAt(readable, index.encoding, target, { method: without })))
          ours.push(text(canonicalizeElementAt(readable, index.encoding, target, { method })))
          ours.push(text(canonicalizeDocument(readable, { method: without, excludeAt: signature.start })))
          ours.push(text(canonicalizeDocument(readable, { method, excludeAt: signature.start })))
        }
        ours.forEach((value, k) => expect(value, `seed ${seed}, reference ${k + 1}`).toBe(expected[k]?.toString('utf8')))
      }
    })
  }
})

/** Hand-made documents: each aims at one rule; the template goes before the root's end tag. */
const HANDMADE: readonly string[] = [
  // A default namespace declared on an ancestor, undeclared below the apex, redeclared redundantly.
  '<r xmlns="urn:d" xmlns:a="urn:a"><m xmlns:b="urn:b"><t Id="target"><u xmlns=""><v xmlns="urn:d"/></u><w xmlns="urn:d" xmlns:a="urn:a"/></t></m>#</r>',
  // The apex in no namespace under a default one: no xmlns="" on the apex, nothing inherited.
  '<r xmlns="urn:d"><t xmlns="" Id="target"><u/></t>#</r>',
  // xml:* attributes on omitted ancestors: 1.0 inherits all of them (nearest wins), 1.1 joins xml:base, drops xml:id.
  '<r xml:lang="fr" xml:space="preserve" xml:base="http://ex.com/a/b/c" xml:id="r1"><m xml:base="../d/" xml:lang="en" xml:id="m1"><n xml:base="e/f"><t Id="target" xml:base="g/"><u xml:base="h/"/></t></n></m>#</r>',
  // xml:base absolute on an inner ancestor overrides the outer one; the apex has its own xml:lang.
  '<r xml:base="http://a.example/x/"><m xml:base="http://b.example/y/z"><t Id="target" xml:lang="de"/></m>#</r>',
  // Relative xml:base values only, with dot segments.
  '<r xml:base="one/two/"><m xml:base="./three/../four/"><t Id="target" xml:base="five"/></m>#</r>',
  // Comments and PIs around the root and inside the target, CR LF inside them.
  '<?xml-stylesheet href="a.xsl"\r\n type="text/xsl"?>\r\n<!-- head\r\n comment -->\r\n<r><t Id="target"><!--in\r\nside--><?pi \r\n data?>text</t>#</r>\r\n<!--tail--><?tail?>',
  // Attributes sorted by namespace URI then local name, prefixes in the way.
  '<r xmlns:z="urn:a" xmlns:a="urn:z"><t Id="target" z:b="1" a:a="2" b="3" a:c="4" xml:lang="x" xmlns:y="urn:y"/>#</r>',
]

describe('hand-made documents = the bytes xmlsec1 digests', () => {
  for (const { label, table } of ENCODINGS.filter((encoding) => ['UTF-8', 'ISO-8859-2', 'UTF-16'].includes(encoding.label))) {
    it(`${label}: ${HANDMADE.length} documents × 6 algorithms × 4 URI forms`, () => {
      const references: TemplateReference[] = ALGORITHMS.flatMap((algorithm) => [
        { uri: '#target', transforms: [algorithm] },
        { uri: "#xpointer(id('target'))", transforms: [algorithm] },
        { uri: '', transforms: [ENVELOPED, algorithm] },
        { uri: '#xpointer(/)', transforms: [ENVELOPED, algorithm] },
      ])
      HANDMADE.forEach((source, k) => {
        const xml = `<?xml version="1.0" encoding="${label}"?>\n${source.replace('#', signatureTemplate(references)).replace('text', 'Žluťoučký kůň')}`
        const bytes =
          label === 'UTF-8'
            ? Buffer.from(xml, 'utf8')
            : label === 'UTF-16'
              ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')])
              : Buffer.from(
                  [...xml].map((character) =>
                    character.charCodeAt(0) < 0x80
                      ? character.charCodeAt(0)
                      : byteTable(table as string).codes.indexOf(character.charCodeAt(0)),
                  ),
                )
        const readable = transcodeToUtf8(bytes) ?? bytes
        const index = indexDocument(readable)
        const target = index.ids.get('target')?.[0]
        const signature = index.signatures[0]
        if (target === undefined || signature === undefined) throw new Error('no target or no signature')
        const expected = xmlsecReferenceData(bytes, [{ attribute: 'Id', localName: target.localName, namespace: target.namespace }])
        let r = 0
        for (const algorithm of ALGORITHMS) {
          const method = c14nMethodFromUri(algorithm) as C14nMethod
          const without = { ...method, comments: false }
          for (const value of [
            canonicalizeElementAt(readable, index.encoding, target, { method: without }),
            canonicalizeElementAt(readable, index.encoding, target, { method }),
            canonicalizeDocument(readable, { method: without, excludeAt: signature.start }),
            canonicalizeDocument(readable, { method, excludeAt: signature.start }),
          ]) {
            expect(text(value), `document ${k + 1}, reference ${r + 1} (${algorithm})`).toBe(expected[r]?.toString('utf8'))
            r++
          }
        }
      })
    })
  }
})
