// The node-set transforms against xmlsec1: for References with XPath (with here() and prefixes bound on the XPath
// element), XPath Filter 2.0, base64, enveloped-signature and octets parsed back into a node-set, under each of
// the six canonicalisations, the bytes sceau digests are the bytes xmlsec1 prints.

import { describe, expect, it } from 'vitest'
import { randomXmlDocument, type RandomXmlOptions } from '../testing/random-xml.js'
import { signatureTemplate, xmlsecReferenceData, type TemplateReference } from '../testing/xmlsec.js'
import { C14N_10, C14N_10_WITH_COMMENTS, C14N_11, C14N_11_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS } from './c14n-method.js'
import { canonicalizeDocument } from './digest.js'
import { NODE, parseXml } from './dom.js'
import { indexDocument } from './index-document.js'
import {
  BASE64_TRANSFORM,
  dereference,
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  parseSameDocumentUri,
  runTransforms,
  XPATH_FILTER2,
  XPATH_TRANSFORM,
} from './transforms.js'

const ALGORITHMS = [C14N_10, C14N_10_WITH_COMMENTS, C14N_11, C14N_11_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS]

const xpath = (expression: string, namespaces = ' xmlns:dsig="http://www.w3.org/2000/09/xmldsig#"') => ({
  algorithm: XPATH_TRANSFORM,
  inner: `<XPath${namespaces}>${expression}</XPath>`,
})
const filter2 = (...steps: [string, string][]) => ({
  algorithm: XPATH_FILTER2,
  inner: steps
    .map(([filter, expression]) => `<f:XPath xmlns:f="${XPATH_FILTER2}" xmlns:s="${DSIG_NS}" Filter="${filter}">${expression}</f:XPath>`)
    .join(''),
})

/**
 * Leaves out the elements named `name` (except the root) with their attributes and namespace nodes, keeping their
 * children: an element's own attributes and namespace nodes go with it, as libxml2 otherwise prints them alone.
 */
const leftOut = (name: string): string =>
  `((self::* or count(.|../@*) = count(../@*) or count(.|../namespace::*) = count(../namespace::*)) and ancestor-or-self::*[1][local-name()='${name}'][parent::*])`

const REFERENCES: TemplateReference[] = [
  ...ALGORITHMS.flatMap((algorithm): TemplateReference[] => [
    { uri: '', transforms: [xpath('not(ancestor-or-self::dsig:Signature)'), algorithm] },
    {
      uri: '#xpointer(/)',
      transforms: [
        xpath(
          'count(ancestor-or-self::sig:Signature | here()/ancestor::sig:Signature[1]) &gt; count(ancestor-or-self::sig:Signature)',
          ` xmlns:sig="${DSIG_NS}"`,
        ),
        algorithm,
      ],
    },
    { uri: '', transforms: [filter2(['subtract', '//s:Signature']), algorithm] },
    {
      uri: '',
      transforms: [
        filter2(['intersect', "//*[@Id='target']"], ['subtract', "//*[@Id='target']/*[2]"], ['union', "//*[@Id='target']/*[2]/*"]),
        algorithm,
      ],
    },
    {
      uri: '',
      transforms: [xpath(`not(ancestor-or-self::dsig:Signature) and not(${leftOut('e1')})`), algorithm],
    },
    {
      uri: '#target',
      transforms: [xpath(`not(${leftOut('e2')} or self::processing-instruction() or self::text()[contains(., 'a')])`), algorithm],
    },
  ]),
  { uri: '#b64', transforms: [BASE64_TRANSFORM] },
  { uri: '#b64', transforms: [xpath('self::text()'), BASE64_TRANSFORM] },
  { uri: '', transforms: [ENVELOPED_SIGNATURE, C14N_11, xpath("ancestor-or-self::*[@Id='target']", ''), EXC_C14N] },
  {
    uri: "#xpointer(id('target'))",
    transforms: [ENVELOPED_SIGNATURE, C14N_10_WITH_COMMENTS, xpath('not(self::comment())', ''), C14N_11_WITH_COMMENTS],
  },
]

const BASE64_OBJECT = `<Object Id="b64">${Buffer.from('Hello, base64 <transform> & co\n'.repeat(5))
  .toString('base64')
  .replace(/(.{60})/g, '$1\n')}</Object>`

const pickText = (pick: (n: number) => number, texts: readonly string[]): string => texts[pick(texts.length)] as string
const DOCUMENTS: RandomXmlOptions = {
  texts: ['plain', ' a &lt; b ', 'caf\u00e9', 'line\r\nbreak', '&#233;&#x1F600;', ''],
  children: 5,
  kinds: [pickText, (pick, texts) => `<![CDATA[<x> & ${pickText(pick, texts)}]]>`, () => '<!-- comment -->', () => '<?pi data?>'],
  whitespace: '\n  ',
  xmlAttributes: true,
  prolog: '<?first pi?>\n<!-- before -->\n',
  epilog: '\n<!-- after -->\n<?after?>',
}

function ours(bytes: Buffer): string[] {
  const index = indexDocument(bytes)
  const parsed = parseXml(bytes)
  const signature = parsed.elementAt(index.signatures[0]?.start ?? -1)
  if (signature === undefined) throw new Error('no signature')
  const references: Element[] = []
  for (const node of Array.from(signature.getElementsByTagNameNS(DSIG_NS, 'Reference'))) references.push(node as Element)
  return references.map((reference) => {
    const uri = parseSameDocumentUri(reference.getAttribute('URI') ?? '')
    if (uri === undefined) throw new Error('not a same-document URI')
    const nodes = dereference(parsed, uri, (id) => {
      const carriers = index.ids.get(id)
      return carriers?.length === 1 ? parsed.elementAt((carriers[0] as { start: number }).start) : undefined
    })
    if (nodes === undefined) throw new Error(`no element ${JSON.stringify(uri)}`)
    const transforms: Element[] = []
    const list = Array.from(reference.childNodes).find(
      (child) => child.nodeType === NODE.element && (child as Element).localName === 'Transforms',
    )
    for (let child = list?.firstChild ?? null; child !== null; child = child.nextSibling)
      if (child.nodeType === NODE.element) transforms.push(child as Element)
    return Buffer.from(runTransforms({ nodes }, transforms, { signature }).octets).toString('utf8')
  })
}

function signedTemplate(seed: number): { bytes: Buffer; ids: { attribute: string; localName: string; namespace: string }[] } {
  const { text } = randomXmlDocument(seed, false, DOCUMENTS)
  const end = text.lastIndexOf('</', text.length - (DOCUMENTS.epilog as string).length)
  const xml = text.slice(0, end) + signatureTemplate(REFERENCES, { objects: BASE64_OBJECT }) + text.slice(end)
  const bytes = Buffer.from(xml, 'utf8')
  const target = indexDocument(bytes).ids.get('target')?.[0]
  if (target === undefined) throw new Error('no target')
  return {
    bytes,
    ids: [
      { attribute: 'Id', localName: target.localName, namespace: target.namespace },
      { attribute: 'Id', localName: 'Object', namespace: DSIG_NS },
    ],
  }
}

describe('node-set transforms = the bytes xmlsec1 digests', () => {
  it(`XPath (here(), prefixes), XPath Filter 2.0, base64, octets parsed again: ${REFERENCES.length} References on 15 documents`, () => {
    for (let seed = 1; seed <= 15; seed++) {
      const { bytes, ids } = signedTemplate(seed)
      const expected = xmlsecReferenceData(bytes, ids).map((data) => data.toString('utf8'))
      const computed = ours(bytes)
      expect(expected).toHaveLength(REFERENCES.length)
      computed.forEach((value, k) => expect(value, `seed ${seed}, reference ${k + 1}: ${JSON.stringify(REFERENCES[k])}`).toBe(expected[k]))
    }
  })

  it('the DOM path and the streaming path agree on enveloped-signature + each canonicalisation of the document', () => {
    const { bytes } = signedTemplate(3)
    const index = indexDocument(bytes)
    const parsed = parseXml(bytes)
    const signature = parsed.elementAt(index.signatures[0]?.start ?? -1) as Element
    for (const algorithm of ALGORITHMS) {
      const document = parsed.document.createElementNS(DSIG_NS, 'Transform')
      document.setAttribute('Algorithm', ENVELOPED_SIGNATURE)
      const c14n = parsed.document.createElementNS(DSIG_NS, 'Transform')
      c14n.setAttribute('Algorithm', algorithm)
      for (const comments of [false, true]) {
        const nodes = dereference(parsed, { kind: 'document', comments }, () => undefined)
        const viaDom = Buffer.from(
          runTransforms({ nodes: nodes as NonNullable<typeof nodes> }, [document, c14n], { signature }).octets,
        ).toString('utf8')
        const method = {
          version: algorithm.includes('exc') ? 'exc-c14n' : algorithm.includes('c14n11') ? 'c14n11' : 'c14n',
          comments: comments && algorithm.endsWith('WithComments'),
        } as const
        const streamed = Buffer.from(canonicalizeDocument(bytes, { method, excludeAt: index.signatures[0]?.start })).toString('utf8')
        expect(viaDom, `${algorithm}, comments ${comments}`).toBe(streamed)
      }
    }
  })
})
