import { describe, expect, it } from 'vitest'
import { SceauError } from '../../errors.js'
import { parseTrustedList } from './parse.js'

const TSL = 'http://uri.etsi.org/02231/v2#'

function failure(run: () => unknown): SceauError {
  try {
    run()
  } catch (err) {
    if (err instanceof SceauError) return err
    throw err
  }
  throw new Error('expected a SceauError')
}

describe('parseTrustedList on hostile or wrong input', () => {
  it('refuses a DOCTYPE before any entity is expanded', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE TrustServiceStatusList [<!ENTITY boom "EXPANDED-ENTITY">]>
<TrustServiceStatusList xmlns="${TSL}"><SchemeInformation><TSLType>&boom;</TSLType></SchemeInformation></TrustServiceStatusList>`
    const err = failure(() => parseTrustedList(xml, { file: 'evil.xml' }))
    expect(err.code).toBe('INPUT_MALFORMED')
    expect(err.message).toBe('DOCTYPE declarations are refused in "evil.xml"')
    expect(JSON.stringify(err)).not.toContain('EXPANDED-ENTITY')
  })

  it('refuses a DOCTYPE given as bytes, whatever its case', () => {
    const err = failure(() => parseTrustedList(new TextEncoder().encode('<!doctype x SYSTEM "http://example.org/x.dtd"><x/>')))
    expect(err.message).toBe('DOCTYPE declarations are refused')
  })

  it('refuses input over the size bound, by default 20 MB', () => {
    expect(failure(() => parseTrustedList('<a/>'.repeat(10), { maxBytes: 39 })).code).toBe('INPUT_TOO_LARGE')
    const big = new Uint8Array(20 * 1024 * 1024 + 1)
    const err = failure(() => parseTrustedList(big, { file: 'big.xml' }))
    expect(err.code).toBe('INPUT_TOO_LARGE')
    expect(err.details).toMatchObject({ file: 'big.xml', size: 20 * 1024 * 1024 + 1 })
  })

  it('refuses nesting deeper than the bound', () => {
    const deep = `<TrustServiceStatusList xmlns="${TSL}">${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</TrustServiceStatusList>`
    const err = failure(() => parseTrustedList(deep))
    expect(err.code).toBe('INPUT_MALFORMED')
    expect(err.message).toMatch(/nests elements more than 64 deep/)
    expect(failure(() => parseTrustedList(`<a>${'<b>'.repeat(10)}${'</b>'.repeat(10)}</a>`, { maxDepth: 5 })).message).toMatch(
      /more than 5 deep/,
    )
  })

  it('refuses XML that is not well-formed', () => {
    expect(
      failure(() => parseTrustedList(`<TrustServiceStatusList xmlns="${TSL}"><SchemeInformation></TrustServiceStatusList>`)).code,
    ).toBe('INPUT_MALFORMED')
    expect(failure(() => parseTrustedList(new Uint8Array([0x3c, 0x61, 0xff, 0x3e]))).message).toMatch(/not valid UTF-8/)
  })

  it('refuses a document that is not a trusted list, naming the root it found', () => {
    const err = failure(() => parseTrustedList('<html><body/></html>', { file: 'page.html' }))
    expect(err.code).toBe('INPUT_MALFORMED')
    expect(err.message).toMatch(/root element is <html>.*not <TrustServiceStatusList>.*in "page\.html"$/)
    // The right name in the wrong namespace is not a TL either.
    expect(failure(() => parseTrustedList('<TrustServiceStatusList/>')).message).toMatch(/namespace ""/)
  })

  it('names a missing mandatory element and the file', () => {
    const noScheme = failure(() => parseTrustedList(`<TrustServiceStatusList xmlns="${TSL}"/>`, { file: 'tl.xml' }))
    expect(noScheme.message).toBe('the mandatory element <SchemeInformation> is missing from <TrustServiceStatusList> in "tl.xml"')
    const noSequence = failure(() =>
      parseTrustedList(`<TrustServiceStatusList xmlns="${TSL}"><SchemeInformation><TSLType>x</TSLType>
        <SchemeOperatorName><Name xml:lang="en">Op</Name></SchemeOperatorName><TSLVersionIdentifier>5</TSLVersionIdentifier>
        </SchemeInformation></TrustServiceStatusList>`),
    )
    expect(noSequence.message).toBe('the mandatory element <TSLSequenceNumber> is missing from <SchemeInformation>')
  })
})
