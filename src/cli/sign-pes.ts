import { SceauError } from '../errors.js'
import { pesJob } from '../batch/jobs.js'
import type { SignPesOptions, SignPesResult } from '../xades/sign-pes.js'
import { parseCommand } from './args.js'
import type { CommandIo } from './io.js'
import { BATCH_USAGE, OUTPUT_OPTIONS, signFiles } from './sign-files.js'
import { SIGNER_OPTIONS, SIGNER_USAGE } from './signer-options.js'

const USAGE =
  `sceau sign-pes IN.xml... (--out OUT.xml | --out-dir DIR) ${SIGNER_USAGE} [--per-bordereau | --whole] [--role TEXT] ` +
  `[--city TEXT] [--postal-code TEXT] [--country TEXT] [--set-info-demat] [--add-ids] ${BATCH_USAGE} [--json]`

/** `sceau sign-pes`: XAdES-EPES signatures on PES V2 flows, per bordereau (default) or whole. */
export async function signPesCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      ...OUTPUT_OPTIONS,
      ...SIGNER_OPTIONS,
      'per-bordereau': { type: 'boolean' },
      whole: { type: 'boolean' },
      role: { type: 'string' },
      city: { type: 'string' },
      'postal-code': { type: 'string' },
      country: { type: 'string' },
      'set-info-demat': { type: 'boolean' },
      'add-ids': { type: 'boolean' },
    },
    USAGE,
  )
  if (values.whole && values['per-bordereau']) throw new SceauError('USAGE', 'choose --per-bordereau or --whole')
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
  return signFiles(positionals, values, io, USAGE, {
    job: pesJob(options),
    report: (input, output, info) => {
      const { signatures, changes } = info as Pick<SignPesResult, 'signatures' | 'changes'>
      const elements = signatures.map((signature) => `${signature.element} ${signature.elementId}`)
      const lines = [
        `signed ${input} → ${output}: ${elements.length} signature${elements.length === 1 ? '' : 's'} (${elements.join(', ')})`,
      ]
      if (changes.infoDematerialisee > 0) lines.push(`  InfoDematerialisee set to 1 in ${changes.infoDematerialisee} header(s)`)
      if (changes.idsAdded.length > 0) lines.push(`  Ids added: ${changes.idsAdded.join(', ')}`)
      return { lines, json: { signatures, changes } }
    },
  })
}
