// The options of a B-LT signature (PAdES or CAdES): where the chains and the revocation data come from.

import { SceauError } from '../errors.js'
import type { ValidationDataOptions } from '../policy/validation-data.js'
import { readCertificateFile, readInput } from './trust-options.js'

/** parseArgs options of B-LT. */
export const LT_OPTIONS = {
  trust: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  'no-crl-fetch': { type: 'boolean' },
  ocsp: { type: 'boolean' },
} as const

/** The usage text of {@link LT_OPTIONS}. */
export const LT_USAGE = '[--trust PEM]... [--crl CRL]... [--no-crl-fetch] [--ocsp]'

/** The validation-data options the B-LT flags name. */
export async function ltOptions(values: {
  trust?: string[]
  crl?: string[]
  'no-crl-fetch'?: boolean
  ocsp?: boolean
}): Promise<ValidationDataOptions> {
  return {
    trustedCertificates: (await Promise.all((values.trust ?? []).map(readCertificateFile))).flat(),
    crls: await Promise.all((values.crl ?? []).map(readInput)),
    fetch: values['no-crl-fetch'] !== true,
    ocsp: values.ocsp === true,
  }
}

/** The error for revocation data that could not be found for some certificates. */
export function ltDataMissing(missing: readonly string[], file: string): SceauError {
  return new SceauError('LT_DATA_MISSING', `no revocation data for ${missing.join('; ')}: give --crl, or allow fetching`, {
    details: { file },
  })
}

/** `--level`, checked against the levels a command makes, with B-T implied by --tsa. */
export function levelOf<Level extends string>(level: string | undefined, tsa: string | undefined, levels: readonly Level[]): Level {
  const chosen = level ?? (tsa === undefined ? 'B-B' : 'B-T')
  if (!(levels as readonly string[]).includes(chosen)) throw new SceauError('USAGE', `--level ${chosen}: one of ${levels.join(', ')}`)
  if (chosen !== 'B-B' && tsa === undefined)
    throw new SceauError('USAGE', `--level ${chosen} needs --tsa URL (an RFC 3161 time-stamping authority)`)
  if (chosen === 'B-B' && tsa !== undefined) throw new SceauError('USAGE', '--tsa makes a B-T signature; drop --level B-B')
  return chosen as Level
}
