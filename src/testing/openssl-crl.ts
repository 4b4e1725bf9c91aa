// CRLs made by `openssl ca -gencrl` over an index.txt written here: the way CAs running OpenSSL publish them, with as
// many entries as a test or a benchmark wants, read back by sceau's parser (nobody here wrote the writer).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { derToPem } from '../x509/pem.js'

/** A reason `openssl ca` writes in a CRL entry (its spelling, RFC 5280 §5.3.1 codes 0 to 6). */
export type OpensslCrlReason =
  'unspecified' | 'keyCompromise' | 'CACompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation' | 'certificateHold'

/** One revoked certificate. */
export interface OpensslCrlEntry {
  /** Serial number, hex (no 0x). */
  readonly serial: string
  readonly revokedAt: Date
  readonly reason?: OpensslCrlReason
}

/** Options of {@link opensslCrl}. */
export interface OpensslCrlOptions {
  /** The CA: certificate and PKCS#8 private key, DER. */
  readonly issuer: { readonly certificate: Uint8Array; readonly privateKey: Uint8Array }
  readonly entries: readonly OpensslCrlEntry[]
  readonly thisUpdate: Date
  readonly nextUpdate: Date
}

// openssl's index.txt and -crl_lastupdate dates: YYMMDDHHMMSSZ (UTCTime) and YYYYMMDDHHMMSSZ.
const utcTime = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
// openssl wants whole octets in the serial column.
const evenHex = (hex: string): string => (hex.length % 2 === 0 ? hex : `0${hex}`).toUpperCase()
const generalizedTime = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'

/**
 * Runs `openssl ca -gencrl` in a scratch directory (removed afterwards) and returns the CRL, DER. Entries are written
 * in the order given; openssl signs with SHA-256 and adds cRLNumber 1, and authorityKeyIdentifier when the CA has a subjectKeyIdentifier.
 *
 * @example
 * ```ts
 * const crl = opensslCrl({ issuer: pki.intermediate, entries: [{ serial: '1a2b', revokedAt, reason: 'superseded' }], thisUpdate, nextUpdate })
 * ```
 */
export function opensslCrl(options: OpensslCrlOptions): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'sceau-openssl-crl-'))
  try {
    const file = (name: string): string => join(dir, name)
    writeFileSync(file('ca.pem'), derToPem(options.issuer.certificate))
    writeFileSync(file('ca.key'), derToPem(options.issuer.privateKey, 'PRIVATE KEY'), { mode: 0o600 })
    // The expiry column is not written into the CRL; openssl only wants a well-formed date.
    const expiry = utcTime(new Date(options.nextUpdate.getTime() + 365 * 86_400_000))
    const lines = options.entries.map(
      (entry) =>
        `R\t${expiry}\t${utcTime(entry.revokedAt)}${entry.reason === undefined ? '' : `,${entry.reason}`}\t${evenHex(entry.serial)}\tunknown\t/CN=revoked ${entry.serial}`,
    )
    writeFileSync(file('index.txt'), lines.length === 0 ? '' : `${lines.join('\n')}\n`)
    writeFileSync(file('index.txt.attr'), 'unique_subject = no\n')
    writeFileSync(file('crlnumber'), '01\n')
    writeFileSync(
      file('ca.cnf'),
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `database = ${file('index.txt')}`,
        `crlnumber = ${file('crlnumber')}`,
        'default_md = sha256',
        'crl_extensions = crl_extensions',
        '[crl_extensions]',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    )
    execFileSync(
      'openssl',
      [
        'ca',
        '-batch',
        '-config',
        file('ca.cnf'),
        '-gencrl',
        '-keyfile',
        file('ca.key'),
        '-cert',
        file('ca.pem'),
        '-crl_lastupdate',
        generalizedTime(options.thisUpdate),
        '-crl_nextupdate',
        generalizedTime(options.nextUpdate),
        '-out',
        file('crl.pem'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    execFileSync('openssl', ['crl', '-in', file('crl.pem'), '-outform', 'DER', '-out', file('crl.der')])
    return new Uint8Array(readFileSync(file('crl.der')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
