import { readFile } from 'node:fs/promises'
import { SceauError } from '../errors.js'
import { findModules, resolveModule, type FoundModule } from '../pkcs11/discover.js'
import { listTokens, type Inventory, type InventoryToken } from '../pkcs11/inventory.js'
import type { PinSource } from '../pkcs11/pin.js'
import { Token } from '../pkcs11/token.js'
import { checkCertificate, type CertificateReport } from '../policy/check-certificate.js'
import type { ProfileName } from '../policy/profiles.js'
import { parseTrustedList, type TrustedList } from '../policy/trusted-list/index.js'
import { parseCommand, pinSourceFrom } from './args.js'
import { EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { cannotRead } from '../read-file.js'

const USAGE =
  'sceau doctor [--module PATH|ID]... [--tsl TL.xml]... [--at ISO-DATE] [--pin-env VAR | --pin-file FILE | --pin-prompt] [--json]'

/** The document kinds doctor answers for, in the words of the people who sign them. */
const PROFILES: readonly { readonly name: ProfileName; readonly label: string }[] = [
  { name: 'rgs2-signature', label: 'Hélios / PES (RGS**)' },
  { name: 'eidas-qualified', label: 'Public procurement (eIDAS qualified)' },
  { name: 'eidas-qes', label: 'Qualified electronic signature' },
]

// Renewing an RGS** certificate means a face-to-face identity check and a new card: weeks, not days.
const RENEW_DAYS = 60
const DAY_MS = 86_400_000

/** One document kind's answer for one certificate. */
export interface DoctorProfileAnswer {
  readonly ok: boolean
  /** Why not (the first failing check), or what could not be confirmed. */
  readonly reason?: string
}

export interface DoctorCertificate {
  readonly label: string
  readonly subject: string
  readonly notAfter: string
  readonly daysLeft: number
  /** Null without login: private keys are hidden until then. */
  readonly hasPrivateKey: boolean | null
  readonly profiles: Readonly<Record<string, DoctorProfileAnswer>>
  /** How qualification was judged (trusted list or the certificate's own statements). */
  readonly qualificationSource: string
  readonly advice: readonly string[]
}

export interface DoctorToken {
  readonly label: string
  readonly manufacturer: string
  readonly model: string
  readonly serial: string
  readonly pin: {
    readonly loggedIn: boolean
    readonly locked: boolean
    readonly finalTry: boolean
    readonly countLow: boolean
    readonly pinPad: boolean
    readonly advice?: string
  }
  readonly certificates: readonly DoctorCertificate[]
}

export interface DoctorModule {
  readonly path: string
  readonly id: string
  readonly loaded: boolean
  readonly error?: { readonly code: string; readonly message: string; readonly advice: string }
  readonly tokens: readonly DoctorToken[]
}

export interface DoctorReport {
  readonly at: string
  readonly trustedLists: readonly string[]
  readonly revocationChecked: false
  readonly modules: readonly DoctorModule[]
  readonly advice: readonly string[]
}

/** `sceau doctor`: driver, tokens, PIN tries, which certificate can sign what, and what to do about each problem. */
export async function doctorCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      module: { type: 'string', multiple: true },
      tsl: { type: 'string', multiple: true },
      at: { type: 'string' },
      'pin-env': { type: 'string' },
      'pin-file': { type: 'string' },
      'pin-prompt': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  )
  const at = values.at === undefined ? new Date() : new Date(values.at)
  if (Number.isNaN(at.getTime())) throw new SceauError('USAGE', `--at "${values.at}" is not an ISO 8601 date`)
  const pin = pinSourceFrom(values, io.env)
  const lists = await Promise.all(
    (values.tsl ?? []).map(async (file) => {
      const list = parseTrustedList(await readInput(file), { file })
      return { file, list, name: `${file} (${list.schemeTerritory} #${list.sequenceNumber})` }
    }),
  )
  const advice: string[] = []
  const modules: DoctorModule[] = []
  for (const wanted of modulesToExamine(values.module, io, advice)) {
    modules.push(
      await examineModule(wanted, {
        at,
        pin,
        trustedLists: lists.map(({ list }) => list),
        advice,
      }),
    )
  }
  if (lists.length === 0) advice.push('qualification judged from the certificates alone: add --tsl tl-fr.xml for the official answer')
  advice.push('revocation was not checked by doctor: use "sceau check-cert" for that')

  const report: DoctorReport = {
    at: at.toISOString(),
    trustedLists: lists.map(({ name }) => name),
    revocationChecked: false,
    modules,
    advice: [...new Set(advice)],
  }
  io.out(values.json ? JSON.stringify(report, null, 2) : renderReport(report))
  return exitCode(report)
}

function modulesToExamine(given: readonly string[] | undefined, io: CommandIo, advice: string[]): (FoundModule | SceauError)[] {
  if (given !== undefined && given.length > 0) {
    return given.map((value) => {
      try {
        return resolveModule(value, { env: io.env })
      } catch (err) {
        if (err instanceof SceauError) return err
        throw err
      }
    })
  }
  const found = findModules({ env: io.env })
  if (found.length === 0)
    advice.push("no PKCS#11 module found: install your token's driver (docs/tokens.md says which) and pass it with --module PATH")
  return found
}

interface ExamineOptions {
  readonly at: Date
  readonly pin: PinSource | undefined
  readonly trustedLists: readonly TrustedList[]
  readonly advice: string[]
}

async function examineModule(module: FoundModule | SceauError, options: ExamineOptions): Promise<DoctorModule> {
  if (module instanceof SceauError) {
    // resolveModule names what was asked (a path or a known id) in the error's details.
    const asked = typeof module.details.module === 'string' ? module.details.module : '?'
    return failedModule(asked, 'custom', module, options.advice)
  }
  let inventory: Inventory
  try {
    inventory = await listTokens({ module: module.path })
  } catch (err) {
    if (err instanceof SceauError) return failedModule(module.path, module.id, err, options.advice)
    throw err
  }
  let loggedIn: InventoryToken | undefined
  if (options.pin !== undefined) {
    if (inventory.tokens.length === 1) {
      try {
        loggedIn = (await listTokens({ module: module.path, pin: options.pin })).tokens[0]
      } catch (err) {
        if (!(err instanceof SceauError)) throw err
        options.advice.push(`login to "${inventory.tokens[0]?.label ?? '?'}" failed: ${err.code}: ${err.message}`)
      }
    } else if (inventory.tokens.length > 1) {
      options.advice.push(
        `${module.name} shows ${inventory.tokens.length} tokens, so doctor did not log in: private keys are hidden without login (run "sceau tokens --token LABEL" with the PIN to see them)`,
      )
    }
  }
  if (inventory.tokens.length === 0)
    options.advice.push(`${module.name} (${module.path}) sees no token: plug the card or key in, and check the reader's driver`)
  const tokens: DoctorToken[] = []
  for (const token of inventory.tokens) tokens.push(await examineToken(loggedIn ?? token, module.path, options))
  return { path: module.path, id: module.id, loaded: true, tokens }
}

function failedModule(path: string, id: string, err: SceauError, advice: string[]): DoctorModule {
  const what =
    err.code === 'MODULE_LOAD_FAILED'
      ? 'the library exists but does not load: a 32-bit driver under 64-bit Node (or the reverse), or a library it needs is missing; see docs/tokens.md'
      : err.code === 'MODULE_NOT_FOUND'
        ? "no driver at this path: install your token's driver or correct --module (docs/tokens.md lists where each one lives)"
        : 'see docs/tokens.md, Troubleshooting'
  advice.push(`${path}: ${what}`)
  return { path, id, loaded: false, error: { code: err.code, message: err.message, advice: what }, tokens: [] }
}

async function examineToken(token: InventoryToken, modulePath: string, options: ExamineOptions): Promise<DoctorToken> {
  const { flags } = token
  const pinAdvice = flags.pinLocked
    ? 'PIN LOCKED: unblock with the PUK in the vendor tool or ask your CA'
    : flags.pinFinalTry
      ? 'ONE try left before the PIN locks'
      : flags.pinCountLow
        ? 'a wrong PIN was entered recently'
        : undefined
  if (pinAdvice !== undefined) options.advice.push(`token "${token.label}": ${pinAdvice}`)
  if (!token.loggedIn && flags.loginRequired)
    options.advice.push(
      `token "${token.label}": private keys are hidden without login; give the PIN (--pin-env VAR, --pin-file FILE or --pin-prompt) to see which certificates have their key`,
    )

  const ders = await certificateBytes(modulePath, token.slot)
  const authorities = token.certificates.filter((cert) => cert.isCA).flatMap((cert) => ders.get(cert.uri) ?? [])
  const certificates: DoctorCertificate[] = []
  for (const cert of token.certificates.filter((entry) => !entry.isCA)) {
    const der = ders.get(cert.uri)
    if (der === undefined) continue
    const daysLeft = Math.floor((Date.parse(cert.notAfter) - options.at.getTime()) / DAY_MS)
    const profiles: Record<string, DoctorProfileAnswer> = {}
    let qualificationSource = ''
    for (const { name } of PROFILES) {
      const report = await checkCertificate(der, {
        at: options.at,
        profile: name,
        intermediates: authorities,
        trustedLists: options.trustedLists,
        revocation: { waive: true },
      })
      profiles[name] = answerOf(report)
      qualificationSource = `${report.qualification.value} (from the ${report.qualification.source}${report.qualification.trustedListConsulted ? ', trusted list consulted' : ''})`
    }
    const advice: string[] = []
    const day = cert.notAfter.slice(0, 10)
    if (daysLeft < 0) advice.push(`EXPIRED on ${day}: ask your CA for a new certificate`)
    else if (daysLeft < RENEW_DAYS) advice.push(`RENEW NOW: renewal takes weeks (expires on ${day}, in ${daysLeft} days)`)
    if (cert.hasPrivateKey === false) advice.push('no private key on the token for this certificate: it cannot sign')
    for (const line of advice) options.advice.push(`"${cert.label}" on "${token.label}": ${line}`)
    certificates.push({
      label: cert.label,
      subject: cert.subject,
      notAfter: cert.notAfter,
      daysLeft,
      hasPrivateKey: cert.hasPrivateKey,
      profiles,
      qualificationSource,
      advice,
    })
  }
  return {
    label: token.label,
    manufacturer: token.manufacturer,
    model: token.model,
    serial: token.serial,
    pin: {
      loggedIn: token.loggedIn,
      locked: flags.pinLocked,
      finalTry: flags.pinFinalTry,
      countLow: flags.pinCountLow,
      pinPad: flags.protectedAuthenticationPath,
      ...(pinAdvice === undefined ? {} : { advice: pinAdvice }),
    },
    certificates,
  }
}

/** The DER of the token's certificates, by pkcs11: URI (the inventory lists them without their bytes). */
async function certificateBytes(modulePath: string, slotId: number): Promise<Map<string, Uint8Array>> {
  const token = await Token.open({ module: modulePath, token: { slotId }, sessions: 1 })
  try {
    return new Map((await token.certificates()).map((cert) => [cert.uri, cert.der]))
  } finally {
    token.close()
  }
}

/**
 * A failing check, or a requirement of the profile the certificate does not meet (CHAIN_ or CRYPTO_CONSTRAINTS_FAILURE),
 * decides "no". Without an anchor (no --tsl, or a CA the list does not hold) the chain is indeterminate: that is not a
 * reason the certificate cannot sign, so it is said but does not flip the answer. Any other missing evidence
 * (revocation unknown) does.
 */
const NATURE_CHECKS = ['profile.keyUsage', 'profile.seal', 'profile.validity', 'validity.notAfter', 'validity.notBefore']

function answerOf(report: CertificateReport): DoctorProfileAnswer {
  // What the certificate is ("authentication-only", "a seal", "expired") tells a support desk more than the
  // qualification and policy steps that fail for the same certificate before them, so it is named first.
  const failures = report.checks.filter(
    (check) =>
      check.status === 'fail' ||
      (check.status === 'indeterminate' &&
        (check.subIndication === 'CHAIN_CONSTRAINTS_FAILURE' || check.subIndication === 'CRYPTO_CONSTRAINTS_FAILURE') &&
        !check.id.startsWith('chain.')),
  )
  const failed = NATURE_CHECKS.map((id) => failures.find((check) => check.id === id)).find((check) => check !== undefined) ?? failures[0]
  if (failed !== undefined) return { ok: false, reason: failed.reason }
  const unknown = report.checks.filter((check) => check.status === 'indeterminate' && !failures.includes(check))
  const blocking = unknown.find((check) => !check.id.startsWith('chain.'))
  if (blocking !== undefined) return { ok: false, reason: blocking.reason }
  const chain = unknown[0]
  return chain === undefined ? { ok: true } : { ok: true, reason: `chain not confirmed: ${chain.reason}` }
}

function exitCode(report: DoctorReport): number {
  const tokens = report.modules.flatMap((module) => module.tokens)
  if (tokens.length === 0) return EXIT.ERROR
  const canSign = tokens
    .flatMap((token) => token.certificates)
    .some(
      (cert) =>
        cert.hasPrivateKey !== false && (cert.profiles['rgs2-signature']?.ok === true || cert.profiles['eidas-qualified']?.ok === true),
    )
  return canSign ? EXIT.OK : EXIT.FAILED
}

function renderReport(report: DoctorReport): string {
  const lines = [`sceau doctor — at ${report.at}`]
  lines.push(
    report.trustedLists.length > 0
      ? `Trusted lists consulted: ${report.trustedLists.join(', ')}`
      : 'Trusted lists: none given (qualification judged from the certificates alone)',
  )
  if (report.modules.length === 0) lines.push('', 'No PKCS#11 module found.')
  for (const module of report.modules) {
    lines.push('', `Module ${module.id} — ${module.path}`)
    if (!module.loaded) {
      lines.push(`  NOT LOADED: ${module.error?.code ?? '?'}: ${module.error?.message ?? ''}`)
      lines.push(`  what to do: ${module.error?.advice ?? ''}`)
      continue
    }
    lines.push('  loads: yes')
    if (module.tokens.length === 0) lines.push('  no token present')
    for (const token of module.tokens) {
      lines.push(`  Token "${token.label}" — ${token.manufacturer} ${token.model}, serial ${token.serial}`)
      lines.push(
        `    PIN: ${token.pin.advice ?? 'no wrong tries recorded'}${token.pin.pinPad ? ' (PIN pad)' : ''}${token.pin.loggedIn ? ', logged in' : ', not logged in'}`,
      )
      if (token.certificates.length === 0) lines.push('    no end-entity certificate')
      for (const cert of token.certificates) {
        const key =
          cert.hasPrivateKey === null ? 'private key: hidden without login' : cert.hasPrivateKey ? 'has its private key' : 'NO private key'
        lines.push(`    Certificate "${cert.label}" — ${cert.subject}`)
        lines.push(
          `      ${cert.daysLeft < 0 ? `EXPIRED on ${cert.notAfter.slice(0, 10)}` : `expires on ${cert.notAfter.slice(0, 10)} (in ${cert.daysLeft} days)`}; ${key}`,
        )
        lines.push(`      qualified: ${cert.qualificationSource}`)
        for (const { name, label } of PROFILES) {
          const answer = cert.profiles[name]
          const reason = answer?.reason === undefined ? '' : ` — ${answer.reason}`
          lines.push(`      ${label.padEnd(38)} ${answer?.ok ? 'yes' : 'no '}${reason}`)
        }
        for (const line of cert.advice) lines.push(`      ! ${line}`)
      }
    }
  }
  lines.push('', 'What to do:', ...report.advice.map((line) => `  - ${line}`))
  return lines.join('\n')
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file))
  } catch (cause) {
    throw cannotRead(file, cause)
  }
}
