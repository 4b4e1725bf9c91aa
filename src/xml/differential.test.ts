// The streaming canonicaliser against xml-crypto's DOM ExclusiveCanonicalization on generated documents:
// namespaces (default, prefixed, redeclared, undeclared), attributes, entities, CDATA, comments, processing
// instructions outside the element, line ends and both encodings. Any difference is a bug in one of them, and xmlsec1 decides.

import { DOMParser } from '@xmldom/xmldom'
import { ExclusiveCanonicalization } from 'xml-crypto'
import { describe, expect, it } from 'vitest'
import { canonicalizeElementAt, canonicalizeElementById } from './digest.js'
import { indexDocument } from './index-document.js'
import { randomXmlDocument, type RandomXmlOptions } from '../testing/random-xml.js'

const text = (pick: (n: number) => number, texts: readonly string[]): string => texts[pick(texts.length)] as string

// Processing instructions stay outside the elements: xml-crypto renders one as its data alone (C14N §2.3 keeps
// `<?target data?>`); digest.test.ts checks ours against the specification's form.
const DOCUMENTS: RandomXmlOptions = {
  texts: [
    'plain',
    ' a &lt; b ',
    '&amp;&gt;&quot;',
    'caf\u00e9',
    '\u20ac 10',
    'line\r\nbreak\rcr',
    '&#233;&#x1F600;',
    '\t tab ',
    'x ]]&gt; y',
    '',
  ],
  children: 5,
  kinds: [text, (pick, texts) => `<![CDATA[<x> & ${text(pick, texts)}]]>`, () => '<!-- comment & <stuff> -->', text],
  whitespace: '\n  ',
}

function oracle(xml: string): string {
  const document = new DOMParser().parseFromString(xml, 'text/xml')
  const element = Array.from(document.getElementsByTagName('*')).find((node) => node.getAttribute('Id') === 'target')
  if (element === undefined) throw new Error('no target')
  return String(new ExclusiveCanonicalization().process(element as never, {} as never))
}

describe('streaming exc-c14n = xml-crypto on 400 generated documents', () => {
  for (const latin1 of [false, true]) {
    it(`${latin1 ? 'ISO-8859-1' : 'UTF-8'} documents, by Id and at an indexed offset`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        // Latin-1 documents cannot hold the euro sign and the emoji: they keep them as character references.
        const { text, bytes } = randomXmlDocument(seed, latin1, DOCUMENTS)
        const expected = oracle(text)
        const byId = Buffer.from(canonicalizeElementById(bytes, { id: 'target', excludeSignature: false })).toString('utf8')
        expect(byId, `seed ${seed}: ${text}`).toBe(expected)
        const index = indexDocument(bytes)
        const element = index.ids.get('target')?.[0]
        if (element === undefined) throw new Error('index lost the target')
        expect(Buffer.from(canonicalizeElementAt(bytes, index.encoding, element)).toString('utf8'), `seed ${seed}`).toBe(expected)
      }
    })
  }
})
