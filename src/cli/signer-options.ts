// How a signing command gets its key: a token (pkcs11: URI, PIN from env/file/prompt) or a PKCS#12 file
// (password from env/file), never a secret on the command line.

import { SceauError } from '../errors.js'
import { defaultModule, resolveModule } from '../pkcs11/discover.js'
import { pinFromUriSource } from '../pkcs11/pin.js'
import { Token } from '../pkcs11/token.js'
import { parsePkcs11Uri } from '../pkcs11/uri.js'
import { Pkcs11Signer } from '../signer/pkcs11-signer.js'
import { Pkcs12Signer } from '../signer/pkcs12-signer.js'
import type { Signer } from '../signer/signer.js'
import { pinSourceFrom } from './args.js'
import type { CommandIo } from './io.js'
import { readInput } from './trust-options.js'

/** parseArgs options naming the key. */
export const SIGNER_OPTIONS = {
  key: { type: 'string' },
  module: { type: 'string' },
  'pin-env': { type: 'string' },
  'pin-file': { type: 'string' },
  'pin-prompt': { type: 'boolean' },
  p12: { type: 'string' },
  'password-env': { type: 'string' },
  'password-file': { type: 'string' },
  sessions: { type: 'string' },
} as const

/** The usage text of {@link SIGNER_OPTIONS}. */
export const SIGNER_USAGE =
  '(--key pkcs11:URI [--module PATH] [--pin-env VAR | --pin-file FILE | --pin-prompt] [--sessions N] | --p12 FILE (--password-env VAR | --password-file FILE))'

export interface SignerValues {
  key?: string
  module?: string
  'pin-env'?: string
  'pin-file'?: string
  'pin-prompt'?: boolean
  p12?: string
  'password-env'?: string
  'password-file'?: string
  sessions?: string
}

/** Opens the signer the options name; `close` releases the token. */
export async function openSigner(values: SignerValues, io: CommandIo): Promise<{ signer: Signer; close: () => void }> {
  if (values.p12 !== undefined) {
    const password = await readPassword(values, io)
    return { signer: await Pkcs12Signer.open({ file: values.p12, bytes: await readInput(values.p12), password }), close: () => {} }
  }
  const uri = parsePkcs11Uri(values.key as string)
  const modulePath = values.module ?? uri.modulePath
  const found = modulePath === undefined ? defaultModule({ env: io.env }) : resolveModule(modulePath, { env: io.env })
  const pin = pinSourceFrom(values, io.env) ?? (uri.pinSource === undefined ? undefined : pinFromUriSource(uri.pinSource))
  // Sessions signing in parallel (default 4, capped by the token's own limit): an HSM serves more, a card one.
  const sessions = values.sessions === undefined ? undefined : Number(values.sessions)
  if (sessions !== undefined && (!Number.isInteger(sessions) || sessions < 1 || sessions > 256)) {
    throw new SceauError('USAGE', `--sessions ${values.sessions}: a whole number from 1 to 256`)
  }
  const token = await Token.open({ module: found.path, token: uri, ...(sessions === undefined ? {} : { sessions }) })
  try {
    if (pin !== undefined) await token.login(pin)
    const signer = await Pkcs11Signer.create({ token, key: values.key as string })
    return { signer, close: () => token.close() }
  } catch (err) {
    token.close()
    throw err
  }
}

async function readPassword(values: SignerValues, io: CommandIo): Promise<string> {
  if (values['password-env'] !== undefined && values['password-file'] !== undefined) {
    throw new SceauError('USAGE', 'give the PKCS#12 password one way only: --password-env VAR or --password-file FILE')
  }
  if (values['password-env'] !== undefined) {
    const password = io.env[values['password-env']]
    if (password === undefined) {
      throw new SceauError('PIN_SOURCE_FAILED', `environment variable ${values['password-env']} is not set`, {
        details: { variable: values['password-env'] },
      })
    }
    return password
  }
  if (values['password-file'] !== undefined)
    return Buffer.from(await readInput(values['password-file']))
      .toString('utf8')
      .replace(/\r?\n$/, '')
  throw new SceauError('USAGE', 'give the PKCS#12 password with --password-env VAR or --password-file FILE (never on the command line)')
}
