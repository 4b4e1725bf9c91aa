// The loop every signing command shares: inputs to outputs (--out for one, --out-dir for many), one key opened
// once, one file's failure reported without stopping the others, token failures stopping the run.

import { mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SceauError } from '../errors.js'
import type { Signer } from '../signer/signer.js'
import { errorJson, errorLine, EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { openSigner, TOKEN_FATAL, type SignerValues } from './signer-options.js'

/** parseArgs options of the outputs. */
export const OUTPUT_OPTIONS = {
  out: { type: 'string' },
  'out-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const

/** What signing one file reports: lines for a terminal, an object for --json. */
export interface SignedFile {
  readonly lines: readonly string[]
  readonly json: object
}

/** Signs each input into its output with `signOne`; returns the exit code. */
export async function signFiles(
  inputs: readonly string[],
  values: SignerValues & { out?: string; 'out-dir'?: string; json?: boolean },
  io: CommandIo,
  usage: string,
  signOne: (input: string, output: string, signer: Signer) => Promise<SignedFile>,
  /** For detached signatures: the output is the input's name plus this suffix, next to it unless --out/--out-dir. */
  detachedSuffix?: string,
): Promise<number> {
  if (inputs.length === 0) throw new SceauError('USAGE', `give the files to sign\nusage: ${usage}`)
  if (values.out !== undefined && values['out-dir'] !== undefined)
    throw new SceauError('USAGE', `give --out FILE or --out-dir DIR, not both`)
  if (detachedSuffix === undefined && values.out === undefined && values['out-dir'] === undefined)
    throw new SceauError('USAGE', `give --out FILE or --out-dir DIR\nusage: ${usage}`)
  if (values.out !== undefined && inputs.length > 1) throw new SceauError('USAGE', '--out takes one input; use --out-dir for several')
  if ((values.key === undefined) === (values.p12 === undefined))
    throw new SceauError('USAGE', `give --key pkcs11:URI or --p12 FILE\nusage: ${usage}`)
  const outputs = inputs.map((input) => values.out ?? join(values['out-dir'] ?? dirname(input), basename(input) + (detachedSuffix ?? '')))
  if (outputs.some((output, k) => output === inputs[k])) throw new SceauError('USAGE', 'an output would overwrite its input')
  if (values['out-dir'] !== undefined) await mkdir(values['out-dir'], { recursive: true })

  const { signer, close } = await openSigner(values, io)
  const results: object[] = []
  let worst: number = EXIT.OK
  try {
    for (const [k, input] of inputs.entries()) {
      const output = outputs[k] as string
      try {
        const signed = await signOne(input, output, signer)
        results.push({ input, output, ...signed.json })
        if (!values.json) for (const line of signed.lines) io.out(line)
      } catch (err) {
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
