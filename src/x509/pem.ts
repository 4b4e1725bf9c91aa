/**
 * PEM ↔ DER, and reading certificates from whatever a user hands over (a .cer in DER, a .pem bundle).
 *
 * @packageDocumentation
 */

import { SceauError } from '../errors.js'
import { certificateSpki, readTlv } from './der.js'

/** Options of {@link pemToDer}. */
export interface PemToDerOptions {
  /** Keep only blocks with this label (or one of these labels), e.g. `'CERTIFICATE'`. Default: every block. */
  readonly label?: string | readonly string[]
}

// The END label must repeat the BEGIN label (RFC 7468 §2); the body is lazily matched so that a bundle's
// blocks stay separate.
const BLOCK = /-----BEGIN ([A-Z0-9][A-Z0-9 ]*)-----([\s\S]*?)-----END \1-----/g
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes every PEM block of `text`, in order. Text around and between blocks (OpenSSL's "subject=" lines,
 * comments) is ignored; CRLF and LF line ends are both accepted. RFC 1421 headers such as `Proc-Type:` are skipped.
 *
 * @throws SceauError `INPUT_MALFORMED` when a block's body is not base64, or a BEGIN line has no matching END line.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const [first, ...rest] = pemToDer(readFileSync('chain.pem', 'utf8'), { label: 'CERTIFICATE' })
 * ```
 */
export function pemToDer(text: string, options: PemToDerOptions = {}): Uint8Array[] {
  const labels = options.label === undefined ? undefined : new Set(typeof options.label === 'string' ? [options.label] : options.label)
  const blocks: Uint8Array[] = []
  let found = 0
  for (const match of text.matchAll(BLOCK)) {
    found++
    const label = match[1] ?? ''
    if (labels !== undefined && !labels.has(label)) continue
    const body = (match[2] ?? '')
      .split(/\r?\n|\r/)
      .filter((line) => !line.includes(':'))
      .join('')
      .replace(/\s+/g, '')
    if (!BASE64.test(body) || body.length % 4 === 1) {
      throw new SceauError('INPUT_MALFORMED', `the PEM block "${label}" number ${found} is not valid base64`, {
        details: { label, block: found },
      })
    }
    blocks.push(new Uint8Array(Buffer.from(body, 'base64')))
  }
  const begins = text.match(/-----BEGIN [A-Z0-9 ]*-----/g)?.length ?? 0
  if (begins !== found) {
    throw new SceauError(
      'INPUT_MALFORMED',
      `the PEM text has ${begins} BEGIN line(s) but only ${found} complete block(s); a block is cut or its END label differs`,
      {
        details: { begins, blocks: found },
      },
    )
  }
  return blocks
}

/**
 * Encodes DER as one PEM block: base64 in 64-character lines, LF line ends, a final newline.
 *
 * @example
 * ```ts
 * writeFileSync('signer.pem', derToPem(signer.certificate))
 * writeFileSync('crl.pem', derToPem(crlDer, 'X509 CRL'))
 * ```
 */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}-----END ${label}-----\n`
}

// "X509 CERTIFICATE" is the pre-RFC 7468 label some old tools still write.
const CERTIFICATE_LABELS = ['CERTIFICATE', 'X509 CERTIFICATE']

/**
 * Reads one or more certificates from a file's bytes: PEM (one block or a bundle) or DER (one certificate, or
 * several concatenated, as some CA downloads are). Each result has the outline of an X.509 certificate; its
 * contents are decoded later by {@link describeCertificate}.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when the bytes hold no certificate or something that is not one.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const chain = readCertificates(readFileSync('ac-intermediaire.cer'))
 * ```
 */
export function readCertificates(bytes: Uint8Array): Uint8Array[] {
  const certificates = looksLikePem(bytes) ? pemCertificates(bytes) : derCertificates(bytes)
  for (const [index, der] of certificates.entries()) {
    if (certificateSpki(der) === undefined) {
      throw new SceauError('CERTIFICATE_MALFORMED', `certificate number ${index + 1} is not a DER X.509 certificate`, {
        details: { index },
      })
    }
  }
  return certificates
}

function looksLikePem(bytes: Uint8Array): boolean {
  // A DER certificate is one SEQUENCE from the first byte; PEM is text with a BEGIN line somewhere (a text
  // file may well start with "0", which is 0x30 too).
  const der = readTlv(bytes, 0)
  if (der?.tag === 0x30 && der.end <= bytes.length && bytes[der.contentStart] === 0x30) return false
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('-----BEGIN ')
}

function pemCertificates(bytes: Uint8Array): Uint8Array[] {
  let blocks: Uint8Array[]
  try {
    blocks = pemToDer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), { label: CERTIFICATE_LABELS })
  } catch (err) {
    if (err instanceof SceauError) throw new SceauError('CERTIFICATE_MALFORMED', err.message, { cause: err, details: err.details })
    throw err
  }
  if (blocks.length === 0) throw new SceauError('CERTIFICATE_MALFORMED', 'the PEM text holds no CERTIFICATE block')
  return blocks
}

function derCertificates(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) throw new SceauError('CERTIFICATE_MALFORMED', 'the certificate file is empty')
  const certificates: Uint8Array[] = []
  let offset = 0
  while (offset < bytes.length) {
    const element = readTlv(bytes, offset)
    if (element === undefined || element.tag !== 0x30) {
      throw new SceauError(
        'CERTIFICATE_MALFORMED',
        offset === 0
          ? 'the bytes are neither a DER certificate nor PEM text'
          : `unexpected bytes after certificate number ${certificates.length} (offset ${offset})`,
        { details: { offset } },
      )
    }
    certificates.push(bytes.slice(element.start, element.end))
    offset = element.end
  }
  return certificates
}
