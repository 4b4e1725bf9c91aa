// A certification authority run by the openssl command line, for tests whose keys, certificates, CRLs, CMS
// signatures and time-stamps must come from software nobody here wrote: any key type OpenSSL generates (RSA of any
// size, EC on NIST and Brainpool curves, DSA, EdDSA), any digest, backdated validity, and CRLs of many entries.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A key and its certificate, as files OpenSSL reads, and the certificate's DER. */
export interface OpensslCredential {
  /** PEM private key file. */
  readonly key: string
  /** PEM certificate file. */
  readonly cert: string
  readonly der: Uint8Array
}

/** How a certificate is made. */
export interface IssueOptions {
  /** `openssl genpkey` arguments; default RSA 2048. */
  readonly key?: readonly string[]
  /** The digest the CA signs with; default sha256. */
  readonly digest?: string
  /** Validity bounds, `YYYYMMDDHHMMSSZ`; default from now for ten years. */
  readonly startDate?: string
  readonly endDate?: string
  /** `leaf` (nonRepudiation), `tsa` (critical id-kp-timeStamping) or `ca`. Default `leaf`. */
  readonly profile?: 'leaf' | 'tsa' | 'ca'
}

/** Runs a command; throws with its output when it fails. */
export function run(command: string, args: readonly string[], input?: Uint8Array): Buffer {
  const result = spawnSync(command, args, { input, maxBuffer: 256 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 2).join(' ')} failed: ${result.stderr.toString()}`)
  return result.stdout
}

/** A CA directory with `openssl ca`'s database; {@link OpensslCa.create} makes its self-signed certificate. */
export class OpensslCa {
  private serial = 0x1000

  private constructor(
    readonly dir: string,
    readonly credential: OpensslCredential,
  ) {}

  /**
   * A self-signed CA in `dir`.
   *
   * @example
   * ```ts
   * const ca = OpensslCa.create(join(tmp, 'ca'), { key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] })
   * const signer = ca.issue('alice')
   * ```
   */
  static create(dir: string, options: IssueOptions & { readonly name?: string } = {}): OpensslCa {
    mkdirSync(join(dir, 'new'), { recursive: true })
    writeFileSync(join(dir, 'index.txt'), '')
    writeFileSync(join(dir, 'crlnumber'), '01\n')
    writeFileSync(join(dir, 'ca.cnf'), config(dir))
    const key = join(dir, 'ca.key')
    const cert = join(dir, 'ca.pem')
    run('openssl', ['genpkey', ...(options.key ?? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']), '-out', key])
    const csr = join(dir, 'ca.csr')
    run('openssl', ['req', '-new', '-key', key, '-subj', `/O=sceau test/CN=${options.name ?? 'OpenSSL test CA'}`, '-out', csr])
    writeFileSync(join(dir, 'serial'), '0100\n')
    run('openssl', [
      ...['ca', '-batch', '-selfsign', '-config', join(dir, 'ca.cnf'), '-keyfile', key, '-in', csr, '-out', cert, '-notext'],
      ...['-extensions', 'ca_extensions', '-md', options.digest ?? 'sha256', ...dates(options)],
    ])
    return new OpensslCa(dir, { key, cert, der: pemToDer(cert) })
  }

  /** Issues a certificate for `name` with a new key. */
  issue(name: string, options: IssueOptions = {}): OpensslCredential {
    const key = join(this.dir, `${name}.key`)
    const cert = join(this.dir, `${name}.pem`)
    const csr = join(this.dir, `${name}.csr`)
    run('openssl', ['genpkey', ...(options.key ?? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']), '-out', key])
    run('openssl', ['req', '-new', '-key', key, '-subj', `/O=sceau test/CN=${name}`, '-out', csr])
    writeFileSync(join(this.dir, 'serial'), `${(this.serial++).toString(16)}\n`)
    run('openssl', [
      ...['ca', '-batch', '-config', join(this.dir, 'ca.cnf'), '-cert', this.credential.cert, '-keyfile', this.credential.key],
      ...[
        '-in',
        csr,
        '-out',
        cert,
        '-notext',
        '-extensions',
        EXTENSIONS[options.profile ?? 'leaf'],
        '-md',
        options.digest ?? 'sha256',
        ...dates(options),
      ],
    ])
    return { key, cert, der: pemToDer(cert) }
  }

  /**
   * A CRL (DER) revoking `count` serial numbers as well as whatever the CA revoked, made by `openssl ca -gencrl`
   * over an index the test writes: the way to get a CRL of many thousand entries from OpenSSL.
   */
  crl(count: number): Uint8Array {
    const lines: string[] = [readFileSync(join(this.dir, 'index.txt'), 'utf8').trimEnd()].filter((line) => line !== '')
    for (let i = 0; i < count; i++) {
      const serial = (0x100000 + i).toString(16).toUpperCase()
      lines.push(
        `R\t491231235959Z\t240101000000Z,keyCompromise\t${serial.length % 2 === 0 ? serial : `0${serial}`}\tunknown\t/CN=revoked ${i}`,
      )
    }
    writeFileSync(join(this.dir, 'index.txt'), `${lines.join('\n')}\n`)
    const out = join(this.dir, 'crl.pem')
    run('openssl', [
      'ca',
      '-gencrl',
      '-batch',
      '-config',
      join(this.dir, 'ca.cnf'),
      '-cert',
      this.credential.cert,
      '-keyfile',
      this.credential.key,
      '-out',
      out,
    ])
    return new Uint8Array(run('openssl', ['crl', '-in', out, '-outform', 'DER']))
  }
}

/** The DER of a PEM certificate file. */
export function pemToDer(path: string): Uint8Array {
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', path, '-outform', 'DER']))
}

const EXTENSIONS = { leaf: 'leaf', tsa: 'tsa', ca: 'ca_extensions' } as const

function dates(options: IssueOptions): string[] {
  return [
    ...(options.startDate === undefined ? [] : ['-startdate', options.startDate]),
    ...(options.endDate === undefined ? ['-days', '3650'] : ['-enddate', options.endDate]),
  ]
}

function config(dir: string): string {
  return `[ ca ]
default_ca = test_ca
[ test_ca ]
database = ${join(dir, 'index.txt')}
new_certs_dir = ${join(dir, 'new')}
serial = ${join(dir, 'serial')}
crlnumber = ${join(dir, 'crlnumber')}
default_md = sha256
default_crl_days = 30
policy = any_name
unique_subject = no
email_in_dn = no
[ any_name ]
organizationName = optional
commonName = supplied
[ ca_extensions ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`
}
