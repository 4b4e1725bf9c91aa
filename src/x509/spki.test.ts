import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isSceauError } from '../errors.js'
import { readCertificates } from './pem.js'
import { spkiEquals, spkiOf } from './spki.js'

const fixture = (name: string): Uint8Array =>
  readCertificates(readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url)))[0] ?? new Uint8Array()
const AGENT = fixture('Mathieu-JORRY-3310003898jm__3727ba76.pem')
const CA = fixture('Agence-Nationale-des-Titres-Securises__Autorite-de-Certification-Personnes-AAE__6daa8f68.pem')
// Node (OpenSSL) exports the certificate's key as SubjectPublicKeyInfo: the reference value.
const nodeSpki = (der: Uint8Array): Uint8Array => new Uint8Array(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }))

describe('spkiOf', () => {
  it('returns the SubjectPublicKeyInfo bytes OpenSSL exports for real certificates', () => {
    expect(spkiOf(AGENT)).toEqual(nodeSpki(AGENT))
    expect(spkiOf(CA)).toEqual(nodeSpki(CA))
  })

  it('throws CERTIFICATE_MALFORMED for something else', () => {
    let thrown: unknown
    try {
      spkiOf(spkiOf(AGENT))
    } catch (err) {
      thrown = err
    }
    expect(isSceauError(thrown, 'CERTIFICATE_MALFORMED')).toBe(true)
  })
})

describe('spkiEquals', () => {
  it('matches a certificate with its own key and not with another', () => {
    expect(spkiEquals(spkiOf(AGENT), nodeSpki(AGENT))).toBe(true)
    expect(spkiEquals(spkiOf(AGENT), spkiOf(CA))).toBe(false)
  })

  it('matches RSA keys whose algorithm identifiers are written differently', () => {
    const spki = Buffer.from(spkiOf(AGENT))
    // rsaEncryption with NULL parameters (30 0d 06 09 … 05 00) → rsaEncryption with none (30 0b 06 09 …).
    const withNull = Buffer.from('300d06092a864886f70d0101010500', 'hex')
    const at = spki.indexOf(withNull)
    expect(at).toBeGreaterThan(0)
    const body = Buffer.concat([Buffer.from('300b06092a864886f70d010101', 'hex'), spki.subarray(at + withNull.length)])
    // The outer SEQUENCE of a 2048-bit key has a two-octet length (30 82 hi lo); rewrite it for the shorter body.
    const header = Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff])
    const withoutNull = Buffer.concat([header, body])
    expect(createPublicKey({ key: withoutNull, format: 'der', type: 'spki' }).export({ format: 'jwk' })).toEqual(
      createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' }),
    )
    expect(spkiEquals(spki, withoutNull)).toBe(true)
  })

  it('compares EC keys by curve and point', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })
    expect(spkiEquals(a, Buffer.from(a))).toBe(true)
    expect(spkiEquals(a, b)).toBe(false)
  })

  it('throws INPUT_MALFORMED when a value is not a SubjectPublicKeyInfo', () => {
    let thrown: unknown
    try {
      spkiEquals(spkiOf(AGENT), new Uint8Array([0x04, 0x01, 0x00]))
    } catch (err) {
      thrown = err
    }
    expect(isSceauError(thrown, 'INPUT_MALFORMED')).toBe(true)
  })
})
