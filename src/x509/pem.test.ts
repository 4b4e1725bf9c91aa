import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { derToPem, pemToDer, readCertificates } from './pem.js'

const pemFile = (name: string): string => readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), 'utf8')
const AGENT_PEM = pemFile('Mathieu-JORRY-3310003898jm__3727ba76.pem')
const CA_PEM = pemFile('Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68.pem')
// Node's own PEM reader gives the reference DER.
const AGENT_DER = new Uint8Array(new X509Certificate(AGENT_PEM).raw)
const CA_DER = new Uint8Array(new X509Certificate(CA_PEM).raw)

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return isSceauError(err) ? err.code : 'not a SceauError'
  }
  return undefined
}

describe('pemToDer', () => {
  it('decodes every block of a bundle, with CRLF line ends and text around the blocks', () => {
    const bundle = `subject=CN=Mathieu JORRY\r\n${AGENT_PEM.replace(/\n/g, '\r\n')}\r\nsome comment\r\n${CA_PEM}trailing text`
    expect(pemToDer(bundle)).toEqual([AGENT_DER, CA_DER])
  })

  it('keeps only the blocks with the requested label', () => {
    const bundle = derToPem(new Uint8Array([1, 2, 3]), 'PRIVATE KEY') + AGENT_PEM + derToPem(new Uint8Array([4]), 'X509 CRL')
    expect(pemToDer(bundle, { label: 'CERTIFICATE' })).toEqual([AGENT_DER])
    expect(pemToDer(bundle, { label: ['X509 CRL', 'PRIVATE KEY'] })).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4])])
    expect(pemToDer('no PEM here')).toEqual([])
  })

  it('skips RFC 1421 headers', () => {
    const withHeaders = AGENT_PEM.replace('-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\nComment: exported by a CA\n\n')
    expect(pemToDer(withHeaders)).toEqual([AGENT_DER])
  })

  it('throws INPUT_MALFORMED for bad base64, a cut block or mismatched labels', () => {
    expect(code(() => pemToDer('-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n'))).toBe('INPUT_MALFORMED')
    expect(code(() => pemToDer(AGENT_PEM.slice(0, 400)))).toBe('INPUT_MALFORMED')
    expect(code(() => pemToDer(AGENT_PEM.replace('END CERTIFICATE', 'END X509 CRL')))).toBe('INPUT_MALFORMED')
  })
})

describe('derToPem', () => {
  it('writes 64-character lines that OpenSSL’s reader (in Node) accepts', () => {
    const pem = derToPem(AGENT_DER)
    const lines = pem.trimEnd().split('\n')
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----')
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----')
    expect(lines.slice(1, -2).every((line) => line.length === 64)).toBe(true)
    expect(new X509Certificate(pem).fingerprint256).toBe(new X509Certificate(AGENT_PEM).fingerprint256)
    expect(pemToDer(pem)).toEqual([AGENT_DER])
  })
})

describe('readCertificates', () => {
  it('reads DER, concatenated DER, and PEM bundles', () => {
    expect(readCertificates(AGENT_DER)).toEqual([AGENT_DER])
    expect(readCertificates(new Uint8Array([...AGENT_DER, ...CA_DER]))).toEqual([AGENT_DER, CA_DER])
    expect(readCertificates(new TextEncoder().encode(`0 comment line\n${CA_PEM}${AGENT_PEM}`))).toEqual([CA_DER, AGENT_DER])
  })

  it('throws CERTIFICATE_MALFORMED when there is no certificate or something else', () => {
    expect(code(() => readCertificates(new Uint8Array()))).toBe('CERTIFICATE_MALFORMED')
    expect(code(() => readCertificates(new TextEncoder().encode(derToPem(new Uint8Array([1]), 'PRIVATE KEY'))))).toBe(
      'CERTIFICATE_MALFORMED',
    )
    expect(code(() => readCertificates(new TextEncoder().encode(derToPem(new Uint8Array([0x30, 0x00])))))).toBe('CERTIFICATE_MALFORMED')
    expect(code(() => readCertificates(new Uint8Array([...AGENT_DER, 0x00, 0x00])))).toBe('CERTIFICATE_MALFORMED')
    expect(code(() => readCertificates(new TextEncoder().encode('hello')))).toBe('CERTIFICATE_MALFORMED')
  })
})
