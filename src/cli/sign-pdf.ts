import { writeAtomically } from '../atomic-write.js'
import { SceauError } from '../errors.js'
import { readInputFile } from '../read-file.js'
import { timestampPdfParts } from '../pades/document-timestamp.js'
import { extendToLt } from '../pades/extend-lt.js'
import { pdfJob } from '../batch/jobs.js'
import { signPdfParts, type SignPdfOptions } from '../pades/sign-pdf.js'
import { parseCommand } from './args.js'
import type { CommandIo } from './io.js'
import { BATCH_USAGE, OUTPUT_OPTIONS, signFiles, type SignedFile } from './sign-files.js'
import { SIGNER_OPTIONS, SIGNER_USAGE } from './signer-options.js'
import { levelOf, LT_OPTIONS, LT_USAGE, ltDataMissing, ltOptions } from './lt-options.js'

const USAGE =
  `sceau sign-pdf IN.pdf... (--out OUT.pdf | --out-dir DIR) ${SIGNER_USAGE} [--reason TEXT] [--location TEXT] [--contact TEXT] ` +
  `[--name TEXT] [--tsa URL] [--level B-B|B-T|B-LT|B-LTA ${LT_USAGE}] [--visible PAGE,X,Y,W,H] [--certify 1|2|3] ${BATCH_USAGE} [--json]`

/** `sceau sign-pdf`: PAdES B-B signatures, added as incremental updates. */
export async function signPdfCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      ...OUTPUT_OPTIONS,
      ...SIGNER_OPTIONS,
      reason: { type: 'string' },
      location: { type: 'string' },
      contact: { type: 'string' },
      name: { type: 'string' },
      visible: { type: 'string' },
      certify: { type: 'string' },
      tsa: { type: 'string' },
      level: { type: 'string' },
      ...LT_OPTIONS,
    },
    USAGE,
  )
  const level = levelOf(values.level, values.tsa, ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const)
  // B-LT: what a verifier needs later (chains, CRLs, OCSP responses) goes into a DSS revision after the signature.
  const lt = level === 'B-LT' || level === 'B-LTA' ? await ltOptions(values) : undefined
  const options: SignPdfOptions = {
    timestamp: values.tsa === undefined ? undefined : { url: values.tsa },
    reason: values.reason,
    location: values.location,
    contactInfo: values.contact,
    name: values.name,
    ...visible(values.visible),
    certify: certify(values.certify),
  }
  const signed = (input: string, output: string, appended: number, byteRange: unknown): SignedFile => ({
    lines: [`signed ${input} → ${output} (PAdES ${level}, ${appended} bytes appended)`],
    json: { byteRange },
  })
  if (lt === undefined) {
    // B-B and B-T are sceau/batch's pdfJob, which --workers can run on other threads.
    return signFiles(positionals, values, io, USAGE, {
      job: pdfJob(options),
      report: (input, output, info) => signed(input, output, Number(info?.bytesAppended), info?.byteRange),
    })
  }
  return signFiles(positionals, values, io, USAGE, async (input, output, signer) => {
    const { original, appended, byteRange } = await signPdfParts(await readInputFile(input), signer, options)
    const extended = await extendToLt(Buffer.concat([original, appended]), lt)
    if (extended.missing.length > 0) throw ltDataMissing(extended.missing, input)
    const dss = extended.appended
    // B-LTA: a document time-stamp over everything so far, the DSS included.
    let stamp: Uint8Array | undefined
    if (level === 'B-LTA' && values.tsa !== undefined) {
      stamp = (await timestampPdfParts(Buffer.concat([original, appended, dss]), { url: values.tsa })).appended
    }
    await writeAtomically(output, (write) => {
      write(original)
      write(appended)
      write(dss)
      if (stamp !== undefined) write(stamp)
    })
    return signed(input, output, appended.length, byteRange)
  })
}

function visible(value: string | undefined): Pick<SignPdfOptions, 'page' | 'rect'> {
  if (value === undefined) return {}
  const numbers = value.split(',').map(Number)
  const [page, x, y, width, height] = numbers
  if (numbers.length !== 5 || numbers.some((n) => !Number.isFinite(n)) || page === undefined || x === undefined || y === undefined) {
    throw new SceauError('USAGE', '--visible takes PAGE,X,Y,WIDTH,HEIGHT (page from 1, points from the bottom left)')
  }
  return { page: page - 1, rect: [x, y, x + (width ?? 0), y + (height ?? 0)] }
}

function certify(value: string | undefined): SignPdfOptions['certify'] {
  if (value === undefined) return undefined
  if (value === '1' || value === '2' || value === '3') return Number(value) as 1 | 2 | 3
  throw new SceauError('USAGE', '--certify takes 1 (no changes), 2 (form filling and signing) or 3 (also annotations)')
}
