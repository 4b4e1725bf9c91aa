import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findModules } from '../pkcs11/discover.js'

/** One object to put on a test token. */
export type TokenObject =
  /** A private key (PKCS#8 DER file) and its certificate. */
  | {
      kind: 'key-and-cert'
      keyFile: string
      certFile: string
      id: string
      label: string
      /** CKA_ID of the certificate when it should differ from the key's. */
      certId?: string
      /** CKA_ALWAYS_AUTHENTICATE: the PIN is asked at every signature, as on some qualified-signature cards. */
      alwaysAuthenticate?: boolean
    }
  /** A certificate alone (a CA certificate, or a certificate whose key is elsewhere). */
  | { kind: 'cert'; certFile: string; id: string; label: string }
  /** A key pair generated on the token, with no certificate. */
  | { kind: 'generate'; keyType: 'rsa:2048' | 'EC:prime256v1'; id: string; label: string }

export interface TokenSpec {
  label: string
  pin: string
  objects: TokenObject[]
}

export interface SoftHsm {
  /** Directory of softhsm2.conf and the token store. */
  dir: string
  tokenDir: string
  conf: string
  module: string
  tokens: Array<TokenSpec & { serial: string }>
  cleanup(): void
}

/** SoftHSM's module on this machine, found the way users' machines find it. */
export function softHsmModule(): string {
  const found = findModules().find((module) => module.id === 'softhsm2')
  if (found === undefined) throw new Error('SoftHSM2 is not installed (apt-get install softhsm2)')
  return found.path
}

/**
 * Creates a throwaway SoftHSM token store in a temporary directory and points SOFTHSM2_CONF at it. Must
 * run before the module is first opened in this process: SoftHSM reads its configuration at C_Initialize.
 * The test PINs go to pkcs11-tool through the environment, not its command line.
 */
export function createSoftHsm(tokens: TokenSpec[]): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'sceau-softhsm-'))
  const tokenDir = join(dir, 'tokens')
  mkdirSync(tokenDir)
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n`)
  process.env.SOFTHSM2_CONF = conf
  const module = softHsmModule()
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  const created: SoftHsm['tokens'] = []
  for (const token of tokens) {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token.label, '--so-pin', 'so-' + token.pin, '--pin', token.pin], {
      env,
      stdio: 'pipe',
    })
    const tool = (args: string[]): string =>
      execFileSync('pkcs11-tool', ['--module', module, '--token-label', token.label, '--login', '--pin', 'env:SCEAU_TEST_PIN', ...args], {
        env: { ...env, SCEAU_TEST_PIN: token.pin },
        stdio: 'pipe',
      }).toString()
    for (const object of token.objects) {
      if (object.kind === 'key-and-cert') {
        tool([
          '--write-object',
          object.keyFile,
          '--type',
          'privkey',
          '--id',
          object.id,
          '--label',
          object.label,
          '--usage-sign',
          ...(object.alwaysAuthenticate ? ['--always-auth'] : []),
        ])
        tool(['--write-object', object.certFile, '--type', 'cert', '--id', object.certId ?? object.id, '--label', object.label])
      } else if (object.kind === 'cert') {
        tool(['--write-object', object.certFile, '--type', 'cert', '--id', object.id, '--label', object.label])
      } else {
        tool(['--keypairgen', '--key-type', object.keyType, '--id', object.id, '--label', object.label, '--usage-sign'])
      }
    }
    const listing = execFileSync('pkcs11-tool', ['--module', module, '-L'], { env }).toString()
    const serial = serialOf(listing, token.label)
    created.push({ ...token, serial })
  }
  return {
    dir,
    tokenDir,
    conf,
    module,
    tokens: created,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

function serialOf(listing: string, label: string): string {
  const blocks = listing.split(/\n(?=Slot )/)
  const block = blocks.find((text) =>
    new RegExp(`token label\\s*:\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm').test(text),
  )
  const serial = block?.match(/serial num\s*:\s*(\S+)/)?.[1]
  if (serial === undefined) throw new Error(`token "${label}" not found in pkcs11-tool -L output`)
  return serial
}
