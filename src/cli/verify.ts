import { open, readFile, type FileHandle } from 'node:fs/promises'
import { SceauError } from '../errors.js'
import { verifyCades, type CadesSignatureReport, type CadesVerificationReport } from '../cades/verify-cades.js'
import { verifyPdf, type PdfVerificationReport } from '../pades/verify-pdf.js'
import { verifyXmlFile, type XmlVerificationReport } from '../xades/verify.js'
import type { Indication } from '../verdicts.js'
import { parseCommand } from './args.js'
import { errorJson, errorLine, EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { junitReport, type VerifiedFile } from './junit.js'
import { strictReport } from './strict.js'
import { loadTrust, MARK, TRUST_OPTIONS, TRUST_USAGE } from './trust-options.js'
import { writeAtomically } from '../atomic-write.js'
import { cannotRead } from '../read-file.js'

const USAGE = `sceau verify FILE... ${TRUST_USAGE} [--content FILE] [--strict] [--json] [--junit FILE]`

/** `sceau verify`: every signature of every file, with an ETSI-style verdict each. */
export async function verifyCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    { ...TRUST_OPTIONS, json: { type: 'boolean' }, junit: { type: 'string' }, content: { type: 'string' }, strict: { type: 'boolean' } },
    USAGE,
  )
  if (positionals.length === 0) throw new SceauError('USAGE', `give the files to verify\nusage: ${USAGE}`)
  const trust = await loadTrust(values)
  const files: VerifiedFile[] = []
  for (const file of positionals) {
    try {
      const options = { ...trust.options, file, at: trust.at, profile: trust.profile }
      // PDFs, CMS and XML are told apart by content, not by name; a .p7s signs the file beside it (or --content).
      const head = await readHead(file)
      const judged =
        head === '%PDF-'
          ? await verifyPdf(await readFile(file), options)
          : head.charCodeAt(0) === 0x30
            ? await verifyCades(file, { ...options, content: values.content })
            : await verifyXmlFile(file, { ...options, content: values.content })
      // --strict: warnings fail too (INDETERMINATE), for a CI that wants every finding to stop the line.
      const report = values.strict === true ? strictReport(judged) : judged
      files.push({ file, report })
      if (!values.json)
        io.out(report.kind === 'pdf' ? renderPdfReport(report) : report.kind === 'cades' ? renderCadesReport(report) : renderReport(report))
    } catch (err) {
      files.push({ file, error: err })
      if (!values.json) io.err(errorLine(err).replace(/^sceau: /, `sceau: ${file}: `))
    }
  }
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          ...(values.strict === true ? { strict: true } : {}),
          files: files.map((entry) => ('report' in entry ? entry.report : { file: entry.file, ...errorJson(entry.error) })),
        },
        null,
        2,
      ),
    )
  }
  const junit = values.junit
  if (junit !== undefined) await writeAtomically(junit, (write) => write(Buffer.from(junitReport(files), 'utf8')))
  return exitCode(files)
}

function exitCode(files: readonly VerifiedFile[]): number {
  const indications = files.flatMap((entry) => ('report' in entry ? [entry.report.indication] : []))
  if (indications.includes('TOTAL_FAILED')) return EXIT.FAILED
  if (files.some((entry) => 'error' in entry)) return EXIT.ERROR
  if (indications.includes('INDETERMINATE')) return EXIT.INDETERMINATE
  return EXIT.OK
}

function verdict(indication: Indication, subIndication: string | undefined): string {
  return `${indication}${subIndication === undefined ? '' : ` (${subIndication})`}`
}

function renderReport(report: XmlVerificationReport): string {
  const lines = [
    `${report.file ?? ''}: ${verdict(report.indication, report.subIndication)} — ${report.signatures.length} signature(s), ${report.kind === 'pes' ? 'PES V2 flow' : 'XML'}`,
  ]
  for (const signature of report.signatures) {
    const covers = signature.covers.filter((covered) => covered.scope !== 'signed-properties')
    const what = covers.map((covered) =>
      covered.scope === 'document'
        ? `the whole document (<${covered.element}>)`
        : covered.scope === 'detached'
          ? `${covered.element} (detached${covered.file === undefined ? '' : `, read from ${covered.file}`})`
          : `<${covered.element}> ${covered.id ?? ''}`.trim(),
    )
    lines.push(`  signature ${signature.id ?? `at byte ${signature.offset}`}: ${verdict(signature.indication, signature.subIndication)}`)
    lines.push(`    covers     ${what.join(', ') || '(nothing)'}`)
    if (signature.signer) lines.push(`    signer     ${signature.signer.subject}`, `    issuer     ${signature.signer.issuer}`)
    if (signature.signingTime) lines.push(`    signed at  ${signature.signingTime} (claimed)`)
    if (signature.timestamp) lines.push(`    time-stamp ${signature.timestamp}`)
    if (signature.xades?.role) lines.push(`    role       ${signature.xades.role}`)
    if (signature.xades?.commitmentTypes?.length) lines.push(`    commitment ${signature.xades.commitmentTypes.join(', ')}`)
    if (signature.xades?.policy)
      lines.push(`    policy     ${signature.xades.policy.oid}${signature.xades.policy.known ? '' : ' (unknown hash)'}`)
    for (const check of signature.checks) {
      if (check.status !== 'pass') lines.push(`    [${MARK[check.status] ?? check.status}] ${check.id}: ${check.reason}`)
    }
  }
  for (const check of report.checks)
    if (check.status !== 'pass') lines.push(`  [${MARK[check.status] ?? check.status}] ${check.id}: ${check.reason}`)
  return lines.join('\n')
}

function renderCadesReport(report: CadesVerificationReport): string {
  const what =
    report.packaging === 'enveloping'
      ? `enveloping CAdES (${report.contentLength ?? 0} bytes inside)`
      : `detached CAdES of ${report.content}`
  const lines = [
    `${report.file ?? ''}: ${verdict(report.indication, report.subIndication)} — ${report.signatures.length} signature(s), ${what}`,
  ]
  const render = (signature: CadesSignatureReport, label: string, indent: string): void => {
    lines.push(`${indent}${label}: ${verdict(signature.indication, signature.subIndication)} (${signature.level})`)
    if (signature.signer)
      lines.push(`${indent}  signer     ${signature.signer.subject}`, `${indent}  issuer     ${signature.signer.issuer}`)
    if (signature.signingTime) lines.push(`${indent}  signed at  ${signature.signingTime} (claimed)`)
    if (signature.timestamp) lines.push(`${indent}  time-stamp ${signature.timestamp}`)
    if (signature.commitmentType) lines.push(`${indent}  commitment ${signature.commitmentType}`)
    if (signature.policy) lines.push(`${indent}  policy     ${signature.policy === 'implied' ? 'implied' : signature.policy.oid}`)
    for (const check of signature.checks) {
      if (check.status !== 'pass') lines.push(`${indent}  [${MARK[check.status] ?? check.status}] ${check.id}: ${check.reason}`)
    }
    signature.counterSignatures.forEach((counter, k) => render(counter, `counter-signature ${k + 1}`, `${indent}  `))
  }
  report.signatures.forEach((signature, k) => render(signature, `signature ${k + 1}`, '  '))
  return lines.join('\n')
}

function renderPdfReport(report: PdfVerificationReport): string {
  const lines = [
    `${report.file ?? ''}: ${verdict(report.indication, report.subIndication)} — ${report.signatures.length} signature(s), PDF`,
  ]
  for (const signature of report.signatures) {
    lines.push(`  signature ${signature.field}: ${verdict(signature.indication, signature.subIndication)}`)
    lines.push(
      `    covers     ${signature.coversWholeDocument ? 'the whole document' : `the document up to byte ${(signature.byteRange[2] ?? 0) + (signature.byteRange[3] ?? 0)}; ${signature.bytesAfter} bytes were added after it`}`,
    )
    if (signature.signer) lines.push(`    signer     ${signature.signer.subject}`, `    issuer     ${signature.signer.issuer}`)
    if (signature.signingTime) lines.push(`    signed at  ${signature.signingTime} (claimed)`)
    if (signature.reason) lines.push(`    reason     ${signature.reason}`)
    for (const check of signature.checks) {
      if (check.status !== 'pass') lines.push(`    [${MARK[check.status] ?? check.status}] ${check.id}: ${check.reason}`)
    }
  }
  for (const check of report.checks)
    if (check.status !== 'pass') lines.push(`  [${MARK[check.status] ?? check.status}] ${check.id}: ${check.reason}`)
  return lines.join('\n')
}

async function readHead(file: string): Promise<string> {
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (cause) {
    throw cannotRead(file, cause)
  }
  try {
    const head = Buffer.alloc(5)
    const { bytesRead } = await handle.read(head, 0, 5, 0)
    return head.subarray(0, bytesRead).toString('latin1')
  } finally {
    await handle.close()
  }
}
