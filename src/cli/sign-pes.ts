import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { SceauError } from '../errors.js'
import { pinFromUriSource } from '../pkcs11/pin.js'
import { defaultModule, resolveModule } from '../pkcs11/discover.js'
import { Token } from '../pkcs11/token.js'
import { parsePkcs11Uri } from '../pkcs11/uri.js'
import { Pkcs11Signer } from '../signer/pkcs11-signer.js'
import { Pkcs12Signer } from '../signer/pkcs12-signer.js'
import type { Signer } from '../signer/signer.js'
import { signPesFile, type SignPesOptions } from '../xades/sign-pes.js'
import { parseCommand, pinSourceFrom } from './args.js'
import { errorJson, errorLine, EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { readInput } from './trust-options.js'

const USAGE =
  'sceau sign-pes IN.xml... (--out OUT.xml | --out-dir DIR) (--key pkcs11:URI [--module PATH] [--pin-env VAR | --pin-file FILE | --pin-prompt] | ' +
  '--p12 FILE (--password-env VAR | --password-file FILE)) [--per-bordereau | --whole] [--role TEXT] [--city TEXT] [--postal-code TEXT] ' +
  '[--country TEXT] [--set-info-demat] [--add-ids] [--json]'

/** `sceau sign-pes`: XAdES-EPES signatures on PES V2 flows, per bordereau (default) or whole. */
export async function signPesCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      out: { type: 'string' },
      'out-dir': { type: 'string' },
      key: { type: 'string' },
      module: { type: 'string' },
      'pin-env': { type: 'string' },
      'pin-file': { type: 'string' },
      'pin-prompt': { type: 'boolean' },
      p12: { type: 'string' },
      'password-env': { type: 'string' },
      'password-file': { type: 'string' },
      'per-bordereau': { type: 'boolean' },
      whole: { type: 'boolean' },
      role: { type: 'string' },
      city: { type: 'string' },
      'postal-code': { type: 'string' },
      country: { type: 'string' },
      'set-info-demat': { type: 'boolean' },
      'add-ids': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  )
  if (positionals.length === 0) throw new SceauError('USAGE', `give the flows to sign\nusage: ${USAGE}`)
  if ((values.out === undefined) === (values['out-dir'] === undefined))
    throw new SceauError('USAGE', `give --out FILE or --out-dir DIR\nusage: ${USAGE}`)
  if (values.out !== undefined && positionals.length > 1) throw new SceauError('USAGE', '--out takes one input; use --out-dir for several')
  if (values.whole && values['per-bordereau']) throw new SceauError('USAGE', 'choose --per-bordereau or --whole')
  if ((values.key === undefined) === (values.p12 === undefined))
    throw new SceauError('USAGE', `give --key pkcs11:URI or --p12 FILE\nusage: ${USAGE}`)
  const outputs = positionals.map((input) => values.out ?? join(values['out-dir'] as string, basename(input)))
  if (outputs.some((output, k) => output === positionals[k])) throw new SceauError('USAGE', 'an output would overwrite its input')
  if (values['out-dir'] !== undefined) await mkdir(values['out-dir'], { recursive: true })

  const options: SignPesOptions = {
    placement: values.whole ? 'whole' : 'per-bordereau',
    role: values.role,
    place:
      values.city === undefined && values['postal-code'] === undefined && values.country === undefined
        ? undefined
        : { city: values.city, postalCode: values['postal-code'], country: values.country },
    setInfoDematerialisee: values['set-info-demat'] === true,
    addMissingIds: values['add-ids'] === true,
  }
  const { signer, close } = await openSigner(values, io)
  const results: object[] = []
  let worst: number = EXIT.OK
  try {
    // One file's failure never stops the others; the exit code says that something failed.
    for (const [k, input] of positionals.entries()) {
      const output = outputs[k] as string
      try {
        const result = await signPesFile(input, output, signer, options)
        const elements = result.signatures.map((signature) => `${signature.element} ${signature.elementId}`)
        results.push({ input, output, signatures: result.signatures, changes: result.changes })
        if (!values.json) {
          io.out(`signed ${input} → ${output}: ${elements.length} signature${elements.length === 1 ? '' : 's'} (${elements.join(', ')})`)
          if (result.changes.infoDematerialisee > 0)
            io.out(`  InfoDematerialisee set to 1 in ${result.changes.infoDematerialisee} header(s)`)
          if (result.changes.idsAdded.length > 0) io.out(`  Ids added: ${result.changes.idsAdded.join(', ')}`)
        }
      } catch (err) {
        // Token-level failures concern every file: stop rather than repeat them (and never retry a PIN).
        if (err instanceof SceauError && TOKEN_FATAL.has(err.code)) throw err
        worst = EXIT.ERROR
        results.push({ input, ...errorJson(err) })
        if (!values.json) io.err(errorLine(err).replace(/^sceau: /, `sceau: ${input}: `))
      }
    }
  } finally {
    close()
  }
  if (values.json) io.out(JSON.stringify({ files: results }, null, 2))
  return worst
}

const TOKEN_FATAL = new Set(['PIN_INCORRECT', 'PIN_LOCKED', 'TOKEN_NOT_PRESENT', 'SESSION_CLOSED', 'DEVICE_ERROR', 'PIN_SOURCE_FAILED'])

interface SignerValues {
  key?: string
  module?: string
  'pin-env'?: string
  'pin-file'?: string
  'pin-prompt'?: boolean
  p12?: string
  'password-env'?: string
  'password-file'?: string
}

async function openSigner(values: SignerValues, io: CommandIo): Promise<{ signer: Signer; close: () => void }> {
  if (values.p12 !== undefined) {
    const password = await readPassword(values, io)
    return { signer: await Pkcs12Signer.open({ file: values.p12, bytes: await readInput(values.p12), password }), close: () => {} }
  }
  const uri = parsePkcs11Uri(values.key as string)
  const modulePath = values.module ?? uri.modulePath
  const found = modulePath === undefined ? defaultModule({ env: io.env }) : resolveModule(modulePath, { env: io.env })
  const pin = pinSourceFrom(values, io.env) ?? (uri.pinSource === undefined ? undefined : pinFromUriSource(uri.pinSource))
  const token = await Token.open({ module: found.path, token: uri })
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
