import { parseArgs, type ParseArgsConfig } from 'node:util'
import { SceauError } from '../errors.js'
import { pinFromEnv, pinFromFile, pinFromPrompt, type PinSource } from '../pkcs11/pin.js'

/** Parses a command's arguments; unknown options and missing values are `USAGE` errors. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (cause) {
    throw new SceauError('USAGE', `${cause instanceof Error ? cause.message : String(cause)}\nusage: ${usage}`, { cause })
  }
}

/**
 * The PIN source the options name. There is deliberately no `--pin VALUE`: a command line is visible to
 * every user of the machine (`ps`) and lands in shell histories.
 */
export function pinSourceFrom(
  values: { 'pin-env'?: string; 'pin-file'?: string; 'pin-prompt'?: boolean },
  env: NodeJS.ProcessEnv,
): PinSource | undefined {
  const given = [values['pin-env'], values['pin-file'], values['pin-prompt'] ? 'prompt' : undefined].filter((v) => v !== undefined)
  if (given.length > 1) throw new SceauError('USAGE', 'give the PIN one way only: --pin-env VAR, --pin-file FILE or --pin-prompt')
  if (values['pin-env'] !== undefined) return pinFromEnv(values['pin-env'], env)
  if (values['pin-file'] !== undefined) return pinFromFile(values['pin-file'])
  if (values['pin-prompt']) return pinFromPrompt()
  return undefined
}

/** Refuses arguments that look like a PIN given on the command line, with a message that does not repeat it. */
export function refusePinArgument(argv: readonly string[]): void {
  if (argv.some((arg) => arg === '--pin' || arg.startsWith('--pin='))) {
    throw new SceauError(
      'USAGE',
      'a PIN is never given on the command line (other users can read it); use --pin-env VAR, --pin-file FILE or --pin-prompt',
    )
  }
}
