// The options that say what to trust and how to check revocation, shared by `check-cert` and `verify`.

import { SceauError } from '../errors.js'
import { readInputFile } from '../read-file.js'
import type { Check } from '../verdicts.js'
import type { CheckCertificateOptions } from '../policy/check-certificate.js'
import { PROFILE_NAMES, type ProfileName } from '../policy/profiles.js'
import { parseTrustedList, verifyTrustedListSignature } from '../policy/trusted-list/index.js'
import { readCertificates } from '../x509/pem.js'

/** parseArgs options for trust, revocation, date and profile. */
export const TRUST_OPTIONS = {
  trust: { type: 'string', multiple: true },
  intermediates: { type: 'string', multiple: true },
  tsl: { type: 'string', multiple: true },
  lotl: { type: 'string' },
  'tsl-signers': { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  ocsp: { type: 'boolean' },
  'no-crl-fetch': { type: 'boolean' },
  'no-revocation-check': { type: 'boolean' },
  at: { type: 'string' },
  profile: { type: 'string' },
  'policy-oid': { type: 'string', multiple: true },
} as const

/** The usage text of {@link TRUST_OPTIONS}. */
export const TRUST_USAGE =
  '[--trust PEM]... [--intermediates PEM]... [--tsl TL.xml]... [--lotl LOTL.xml] [--tsl-signers PEM]... ' +
  '[--crl CRL]... [--ocsp] [--no-crl-fetch] [--no-revocation-check] [--at ISO-DATE] [--profile rgs2-signature|eidas-qes|eidas-qualified|none] ' +
  '[--policy-oid OID]...'

interface TrustValues {
  trust?: string[]
  intermediates?: string[]
  tsl?: string[]
  lotl?: string
  'tsl-signers'?: string[]
  crl?: string[]
  ocsp?: boolean
  'no-crl-fetch'?: boolean
  'no-revocation-check'?: boolean
  at?: string
  profile?: string
  'policy-oid'?: string[]
}

/** What the trust options load to. */
export interface LoadedTrust {
  /** `--at`, or undefined for now. */
  readonly at?: Date
  /** `--profile`, or undefined for the command's default. */
  readonly profile?: ProfileName
  /** Everything else `checkCertificate` takes. */
  readonly options: Omit<CheckCertificateOptions, 'at' | 'profile'>
}

/** Reads the files the trust options name and verifies the trusted lists' signatures against the LOTL. */
export async function loadTrust(values: TrustValues): Promise<LoadedTrust> {
  const profile = values.profile as ProfileName | undefined
  if (profile !== undefined && !PROFILE_NAMES.includes(profile)) {
    throw new SceauError('USAGE', `unknown profile "${values.profile}"; one of ${PROFILE_NAMES.join(', ')}`)
  }
  const at = values.at === undefined ? undefined : new Date(values.at)
  if (at !== undefined && Number.isNaN(at.getTime())) throw new SceauError('USAGE', `--at "${values.at}" is not an ISO 8601 date`)

  const lists = await Promise.all(
    (values.tsl ?? []).map(async (file) => {
      const xml = await readInput(file)
      return { file, xml, list: parseTrustedList(xml, { file }) }
    }),
  )
  const lotl = values.lotl === undefined ? undefined : parseTrustedList(await readInput(values.lotl), { file: values.lotl })
  const givenSigners = (await Promise.all((values['tsl-signers'] ?? []).map(readCertificateFile))).flat()
  const trustedListChecks =
    lotl === undefined && givenSigners.length === 0
      ? undefined
      : lists.map(({ file, xml, list }) => {
          // The LOTL names, for each territory, the certificates allowed to sign its list.
          const fromLotl = (lotl?.pointers ?? [])
            .filter((pointer) => pointer.territory === list.schemeTerritory)
            .flatMap((pointer) => pointer.signingCertificates)
          const result = verifyTrustedListSignature(xml, { signers: [...givenSigners, ...fromLotl], file })
          const failed = result.checks.find((check) => check.status === 'fail') ?? result.checks.find((check) => check.status !== 'pass')
          const reason = `${file} (${list.schemeTerritory} #${list.sequenceNumber}): ${failed?.reason ?? `signed by ${result.signer?.subject ?? '?'}`}`
          const check: Check =
            failed === undefined ? { id: 'tl.signature', status: 'pass', reason } : { ...failed, id: 'tl.signature', reason }
          return check
        })
  return {
    at,
    profile,
    options: {
      anchors: (await Promise.all((values.trust ?? []).map(readCertificateFile))).flat(),
      intermediates: (await Promise.all((values.intermediates ?? []).map(readCertificateFile))).flat(),
      trustedLists: lists.map(({ list }) => list),
      trustedListChecks,
      acceptedPolicyOids: values['policy-oid'],
      revocation: {
        crls: await Promise.all((values.crl ?? []).map(readInput)),
        fetchCrls: !values['no-crl-fetch'],
        ocsp: values.ocsp === true,
        waive: values['no-revocation-check'] === true,
      },
    },
  }
}

/** Reads a file; FILE_NOT_FOUND names it. */
export async function readInput(file: string): Promise<Uint8Array> {
  return readInputFile(file)
}

/** Reads the certificates of a PEM or DER file. */
export async function readCertificateFile(file: string): Promise<Uint8Array[]> {
  const bytes = await readInput(file)
  try {
    return readCertificates(bytes)
  } catch (err) {
    if (err instanceof SceauError)
      throw new SceauError(err.code, `${file}: ${err.message}`, { cause: err, details: { ...err.details, file } })
    throw err
  }
}

/** How a check's status is shown in text reports. */
export const MARK: Readonly<Record<string, string>> = { pass: 'ok  ', fail: 'FAIL', indeterminate: '??  ', warning: 'warn' }
