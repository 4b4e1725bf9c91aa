import { writeAtomically } from '../atomic-write.js'
import { cosignCades, counterSignCades } from '../cades/cosign.js'
import { hashEnvelopedContent, readEnvelopedFile, writeEnveloping } from '../cades/enveloped.js'
import { extendCadesToLt } from '../cades/extend-lt.js'
import { signCadesFile, type SignCadesOptions } from '../cades/sign-cades.js'
import { cadesJob, xadesDetachedJob } from '../batch/jobs.js'
import { parseCms } from '../cms/parse.js'
import type { SignaturePolicyReference } from '../cms/signed-attributes.js'
import { commitmentTypeOf } from '../commitment.js'
import { SceauError } from '../errors.js'
import { readInputFile } from '../read-file.js'
import type { ValidationDataOptions } from '../policy/validation-data.js'
import { hashFile } from '../signer/hash-file.js'
import type { Signer } from '../signer/signer.js'
import type { DigestAlgorithm } from '../types.js'
import { parseCommand } from './args.js'
import type { CommandIo } from './io.js'
import { levelOf, LT_OPTIONS, LT_USAGE, ltDataMissing, ltOptions } from './lt-options.js'
import { BATCH_USAGE, OUTPUT_OPTIONS, signFiles, type SignedFile } from './sign-files.js'
import { openSigner, SIGNER_OPTIONS, SIGNER_USAGE } from './signer-options.js'

const USAGE =
  `sceau sign FILE... [--format cades|xades] [--detached | --enveloping] [--level B-B|B-T|B-LT ${LT_USAGE}] [--tsa URL] ` +
  '[--commitment origin|approval|receipt|delivery|sender|creation] [--policy OID --policy-hash BASE64 [--policy-hash-alg SHA-256] [--policy-uri URI]] ' +
  `${SIGNER_USAGE} [--out FILE | --out-dir DIR] ${BATCH_USAGE} [--json]\n` +
  `       sceau sign --cosign EXISTING.p7s|.p7m [FILE] ${SIGNER_USAGE} [--out FILE]\n` +
  `       sceau sign --countersign EXISTING.p7s|.p7m [--signer-index N] ${SIGNER_USAGE} [--out FILE]`

const OPTIONS = {
  ...OUTPUT_OPTIONS,
  ...SIGNER_OPTIONS,
  ...LT_OPTIONS,
  format: { type: 'string' },
  detached: { type: 'boolean' },
  enveloping: { type: 'boolean' },
  level: { type: 'string' },
  tsa: { type: 'string' },
  commitment: { type: 'string' },
  policy: { type: 'string' },
  'policy-hash': { type: 'string' },
  'policy-hash-alg': { type: 'string' },
  'policy-uri': { type: 'string' },
  cosign: { type: 'string' },
  countersign: { type: 'string' },
  'signer-index': { type: 'string' },
} as const

type Level = 'B-B' | 'B-T' | 'B-LT'

/**
 * `sceau sign`: a signature of any file — detached CAdES (FILE.p7s, the default), enveloping CAdES (FILE.p7m) or
 * detached XAdES (FILE.xades.xml) — or a co-signature / counter-signature added to an existing CAdES file.
 */
export async function signCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, USAGE)
  const format = values.format ?? 'cades'
  if (format !== 'cades' && format !== 'xades') throw new SceauError('USAGE', `--format ${format}: one of cades, xades`)
  if (values.detached === true && values.enveloping === true) throw new SceauError('USAGE', 'give --detached or --enveloping, not both')
  if (format === 'xades' && values.enveloping === true)
    throw new SceauError('USAGE', 'XAdES signatures of files are detached: drop --enveloping')
  const levels: readonly Level[] = format === 'xades' ? ['B-B', 'B-T'] : ['B-B', 'B-T', 'B-LT']
  const level = levelOf(values.level, values.tsa, levels)
  const lt = level === 'B-LT' ? await ltOptions(values) : undefined
  const options: SignCadesOptions = {
    timestamp: values.tsa === undefined ? undefined : { url: values.tsa },
    commitmentType: values.commitment === undefined ? undefined : commitmentTypeOf(values.commitment),
    signaturePolicy: policyOf(values),
  }
  if (values.cosign !== undefined && values.countersign !== undefined)
    throw new SceauError('USAGE', 'give --cosign or --countersign, not both')
  if (values.cosign !== undefined || values.countersign !== undefined) {
    if (format !== 'cades') throw new SceauError('USAGE', '--cosign and --countersign add to a CAdES signature (.p7s, .p7m)')
    return addToExisting(values, positionals, io, options, lt)
  }

  if (format === 'xades') {
    const { signaturePolicy } = options
    const job = xadesDetachedJob({
      timestamp: options.timestamp,
      commitmentType: options.commitmentType,
      ...(signaturePolicy === undefined
        ? {}
        : {
            policy: {
              oid: signaturePolicy.oid,
              hashAlgorithm: signaturePolicy.hashAlgorithm,
              hash: Buffer.from(signaturePolicy.hash).toString('base64'),
              uri: signaturePolicy.uri,
            },
          }),
    })
    const report = (input: string, output: string): SignedFile => ({
      lines: [`signed ${input} → ${output} (XAdES ${level}, detached)`],
      json: { format, level },
    })
    return signFiles(positionals, values, io, USAGE, { job, report }, '.xades.xml')
  }
  const enveloping = values.enveloping === true
  const packaging = enveloping ? 'enveloping' : 'detached'
  const report = (input: string, output: string): SignedFile => ({
    lines: [`signed ${input} → ${output} (CAdES ${level}, ${packaging})`],
    json: { format, level, packaging },
  })
  const suffix = enveloping ? '.p7m' : '.p7s'
  if (lt === undefined) return signFiles(positionals, values, io, USAGE, { job: cadesJob({ ...options, enveloping }), report }, suffix)
  // B-LT: the validation data is gathered after signing, on the main thread.
  return signFiles(
    positionals,
    values,
    io,
    USAGE,
    async (input, output, signer) => {
      const p7s = await extendToLt(await signCadesFile(input, signer, options), lt, input)
      if (enveloping) await writeEnveloping(output, parseCms(p7s).parts, { path: input })
      else await writeAtomically(output, (write) => write(p7s))
      return report(input, output)
    },
    suffix,
  )
}

/** --cosign / --countersign: one more SignerInfo in an existing .p7s or .p7m, written over it unless --out. */
async function addToExisting(
  values: { cosign?: string; countersign?: string; 'signer-index'?: string; out?: string; 'out-dir'?: string; json?: boolean } & Parameters<
    typeof openSigner
  >[0],
  positionals: readonly string[],
  io: CommandIo,
  options: SignCadesOptions,
  lt: ValidationDataOptions | undefined,
): Promise<number> {
  const existing = (values.cosign ?? values.countersign) as string
  if ((values.key === undefined) === (values.p12 === undefined))
    throw new SceauError('USAGE', `give --key pkcs11:URI or --p12 FILE\nusage: ${USAGE}`)
  if (values['out-dir'] !== undefined) throw new SceauError('USAGE', '--cosign and --countersign write one file: use --out FILE')
  if (positionals.length > 1 || (values.countersign !== undefined && positionals.length > 0)) {
    throw new SceauError(
      'USAGE',
      `${values.cosign !== undefined ? '--cosign takes one FILE' : '--countersign takes no FILE'}\nusage: ${USAGE}`,
    )
  }
  const output = values.out ?? existing
  const enveloped = await readEnvelopedFile(existing)
  const cms = enveloped?.detached ?? (await readInputFile(existing))
  const contentPath = positionals[0] ?? existing.replace(/\.p7s$/i, '')
  if (enveloped === undefined && values.cosign !== undefined && contentPath === existing) {
    throw new SceauError('USAGE', `give the signed FILE after --cosign ${existing} (its name does not end in .p7s)`)
  }
  const digestOf = (hash: DigestAlgorithm | 'SHA-1'): Promise<Uint8Array> =>
    enveloped === undefined ? hashFile(contentPath, hash) : hashEnvelopedContent(enveloped.content, hash)

  const { signer, close } = await openSigner(values, io)
  let updated: Uint8Array
  try {
    updated = await addSignature(cms, signer, values, options, digestOf)
  } finally {
    close()
  }
  if (lt !== undefined) updated = await extendToLt(updated, lt, existing)
  if (enveloped === undefined) await writeAtomically(output, (write) => write(updated))
  else await writeEnveloping(output, parseCms(updated).parts, enveloped.content)

  const what = values.cosign !== undefined ? 'co-signed' : 'counter-signed'
  const signers = parseCms(updated).signers.length
  if (values.json) io.out(JSON.stringify({ files: [{ input: existing, output, action: what, signers }] }, null, 2))
  else io.out(`${what} ${existing} → ${output} (${signers} signer(s))`)
  return 0
}

async function addSignature(
  cms: Uint8Array,
  signer: Signer,
  values: { cosign?: string; 'signer-index'?: string },
  options: SignCadesOptions,
  digestOf: (hash: DigestAlgorithm | 'SHA-1') => Promise<Uint8Array>,
): Promise<Uint8Array> {
  if (values.cosign !== undefined) return cosignCades(cms, digestOf, signer, options)
  const index = values['signer-index']
  if (index !== undefined && !/^[1-9]\d*$/.test(index)) throw new SceauError('USAGE', '--signer-index takes a signer number, from 1')
  return counterSignCades(cms, signer, { ...options, signerIndex: index === undefined ? undefined : Number(index) - 1 })
}

async function extendToLt(p7s: Uint8Array, lt: ValidationDataOptions, file: string): Promise<Uint8Array> {
  const { der, missing } = await extendCadesToLt(p7s, lt)
  if (missing.length > 0) throw ltDataMissing(missing, file)
  return der
}

function policyOf(values: {
  policy?: string
  'policy-hash'?: string
  'policy-hash-alg'?: string
  'policy-uri'?: string
}): SignaturePolicyReference | undefined {
  if (values.policy === undefined) {
    if (values['policy-hash'] !== undefined || values['policy-uri'] !== undefined)
      throw new SceauError('USAGE', '--policy-hash and --policy-uri go with --policy OID')
    return undefined
  }
  if (!/^\d+(\.\d+)+$/.test(values.policy))
    throw new SceauError('USAGE', `--policy ${values.policy}: an OID such as 1.2.250.1.131.1.5.18.21.1.7`)
  const hashAlgorithm = values['policy-hash-alg'] ?? 'SHA-256'
  if (hashAlgorithm !== 'SHA-256' && hashAlgorithm !== 'SHA-384' && hashAlgorithm !== 'SHA-512') {
    throw new SceauError('USAGE', `--policy-hash-alg ${hashAlgorithm}: one of SHA-256, SHA-384, SHA-512`)
  }
  if (values['policy-hash'] === undefined)
    throw new SceauError('USAGE', '--policy needs --policy-hash BASE64 (the digest of the policy document)')
  return {
    oid: values.policy,
    hashAlgorithm,
    hash: new Uint8Array(Buffer.from(values['policy-hash'], 'base64')),
    ...(values['policy-uri'] === undefined ? {} : { uri: values['policy-uri'] }),
  }
}
