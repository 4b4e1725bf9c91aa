/**
 * Certificate path building and validation: from a leaf, through the intermediates at hand, up to one of the
 * trust anchors the caller gives, then every link judged at one date with a named {@link Check} each.
 *
 * Written here on node:crypto rather than with pkijs's `CertificateChainValidationEngine`: that engine stops at
 * the first problem and returns one code and message for the whole path, so it cannot say "the signature is fine
 * but the certificate expired on…" per certificate, it treats an expired trust anchor as a failure (DSS does not),
 * and it offers no way to try the next candidate when two CAs share a name. Node's `X509Certificate.verify` runs
 * OpenSSL's signature check (RSA PKCS#1 v1.5, RSA-PSS, ECDSA) on the exact signed bytes; every other rule is a few
 * lines below, each reported on its own.
 *
 * @packageDocumentation
 */

import { X509Certificate } from 'node:crypto'
import { SceauError } from '../errors.js'
import { describeCertificate, extensionLabel, type CertificateInfo } from '../x509/describe.js'
import { worst, type Check, type CheckStatus } from '../verdicts.js'

/** One certificate of a built path. Dates are ISO 8601 so that the result prints as JSON as it is. */
export interface ChainElement {
  /** The certificate, DER. */
  readonly der: Uint8Array
  readonly subject: string
  readonly issuer: string
  readonly notBefore: string
  readonly notAfter: string
}

/** What {@link buildChain} found and judged. */
export interface ChainResult {
  /** The worst status of {@link ChainResult.checks}. */
  readonly status: CheckStatus
  /** Leaf first, trust anchor last. When no path was found: the longest partial path, leaf first. */
  readonly chain: readonly ChainElement[]
  readonly checks: readonly Check[]
}

/** Options of {@link buildChain}. */
export interface BuildChainOptions {
  /** Trust anchors, DER. Trusted as given: their own signature is not checked and their expiry does not block. */
  readonly anchors: readonly Uint8Array[]
  /** Candidate intermediate CA certificates, DER, in any order; extra ones are ignored. */
  readonly intermediates?: readonly Uint8Array[]
  /** The date the path is judged at (signing time, or now). */
  readonly at: Date
  /** Most certificates in a path, leaf and anchor included. Default 10. */
  readonly maxDepth?: number
}

interface Node {
  readonly der: Uint8Array
  readonly info: CertificateInfo
  readonly cert: X509Certificate
  readonly anchor: boolean
}

type SignatureResult = { readonly ok: true } | { readonly ok: false; readonly error?: string }

// Enough to cover cross-certified and renewed CAs without letting a hostile pool of same-named certificates
// make the search explode.
const MAX_PATHS = 8
const DEFAULT_MAX_DEPTH = 10
// Dead ends are not bounded by MAX_PATHS; this bounds the whole search.
const MAX_STEPS = 1000

// Extensions whose meaning sceau takes into account (here, in describeCertificate's consumers, or because they only
// point somewhere). A critical extension outside this list fails the path, as RFC 5280 §4.2 requires.
// nameConstraints, policyConstraints, policyMappings and inhibitAnyPolicy are not processed, so they are absent.
const KEY_USAGE = '2.5.29.15'
const BASIC_CONSTRAINTS = '2.5.29.19'

const UNDERSTOOD_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.18', // issuerAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.32', // certificatePolicies: judged by the profile checks, which read them
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extendedKeyUsage: judged by the profile checks
  '1.3.6.1.5.5.7.1.1', // authorityInfoAccess
  '1.3.6.1.5.5.7.1.3', // qcStatements
])

/**
 * True when two distinguished names, as {@link describeCertificate} prints them, name the same entity. The
 * comparison ignores case and runs of spaces, a practical reading of RFC 5280 §7.1 (caseIgnoreMatch after
 * whitespace folding) that also absorbs PrintableString versus UTF8String encodings of the same text.
 *
 * @example
 * ```ts
 * sameName(describeCertificate(leaf).issuer, describeCertificate(ca).subject) // true when ca may have issued leaf
 * ```
 */
export function sameName(a: string, b: string): boolean {
  return normaliseName(a) === normaliseName(b)
}

function normaliseName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

/**
 * Builds a path from `leaf` to one of `options.anchors` and validates it at `options.at`.
 *
 * Issuer candidates are matched by name, and by key identifier when both the child's authorityKeyIdentifier and
 * the candidate's subjectKeyIdentifier are present; those whose key verifies the child's signature are tried
 * first, and every candidate is tried, so a renewed CA with the same name or a cross-certificate is found. Of the
 * complete paths, the first that passes is returned, else the least bad.
 *
 * Checks, each with the certificate's subject: `chain.signature`, `validity.notBefore`, `validity.notAfter`,
 * `extensions.critical` (and `extensions.undecodable` when a non-critical extension cannot be decoded) for every
 * certificate below the anchor; `issuer.basicConstraints`, `issuer.keyUsage` (keyCertSign) and `issuer.pathLength`
 * for every intermediate CA. The anchor is trusted as given, as in RFC 5280 §6.1 and DSS: its signature,
 * basicConstraints and keyUsage are not judged, and its validity period only gives a `warning` when `at` lies
 * outside it (DSS does not block on an expired trust anchor either). No path gives one `indeterminate` check
 * `chain.build` naming the issuer that was not found. Anchors and intermediates that cannot be read are left out,
 * with a `warning` check `chain.candidates` naming them.
 *
 * @throws SceauError `CERTIFICATE_MALFORMED` when `leaf` cannot be read (by {@link describeCertificate} or by
 * OpenSSL); `USAGE` when `at` is not a valid date.
 *
 * @example
 * ```ts
 * const result = buildChain(signer.certificate, { anchors: [rootDer], intermediates: signer.chain, at: new Date() })
 * if (result.status !== 'pass') for (const check of result.checks) console.log(check.status, check.id, check.reason)
 * ```
 */
export function buildChain(leaf: Uint8Array, options: BuildChainOptions): ChainResult {
  const at = options.at
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new SceauError('USAGE', 'buildChain needs a valid `at` date')
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH

  // The leaf first: a leaf that cannot be read is the caller's problem, and throws.
  const given = load(leaf, false)
  // Anchors first, so that a certificate given both as anchor and as intermediate counts as an anchor. A candidate
  // that cannot be read (a damaged certificate in a signature, in a trusted list) is left out and named: it could
  // only have been a dead end.
  const pool: Node[] = []
  const unreadable: string[] = []
  const add = (der: Uint8Array, anchor: boolean, index: number): void => {
    let node: Node
    try {
      node = load(der, anchor)
    } catch (err) {
      unreadable.push(`${anchor ? 'trust anchor' : 'intermediate'} #${index + 1} (${err instanceof Error ? err.message : String(err)})`)
      return
    }
    if (!pool.some((known) => known.info.fingerprintSha256 === node.info.fingerprintSha256)) pool.push(node)
  }
  options.anchors.forEach((der, index) => add(der, true, index))
  ;(options.intermediates ?? []).forEach((der, index) => add(der, false, index))
  const candidates: Check[] =
    unreadable.length === 0
      ? []
      : [
          {
            id: 'chain.candidates',
            status: 'warning',
            reason: `${unreadable.length} certificate(s) given cannot be read and were left out: ${unreadable.join('; ')}`,
          },
        ]
  // A leaf that is itself an anchor is trusted as given: the path is that one certificate.
  const start = pool.find((node) => node.anchor && node.info.fingerprintSha256 === given.info.fingerprintSha256) ?? given

  const signatures = new Map<string, SignatureResult>()
  const verify = (child: Node, issuer: Node): SignatureResult => {
    const key = `${child.info.fingerprintSha256}>${issuer.info.fingerprintSha256}`
    let result = signatures.get(key)
    if (result === undefined) {
      result = verifySignature(child, issuer)
      signatures.set(key, result)
    }
    return result
  }

  const complete: Node[][] = []
  const deadEnds: { path: Node[]; reason: string }[] = []
  let steps = 0
  const extend = (path: Node[]): void => {
    if (complete.length >= MAX_PATHS) return
    if (++steps > MAX_STEPS) {
      if (steps === MAX_STEPS + 1) deadEnds.push({ path, reason: `search stopped after ${MAX_STEPS} candidate certificates` })
      return
    }
    const last = path[path.length - 1]
    if (last === undefined) return
    if (last.anchor) {
      complete.push(path)
      return
    }
    if (path.length >= maxDepth) {
      deadEnds.push({ path, reason: `no trust anchor within ${maxDepth} certificates` })
      return
    }
    const named = pool.filter((candidate) => !onPath(path, candidate) && sameName(candidate.info.subject, last.info.issuer))
    const candidates = named.filter((candidate) => keyIdsMatch(last.info, candidate.info))
    if (candidates.length === 0) {
      const otherKeys =
        named.length > candidates.length ? ` (${named.length} certificate(s) with that name have another key identifier)` : ''
      const selfSigned = sameName(last.info.subject, last.info.issuer)
      deadEnds.push({
        path,
        reason: selfSigned
          ? `'${last.info.subject}' is self-issued but is not a trust anchor`
          : `issuer '${last.info.issuer}' not found${otherKeys}`,
      })
      return
    }
    // Stable sort: candidates whose key verifies the signature first, in the order given otherwise.
    const ordered = [...candidates].sort((a, b) => Number(!verify(last, a).ok) - Number(!verify(last, b).ok))
    for (const candidate of ordered) extend([...path, candidate])
  }
  extend([start])

  if (complete.length === 0) {
    const longest = deadEnds.reduce<{ path: Node[]; reason: string } | undefined>(
      (best, end) => (best === undefined || end.path.length > best.path.length ? end : best),
      undefined,
    )
    const path = longest?.path ?? [start]
    const checks: Check[] = [
      {
        id: 'chain.build',
        status: 'indeterminate',
        subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
        reason: `no path to a trust anchor: ${longest?.reason ?? 'no candidate issuer'}`,
        subject: path[path.length - 1]?.info.subject ?? start.info.subject,
      },
      ...candidates,
    ]
    return { status: 'indeterminate', chain: path.map(element), checks }
  }

  let best: { path: Node[]; checks: Check[]; status: CheckStatus } | undefined
  for (const path of complete) {
    const checks = judge(path, at, verify)
    const status = worst(checks)
    if (best === undefined || rank(status) < rank(best.status)) best = { path, checks, status }
    if (status === 'pass') break
  }
  // complete is not empty, so best is set; the fallback only satisfies the type checker.
  const chosen = best ?? { path: [start], checks: [], status: 'indeterminate' as const }
  const checks = [...chosen.checks, ...candidates]
  return { status: worst(checks), chain: chosen.path.map(element), checks }
}

function onPath(path: readonly Node[], node: Node): boolean {
  return path.some((known) => known.info.fingerprintSha256 === node.info.fingerprintSha256)
}

function rank(status: CheckStatus): number {
  return { pass: 0, warning: 1, indeterminate: 2, fail: 3 }[status]
}

function load(der: Uint8Array, anchor: boolean): Node {
  const info = describeCertificate(der)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(der)
  } catch (err) {
    throw new SceauError('CERTIFICATE_MALFORMED', `the certificate "${info.subject}" cannot be read by OpenSSL`, { cause: err })
  }
  return { der, info, cert, anchor }
}

/** A key identifier mismatch rules a candidate out; a missing identifier on either side leaves it to the signature. */
function keyIdsMatch(child: CertificateInfo, issuer: CertificateInfo): boolean {
  return child.authorityKeyIdentifier === undefined || issuer.subjectKeyIdentifier === undefined
    ? true
    : child.authorityKeyIdentifier === issuer.subjectKeyIdentifier
}

function verifySignature(child: Node, issuer: Node): SignatureResult {
  try {
    return child.cert.verify(issuer.cert.publicKey) ? { ok: true } : { ok: false }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

function element(node: Node): ChainElement {
  return {
    der: node.der,
    subject: node.info.subject,
    issuer: node.info.issuer,
    notBefore: node.info.notBefore.toISOString(),
    notAfter: node.info.notAfter.toISOString(),
  }
}

function judge(path: readonly Node[], at: Date, verify: (child: Node, issuer: Node) => SignatureResult): Check[] {
  const checks: Check[] = []
  path.forEach((node, index) => {
    const subject = node.info.subject
    const issuer = path[index + 1]
    if (issuer === undefined) {
      checks.push(...validity(node.info, at, 'anchor', ' (not blocking: a trust anchor is trusted as given, as in DSS)'))
      return
    }
    const signature = verify(node, issuer)
    checks.push({
      id: 'chain.signature',
      subject,
      ...(signature.ok
        ? { status: 'pass', reason: `signature verified with the key of '${issuer.info.subject}'` }
        : signature.error === undefined
          ? {
              status: 'indeterminate',
              subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
              reason: `signature does not verify with the key of '${issuer.info.subject}'`,
            }
          : {
              status: 'indeterminate',
              subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
              reason: `signature cannot be checked with the key of '${issuer.info.subject}' (${signature.error})`,
            }),
    })
    checks.push(...validity(node.info, at, index === 0 ? 'leaf' : 'ca', ''))
    checks.push(...extensionChecks(node.info))
    if (index > 0) checks.push(...issuerChecks(path, index))
  })
  return checks
}

/**
 * RFC 5280 §4.2: a certificate with a critical extension the validator does not process, or cannot decode, must
 * be rejected; path validation then fails, which EN 319 102-1 §5.2.6.4 makes CERTIFICATE_CHAIN_GENERAL_FAILURE (DSS
 * CertificateSupportedCriticalExtensionsCheck). A non-critical extension that cannot be decoded is reported; the
 * checks that need its facts say what they cannot decide.
 */
function extensionChecks(info: CertificateInfo): Check[] {
  const subject = info.subject
  const unknown = info.criticalExtensions.filter((oid) => !UNDERSTOOD_EXTENSIONS.has(oid))
  const undecodableCritical = info.criticalExtensions.filter((oid) => UNDERSTOOD_EXTENSIONS.has(oid) && info.undecodable.includes(oid))
  const problems = [
    ...(unknown.length === 0 ? [] : [`critical extension(s) not processed by sceau: ${unknown.join(', ')}`]),
    ...(undecodableCritical.length === 0
      ? []
      : [`critical extension(s) that cannot be decoded: ${undecodableCritical.map(extensionLabel).join(', ')}`]),
  ]
  const checks: Check[] = [
    problems.length === 0
      ? { id: 'extensions.critical', subject, status: 'pass', reason: 'every critical extension is understood' }
      : {
          id: 'extensions.critical',
          subject,
          status: 'indeterminate',
          subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
          reason: problems.join('; '),
        },
  ]
  const undecodable = info.undecodable.filter((oid) => !info.criticalExtensions.includes(oid))
  if (undecodable.length > 0) {
    checks.push({
      id: 'extensions.undecodable',
      subject,
      status: 'warning',
      reason: `extension(s) that cannot be decoded, whose facts are unknown: ${undecodable.map(extensionLabel).join(', ')}`,
    })
  }
  return checks
}

/**
 * The validity period at `at`. `at` is the time the certificate is used at: out of bounds, the leaf fails (EXPIRED,
 * NOT_YET_VALID: the caller decides whether that time is proven, see validation/certificate-check.ts); a CA out of
 * bounds leaves the chain undecided (EN 319 102-1 §5.2.6, OUT_OF_BOUNDS_NO_POE); a trust anchor is trusted as given.
 */
function validity(info: CertificateInfo, at: Date, role: 'leaf' | 'ca' | 'anchor', note: string): Check[] {
  const when = `checked at ${at.toISOString()}`
  const subject = info.subject
  const what = role === 'anchor' ? 'trust anchor ' : role === 'ca' ? 'CA certificate ' : 'certificate '
  const judged = (id: string, outOfBounds: string | undefined, inBounds: string, leaf: 'EXPIRED' | 'NOT_YET_VALID'): Check => {
    if (outOfBounds === undefined) return { id, subject, status: 'pass', reason: inBounds }
    const reason = `${what}${outOfBounds} (${when})${note}`
    if (role === 'anchor') return { id, subject, status: 'warning', reason }
    if (role === 'ca') return { id, subject, status: 'indeterminate', subIndication: 'OUT_OF_BOUNDS_NO_POE', reason }
    return { id, subject, status: 'fail', subIndication: leaf, reason }
  }
  const notBefore = info.notBefore.toISOString()
  const notAfter = info.notAfter.toISOString()
  return [
    judged(
      'validity.notBefore',
      at.getTime() < info.notBefore.getTime() ? `not yet valid: valid from ${notBefore}` : undefined,
      `valid from ${notBefore}`,
      'NOT_YET_VALID',
    ),
    judged(
      'validity.notAfter',
      at.getTime() > info.notAfter.getTime() ? `expired on ${notAfter}` : undefined,
      `valid until ${notAfter}`,
      'EXPIRED',
    ),
  ]
}

/** RFC 5280 §6.1.4 (k), (l), (n) for the intermediate CA at `index` of the path (leaf at 0). */
function issuerChecks(path: readonly Node[], index: number): Check[] {
  const node = path[index]
  const child = path[index - 1]
  if (node === undefined || child === undefined) return []
  const { info } = node
  const unreadable = (what: string): { status: 'indeterminate'; subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE'; reason: string } => ({
    status: 'indeterminate',
    subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
    reason: `its ${what} cannot be decoded, so whether it may issue '${child.info.subject}' is unknown`,
  })
  const checks: Check[] = [
    {
      id: 'issuer.basicConstraints',
      subject: info.subject,
      ...(info.undecodable.includes(BASIC_CONSTRAINTS)
        ? unreadable('basicConstraints')
        : info.isCA
          ? { status: 'pass', reason: 'basicConstraints cA is true' }
          : {
              status: 'indeterminate',
              subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
              reason: `not a CA (basicConstraints cA absent or false) but issued '${child.info.subject}'`,
            }),
    },
    {
      id: 'issuer.keyUsage',
      subject: info.subject,
      // An absent keyUsage extension allows every use (RFC 5280 §4.2.1.3); describeCertificate gives [] then.
      ...(info.undecodable.includes(KEY_USAGE)
        ? unreadable('keyUsage')
        : info.keyUsage.length === 0 || info.keyUsage.includes('keyCertSign')
          ? { status: 'pass', reason: info.keyUsage.length === 0 ? 'no keyUsage extension' : 'keyUsage has keyCertSign' }
          : {
              status: 'indeterminate',
              subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
              reason: `keyUsage lacks keyCertSign (${info.keyUsage.join(', ')}) but issued '${child.info.subject}'`,
            }),
    },
  ]
  if (info.pathLength !== undefined) {
    // Self-issued certificates below this CA (key rollover) do not count against its pathLenConstraint.
    const below = path.slice(1, index).filter((cert) => !sameName(cert.info.subject, cert.info.issuer)).length
    checks.push({
      id: 'issuer.pathLength',
      subject: info.subject,
      ...(below <= info.pathLength
        ? { status: 'pass', reason: `${below} CA certificate(s) below, pathLenConstraint ${info.pathLength}` }
        : {
            status: 'indeterminate',
            subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
            reason: `${below} CA certificate(s) below, more than its pathLenConstraint ${info.pathLength}`,
          }),
    })
  }
  return checks
}
