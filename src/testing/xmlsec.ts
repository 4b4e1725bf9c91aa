// xmlsec1 (libxml2 underneath) as an oracle nobody here wrote: the exact bytes it digests for each Reference of a
// signature template (`--store-references` prints them), and signing / verifying with it.

import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const DSIG = 'http://www.w3.org/2000/09/xmldsig#'

/** One Reference of a template: its URI, its Transform algorithms (with optional inner XML), its digest. */
export interface TemplateReference {
  readonly uri: string
  readonly transforms: readonly (string | { readonly algorithm: string; readonly inner: string })[]
  /** DigestMethod URI; SHA-256 by default. */
  readonly digest?: string
  readonly type?: string
  readonly id?: string
}

/** A ds:Signature template (empty DigestValue and SignatureValue) for `xmlsec1 --sign`. */
export function signatureTemplate(
  references: readonly TemplateReference[],
  options: {
    canonicalization?: string
    signatureMethod?: string
    prefix?: string
    keyInfo?: string
    objects?: string
    id?: string
    signatureMethodInner?: string
  } = {},
): string {
  const p = options.prefix === undefined ? '' : `${options.prefix}:`
  const ns = options.prefix === undefined ? `xmlns="${DSIG}"` : `xmlns:${options.prefix}="${DSIG}"`
  const refs = references
    .map((reference) => {
      const transforms = reference.transforms
        .map((transform) =>
          typeof transform === 'string'
            ? `<${p}Transform Algorithm="${transform}"/>`
            : `<${p}Transform Algorithm="${transform.algorithm}">${transform.inner}</${p}Transform>`,
        )
        .join('')
      const attributes =
        `${reference.id === undefined ? '' : ` Id="${reference.id}"`}` +
        ` URI="${reference.uri.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"` +
        `${reference.type === undefined ? '' : ` Type="${reference.type}"`}`
      return (
        `<${p}Reference${attributes}>${transforms === '' ? '' : `<${p}Transforms>${transforms}</${p}Transforms>`}` +
        `<${p}DigestMethod Algorithm="${reference.digest ?? 'http://www.w3.org/2001/04/xmlenc#sha256'}"/><${p}DigestValue></${p}DigestValue></${p}Reference>`
      )
    })
    .join('')
  return (
    `<${p}Signature ${ns}${options.id === undefined ? '' : ` Id="${options.id}"`}><${p}SignedInfo>` +
    `<${p}CanonicalizationMethod Algorithm="${options.canonicalization ?? 'http://www.w3.org/2001/10/xml-exc-c14n#'}"/>` +
    `<${p}SignatureMethod Algorithm="${options.signatureMethod ?? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'}">${options.signatureMethodInner ?? ''}</${p}SignatureMethod>` +
    `${refs}</${p}SignedInfo><${p}SignatureValue></${p}SignatureValue>${options.keyInfo ?? ''}${options.objects ?? ''}</${p}Signature>`
  )
}

let rsaKey: string | undefined

/** A PEM RSA private key made once per process. */
export function testRsaKey(): string {
  rsaKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  return rsaKey
}

/** `--id-attr` arguments: attribute name and element (`namespace:local` or `local`). */
export interface IdAttribute {
  readonly attribute: string
  readonly localName: string
  readonly namespace: string
}

/** xmlsec1 opens no file a relative URI names unless mapped to it (`--url-map`). */
function urlMap(directory: string, beside: Readonly<Record<string, Uint8Array>>): string[] {
  return Object.keys(beside).flatMap((name) => [`--url-map:${name}`, join(directory, name)])
}

function idArguments(ids: readonly IdAttribute[]): string[] {
  return ids.flatMap((id) => [`--id-attr:${id.attribute}`, id.namespace === '' ? id.localName : `${id.namespace}:${id.localName}`])
}

/**
 * Signs `document` (holding one template whose References use SHA-256) with xmlsec1 and returns, for each
 * Reference in order, the bytes it digested. Each is checked against the digest xmlsec1 printed, so a misread of
 * its output cannot pass.
 */
export function xmlsecReferenceData(document: Uint8Array, ids: readonly IdAttribute[] = []): Buffer[] {
  const directory = mkdtempSync(join(tmpdir(), 'sceau-xmlsec-'))
  try {
    writeFileSync(join(directory, 'key.pem'), testRsaKey())
    writeFileSync(join(directory, 'in.xml'), document)
    const run = spawnSync(
      'xmlsec1',
      [
        '--sign',
        '--privkey-pem',
        join(directory, 'key.pem'),
        ...idArguments(ids),
        '--store-references',
        '--output',
        join(directory, 'out.xml'),
        join(directory, 'in.xml'),
      ],
      { maxBuffer: 256 * 1024 * 1024 },
    )
    if (run.status !== 0) throw new Error(`xmlsec1 --sign failed: ${run.stderr.toString()}`)
    const out = run.stdout
    const found: Buffer[] = []
    const blockMark = Buffer.from('= REFERENCE CALCULATION CONTEXT\n')
    const startMark = Buffer.from('== PreDigest data - start buffer:\n')
    const endMark = Buffer.from('\n== PreDigest data - end buffer\n')
    const resultMark = Buffer.from('== Result - start buffer:\n')
    // xmlsec1 prints no PreDigest block when a reference digests nothing.
    for (let block = out.indexOf(blockMark); block >= 0;) {
      const next = out.indexOf(blockMark, block + blockMark.length)
      const start = out.indexOf(startMark, block)
      const hasData = start >= 0 && (next < 0 || start < next)
      const end = hasData ? out.indexOf(endMark, start) : block
      const data = hasData ? out.subarray(start + startMark.length, end) : Buffer.alloc(0)
      const result = out.indexOf(resultMark, end) + resultMark.length
      const digest = out.subarray(result, out.indexOf('\n', result)).toString('latin1')
      if (createHash('sha256').update(data).digest('base64') !== digest)
        throw new Error(`xmlsec1 output misread: reference ${found.length + 1}`)
      found.push(Buffer.from(data))
      block = next < 0 ? -1 : out.indexOf(blockMark, hasData ? Math.max(next, end) : next)
    }
    return found
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

/**
 * Signs a document holding a template with xmlsec1 (key, and certificate when given, as PEM) and returns it; files
 * of `beside` are written next to it first, for References to detached content.
 */
export function xmlsecSign(
  document: Uint8Array,
  key: { privateKeyPem: string; certificatePem?: string },
  ids: readonly IdAttribute[] = [],
  beside: Readonly<Record<string, Uint8Array>> = {},
): Buffer {
  const directory = mkdtempSync(join(tmpdir(), 'sceau-xmlsec-'))
  try {
    // Detached content the template's relative URIs name, written beside the document.
    for (const [name, content] of Object.entries(beside)) writeFileSync(join(directory, name), content)
    writeFileSync(join(directory, 'key.pem'), key.privateKeyPem)
    const keyArguments = [
      '--privkey-pem',
      key.certificatePem === undefined ? join(directory, 'key.pem') : `${join(directory, 'key.pem')},${join(directory, 'cert.pem')}`,
    ]
    if (key.certificatePem !== undefined) writeFileSync(join(directory, 'cert.pem'), key.certificatePem)
    writeFileSync(join(directory, 'in.xml'), document)
    execFileSync(
      'xmlsec1',
      [
        '--sign',
        ...keyArguments,
        ...idArguments(ids),
        ...urlMap(directory, beside),
        '--output',
        join(directory, 'out.xml'),
        join(directory, 'in.xml'),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    return readFileSync(join(directory, 'out.xml'))
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

/**
 * Whether xmlsec1 verifies the document's signature: with a public key (PEM), or with the certificate in KeyInfo
 * checked up to a trusted root (PEM) through untrusted intermediates (PEM).
 */
export function xmlsecVerifies(
  document: Uint8Array,
  key: { publicKeyPem?: string; trusted?: readonly string[]; untrusted?: readonly string[] },
  ids: readonly IdAttribute[] = [],
  beside: Readonly<Record<string, Uint8Array>> = {},
): boolean {
  const directory = mkdtempSync(join(tmpdir(), 'sceau-xmlsec-'))
  try {
    for (const [name, content] of Object.entries(beside)) writeFileSync(join(directory, name), content)
    writeFileSync(join(directory, 'in.xml'), document)
    const args = ['--verify', ...idArguments(ids)]
    // One certificate per file: xmlsec1 reads the first PEM block of each.
    const files = (prefix: string, pems: readonly string[], option: string): void =>
      pems.forEach((pem, k) => {
        writeFileSync(join(directory, `${prefix}${k}.pem`), pem)
        args.push(option, join(directory, `${prefix}${k}.pem`))
      })
    files('key', key.publicKeyPem === undefined ? [] : [key.publicKeyPem], '--pubkey-pem')
    files('trusted', key.trusted ?? [], '--trusted-pem')
    files('untrusted', key.untrusted ?? [], '--untrusted-pem')
    return spawnSync('xmlsec1', [...args, ...urlMap(directory, beside), join(directory, 'in.xml')], { stdio: 'ignore' }).status === 0
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
