import { describeKeyChoice } from './format.js'
import { parseCommand, pinSourceFrom } from './args.js'
import { resolveModule, defaultModule } from '../pkcs11/discover.js'
import { listTokens, type Inventory } from '../pkcs11/inventory.js'
import { pinFromUriSource } from '../pkcs11/pin.js'
import { parsePkcs11Uri } from '../pkcs11/uri.js'
import { EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'

const USAGE = 'sceau tokens [--module PATH|ID] [--token URI|LABEL] [--pin-env VAR | --pin-file FILE | --pin-prompt] [--json]'

/** `sceau tokens`: what the module's tokens hold. */
export async function tokensCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      module: { type: 'string' },
      token: { type: 'string' },
      'pin-env': { type: 'string' },
      'pin-file': { type: 'string' },
      'pin-prompt': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  )
  // A token URI copied from `sceau tokens` or another tool may carry module-path and pin-source (RFC 7512 §2.4).
  const uri = values.token?.toLowerCase().startsWith('pkcs11:') ? parsePkcs11Uri(values.token) : undefined
  const modulePath = values.module ?? uri?.modulePath
  const module = modulePath === undefined ? defaultModule({ env: io.env }) : resolveModule(modulePath, { env: io.env })
  const pin = pinSourceFrom(values, io.env) ?? (uri?.pinSource === undefined ? undefined : pinFromUriSource(uri.pinSource))
  const inventory = await listTokens({ module: module.path, token: values.token, pin })
  if (values.json) io.out(JSON.stringify(inventory, null, 2))
  else io.out(renderInventory(inventory))
  return EXIT.OK
}

function renderInventory(inventory: Inventory): string {
  const lines: string[] = []
  if (inventory.tokens.length === 0) lines.push('No initialised token found.')
  for (const token of inventory.tokens) {
    const flags = [
      token.flags.loginRequired ? 'login required' : 'no login',
      token.flags.protectedAuthenticationPath ? 'PIN pad' : undefined,
      token.flags.pinLocked
        ? 'PIN LOCKED'
        : token.flags.pinFinalTry
          ? 'PIN: FINAL TRY'
          : token.flags.pinCountLow
            ? 'PIN: wrong tries recorded'
            : undefined,
    ].filter(Boolean)
    lines.push(
      `Token "${token.label}" — ${token.manufacturer} ${token.model}, serial ${token.serial}, slot ${token.slot} (${flags.join(', ')})`,
    )
    lines.push(`  ${token.uri}`)
    if (token.certificates.length === 0) lines.push('  no certificate')
    for (const cert of token.certificates) {
      const key = cert.hasPrivateKey === null ? 'key: log in to see' : cert.hasPrivateKey ? 'has its private key' : 'NO private key'
      lines.push(`  certificate "${cert.label}" (id ${cert.id || '-'})${cert.isCA ? ' [CA]' : ''}`)
      lines.push(`    subject   ${cert.subject}`)
      lines.push(`    issuer    ${cert.issuer}`)
      lines.push(`    valid     ${cert.notBefore.slice(0, 10)} → ${cert.notAfter.slice(0, 10)}   serial ${cert.serialNumber}`)
      lines.push(
        `    usage     ${cert.keyUsage.join(', ') || '-'}${cert.qcStatements?.compliance ? '   qualified (QcCompliance' + (cert.qcStatements.sscd ? ', QSCD)' : ')') : ''}`,
      )
      if (cert.policies.length > 0) lines.push(`    policies  ${cert.policies.join(', ')}`)
      lines.push(`    ${key}`)
      lines.push(`    ${cert.uri}`)
    }
    for (const key of token.keys) lines.push(`  ${describeKeyChoice(key)}`)
    if (!token.loggedIn && token.flags.loginRequired)
      lines.push('  (private keys are hidden until login: add --pin-env VAR, --pin-file FILE or --pin-prompt)')
  }
  for (const skipped of inventory.skippedSlots) lines.push(`Slot ${skipped.slot} skipped: ${skipped.reason}`)
  return lines.join('\n')
}
