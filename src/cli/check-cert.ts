import { SceauError } from '../errors.js'
import { defaultModule, resolveModule } from '../pkcs11/discover.js'
import { Token } from '../pkcs11/token.js'
import { parsePkcs11Uri } from '../pkcs11/uri.js'
import { checkCertificate, type CertificateReport } from '../policy/check-certificate.js'
import { parseCommand } from './args.js'
import { EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { loadTrust, MARK, readCertificateFile, TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js'

const USAGE = `sceau check-cert (CERT.pem|CERT.der | pkcs11:URI [--module PATH]) ${TRUST_USAGE} [--json]`

/** `sceau check-cert`: can this certificate sign this kind of document, at this date, and why not. */
export async function checkCertCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { module: { type: 'string' }, ...TRUST_OPTIONS, json: { type: 'boolean' } }, USAGE)
  const [target, ...extra] = positionals
  if (target === undefined || extra.length > 0) throw new SceauError('USAGE', `give one certificate\nusage: ${USAGE}`)
  const trust = await loadTrust(values)
  const { certificate, fromToken } = await loadTarget(target, values.module, io)
  const report = await checkCertificate(certificate, {
    ...trust.options,
    at: trust.at ?? new Date(),
    profile: trust.profile ?? 'rgs2-signature',
    intermediates: [...fromToken, ...(trust.options.intermediates ?? [])],
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
