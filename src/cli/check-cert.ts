import { readFile } from 'node:fs/promises'
import { SceauError } from '../errors.js'
import { defaultModule, resolveModule } from '../pkcs11/discover.js'
import { Token } from '../pkcs11/token.js'
import { parsePkcs11Uri } from '../pkcs11/uri.js'
import { checkCertificate, type CertificateReport } from '../policy/check-certificate.js'
import { PROFILE_NAMES, type ProfileName } from '../policy/profiles.js'
import { parseTrustedList, verifyTrustedListSignature } from '../policy/trusted-list/index.js'
import { readCertificates } from '../x509/pem.js'
import { parseCommand } from './args.js'
import { EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'

const USAGE =
  'sceau check-cert (CERT.pem|CERT.der | pkcs11:URI [--module PATH]) [--trust PEM]... [--intermediates PEM]... [--tsl TL.xml]... [--lotl LOTL.xml] [--tsl-signers PEM]... ' +
  '[--crl CRL]... [--ocsp] [--no-crl-fetch] [--no-revocation-check] [--at ISO-DATE] [--profile rgs2-signature|eidas-qes|eidas-qualified|none] ' +
  '[--policy-oid OID]... [--json]'

/** `sceau check-cert`: can this certificate sign this kind of document, at this date, and why not. */
export async function checkCertCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      module: { type: 'string' },
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
      json: { type: 'boolean' },
    },
    USAGE,
  )
  const [target, ...extra] = positionals
  if (target === undefined || extra.length > 0) throw new SceauError('USAGE', `give one certificate\nusage: ${USAGE}`)
  const profile = (values.profile ?? 'rgs2-signature') as ProfileName
  if (!PROFILE_NAMES.includes(profile))
    throw new SceauError('USAGE', `unknown profile "${values.profile}"; one of ${PROFILE_NAMES.join(', ')}`)
  const at = values.at === undefined ? new Date() : new Date(values.at)
  if (Number.isNaN(at.getTime())) throw new SceauError('USAGE', `--at "${values.at}" is not an ISO 8601 date`)

  const { certificate, fromToken } = await loadTarget(target, values.module, io)
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
          const failed = result.checks.find((check) => check.status !== 'pass')
          return {
            id: 'tl.signature',
            status: result.status,
            reason: `${file} (${list.schemeTerritory} #${list.sequenceNumber}): ${failed?.reason ?? `signed by ${result.signer?.subject ?? '?'}`}`,
          }
        })
  const report = await checkCertificate(certificate, {
    at,
    profile,
    anchors: (await Promise.all((values.trust ?? []).map(readCertificateFile))).flat(),
    intermediates: [...fromToken, ...(await Promise.all((values.intermediates ?? []).map(readCertificateFile))).flat()],
    trustedLists: lists.map(({ list }) => list),
    trustedListChecks,
    acceptedPolicyOids: values['policy-oid'],
    revocation: {
      crls: await Promise.all((values.crl ?? []).map(readInput)),
      fetchCrls: !values['no-crl-fetch'],
      ocsp: values.ocsp === true,
      waive: values['no-revocation-check'] === true,
    },
  })
  io.out(values.json ? JSON.stringify(report, null, 2) : renderReport(report))
  return report.indication === 'TOTAL_PASSED' ? EXIT.OK : report.indication === 'TOTAL_FAILED' ? EXIT.FAILED : EXIT.INDETERMINATE
}

async function loadTarget(
  target: string,
  module: string | undefined,
  io: CommandIo,
): Promise<{ certificate: Uint8Array; fromToken: Uint8Array[] }> {
  if (!target.toLowerCase().startsWith('pkcs11:')) {
    const [certificate] = await readCertificateFile(target)
    if (certificate === undefined) throw new SceauError('INPUT_MALFORMED', `no certificate in "${target}"`, { details: { file: target } })
    return { certificate, fromToken: [] }
  }
  const uri = parsePkcs11Uri(target)
  const modulePath = module ?? uri.modulePath
  const found = modulePath === undefined ? defaultModule({ env: io.env }) : resolveModule(modulePath, { env: io.env })
  const token = await Token.open({ module: found.path, token: uri, sessions: 1 })
  try {
    const certificates = await token.certificates()
    const wanted = certificates.find(
      (cert) =>
        (uri.object === undefined || cert.label === uri.object) &&
        (uri.id === undefined || cert.id === Buffer.from(uri.id).toString('hex')),
    )
    if (wanted === undefined) {
      throw new SceauError('KEY_NOT_FOUND', `no certificate matches ${target.split('?')[0]} on token "${token.info.label}"`, {
        details: { token: token.info.label },
      })
    }
    // The token's other certificates are usually the agent's CA chain: offer them as intermediates.
    return { certificate: wanted.der, fromToken: certificates.filter((cert) => cert !== wanted).map((cert) => cert.der) }
  } finally {
    token.close()
  }
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file))
  } catch (cause) {
    throw new SceauError('FILE_NOT_FOUND', `cannot read "${file}"`, { cause, details: { file } })
  }
}

async function readCertificateFile(file: string): Promise<Uint8Array[]> {
  const bytes = await readInput(file)
  try {
    return readCertificates(bytes)
  } catch (err) {
    if (err instanceof SceauError)
      throw new SceauError(err.code, `${file}: ${err.message}`, { cause: err, details: { ...err.details, file } })
    throw err
  }
}

const MARK: Record<string, string> = { pass: 'ok  ', fail: 'FAIL', indeterminate: '??  ', warning: 'warn' }

function renderReport(report: CertificateReport): string {
  const lines = [
    `${report.indication}${report.subIndication ? ` (${report.subIndication})` : ''} — profile ${report.profile}, at ${report.at}`,
    `  certificate  ${report.certificate.subject}`,
    `  issuer       ${report.certificate.issuer}`,
    `  valid        ${report.certificate.notBefore} → ${report.certificate.notAfter}`,
    `  qualified    ${report.qualification.value} (from the ${report.qualification.source}${report.qualification.trustedListConsulted ? '' : '; trusted list not consulted'})`,
    `  revocation   ${report.revocation.status}${report.revocation.sources.length ? ` (${report.revocation.sources.join(', ')})` : ''}`,
    `  chain        ${report.chain.map((element) => element.subject).join('  ←  ') || '(none)'}`,
    '',
    ...report.checks.map((check) => {
      // Checks about a CA certificate name it, so that "valid until 2025" is not read as the agent's own date.
      const about = check.subject !== undefined && check.subject !== report.certificate.subject ? ` [${commonName(check.subject)}]` : ''
      return `  [${MARK[check.status] ?? check.status}] ${check.id}${about}: ${check.reason}`
    }),
  ]
  return lines.join('\n')
}

function commonName(subject: string): string {
  return /CN=([^,]+)/.exec(subject)?.[1] ?? subject
}
