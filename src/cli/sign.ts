import { writeAtomically } from '../atomic-write.js'
import { signCadesFile } from '../cades/sign-cades.js'
import { SceauError } from '../errors.js'
import { parseCommand } from './args.js'
import type { CommandIo } from './io.js'
import { OUTPUT_OPTIONS, signFiles } from './sign-files.js'
import { SIGNER_OPTIONS, SIGNER_USAGE } from './signer-options.js'

const USAGE = `sceau sign FILE... [--format cades] [--level B-B|B-T] [--tsa URL] ${SIGNER_USAGE} [--out FILE.p7s | --out-dir DIR] [--json]`

/** `sceau sign`: a detached CAdES signature (FILE.p7s) of any file. */
export async function signCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    { ...OUTPUT_OPTIONS, ...SIGNER_OPTIONS, format: { type: 'string' }, level: { type: 'string' }, tsa: { type: 'string' } },
    USAGE,
  )
  if ((values.format ?? 'cades') !== 'cades')
    throw new SceauError('USAGE', `--format ${values.format}: this version makes detached CAdES (cades)`)
  const level = values.level ?? (values.tsa === undefined ? 'B-B' : 'B-T')
  if (level !== 'B-B' && level !== 'B-T') throw new SceauError('USAGE', `--level ${level}: one of B-B, B-T`)
  if (level === 'B-T' && values.tsa === undefined)
    throw new SceauError('USAGE', '--level B-T needs --tsa URL (an RFC 3161 time-stamping authority)')
  const timestamp = values.tsa === undefined ? undefined : { url: values.tsa }
  return signFiles(
    positionals,
    values,
    io,
    USAGE,
    async (input, output, signer) => {
      const p7s = await signCadesFile(input, signer, { timestamp })
      await writeAtomically(output, (write) => write(p7s))
      return { lines: [`signed ${input} → ${output} (CAdES ${level}, detached)`], json: { level } }
    },
    '.p7s',
  )
}
