import { describe, expect, it } from 'vitest'
import { EXC_C14N } from './c14n-method.js'
import { parseXml } from './dom.js'
import { indexDocument, type IndexedElement } from './index-document.js'
import { digestReference, type ReferenceDocument } from './reference.js'
import { DSIG_NS, ENVELOPED_SIGNATURE, XPATH_TRANSFORM } from './transforms.js'

// A flow whose signature (in B1) hides an unsigned Bordereau in its ds:Object; the References are written into
// the signature so that the DOM path finds its ds:Transform elements where the index says.
function flow(transforms: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><Flow xmlns:ds="${DSIG_NS}"><Bordereau Id="B1"><Piece V="1"/>` +
      `<ds:Signature><ds:SignedInfo><ds:Reference URI="#B1"><ds:Transforms>${transforms}</ds:Transforms></ds:Reference></ds:SignedInfo>` +
      `<ds:Object><Bordereau Id="HIDDEN"><Piece V="666"/></Bordereau></ds:Object></ds:Signature></Bordereau>` +
      `<Bordereau Id="B2"><Piece V="2"/></Bordereau></Flow>`,
  )
}

function setUp(bytes: Buffer): {
  document: ReferenceDocument
  byId: (id: string) => IndexedElement
  signature: IndexedElement
  reference: number
} {
  const index = indexDocument(bytes, { keep: (localName) => localName === 'Reference' || localName === 'Bordereau' })
  const byId = (id: string): IndexedElement => index.ids.get(id)?.[0] as IndexedElement
  const reference = index.elements.find((element) => element.localName === 'Reference') as IndexedElement
  let parsed: ReturnType<typeof parseXml> | undefined
  return {
    document: { input: bytes, index, dom: () => (parsed ??= parseXml(bytes)) },
    byId,
    signature: index.signatures[0] as IndexedElement,
    reference: reference.start,
  }
}

describe('digestReference: digest and coverage', () => {
  it('streams enveloped + exc-c14n, and covers the bordereau but not what hides in the signature', () => {
    const bytes = flow(`<ds:Transform Algorithm="${ENVELOPED_SIGNATURE}"/><ds:Transform Algorithm="${EXC_C14N}"/>`)
    const { document, byId, signature, reference } = setUp(bytes)
    const result = digestReference(document, {
      uri: { kind: 'id', id: 'B1', comments: false },
      target: byId('B1'),
      transforms: [{ algorithm: ENVELOPED_SIGNATURE }, { algorithm: EXC_C14N }],
      hash: 'SHA-256',
      offset: reference,
      signature,
    })
    expect(result.streamed).toBe(true)
    expect([result.covers(byId('B1')), result.covers(byId('HIDDEN')), result.covers(byId('B2'))]).toEqual([true, false, false])
  })

  it('runs an XPath transform through the DOM: same digest as the streaming enveloped form, same coverage', () => {
    const xpath = `<ds:Transform Algorithm="${XPATH_TRANSFORM}"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform><ds:Transform Algorithm="${EXC_C14N}"/>`
    const enveloped = `<ds:Transform Algorithm="${ENVELOPED_SIGNATURE}"/><ds:Transform Algorithm="${EXC_C14N}"/>`
    const a = setUp(flow(xpath))
    const b = setUp(flow(enveloped))
    const viaDom = digestReference(a.document, {
      uri: { kind: 'id', id: 'B1', comments: false },
      target: a.byId('B1'),
      transforms: [{ algorithm: XPATH_TRANSFORM }, { algorithm: EXC_C14N }],
      hash: 'SHA-256',
      offset: a.reference,
      signature: a.signature,
    })
    const viaStream = digestReference(b.document, {
      uri: { kind: 'id', id: 'B1', comments: false },
      target: b.byId('B1'),
      transforms: [{ algorithm: ENVELOPED_SIGNATURE }, { algorithm: EXC_C14N }],
      hash: 'SHA-256',
      offset: b.reference,
      signature: b.signature,
    })
    expect(viaDom.streamed).toBe(false)
    expect(Buffer.from(viaDom.digest).toString('hex')).toBe(Buffer.from(viaStream.digest).toString('hex'))
    expect([viaDom.covers(a.byId('B1')), viaDom.covers(a.byId('HIDDEN')), viaDom.covers(a.byId('B2'))]).toEqual([true, false, false])
  })

  it('an XPath that leaves part of the bordereau out: the bordereau is not covered', () => {
    const xpath = `<ds:Transform Algorithm="${XPATH_TRANSFORM}"><ds:XPath>not(ancestor-or-self::ds:Signature or ancestor-or-self::Piece)</ds:XPath></ds:Transform>`
    const { document, byId, signature, reference } = setUp(flow(xpath))
    const result = digestReference(document, {
      uri: { kind: 'id', id: 'B1', comments: false },
      target: byId('B1'),
      transforms: [{ algorithm: XPATH_TRANSFORM }],
      hash: 'SHA-256',
      offset: reference,
      signature,
    })
    expect(result.covers(byId('B1'))).toBe(false)
  })

  it('refuses a transform it does not implement (ALGORITHM_UNSUPPORTED), never guessing a digest', () => {
    const xslt = `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>`
    const { document, byId, signature, reference } = setUp(flow(xslt))
    expect(() =>
      digestReference(document, {
        uri: { kind: 'id', id: 'B1', comments: false },
        target: byId('B1'),
        transforms: [{ algorithm: 'http://www.w3.org/TR/1999/REC-xslt-19991116' }],
        hash: 'SHA-256',
        offset: reference,
        signature,
      }),
    ).toThrow(expect.objectContaining({ code: 'ALGORITHM_UNSUPPORTED' }))
  })
})
