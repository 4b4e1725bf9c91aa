import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeCheck, firstProblem, notIntact, type ReportFile } from '../src/testing/interop-verdict.js'
import { opensslCmsVerify } from '../src/testing/openssl-cms.js'
import { createTestPki, writeTestPki } from '../src/testing/pki.js'
import { derToPem } from '../src/x509/pem.js'
import { runCli } from './capture-io.js'

// Signatures made at test time by software nobody here wrote (xmlsec1 --sign, openssl cms -sign), each checked
// first by that tool's own verifier, then given to `sceau verify`, whose verdict must agree: an intact signature
// has no digest, signature-value or format failure and nothing sceau could not check; a copy with one byte of
// signed content changed is rejected by the tool and is TOTAL_FAILED for sceau.

const DSIG = 'http://www.w3.org/2000/09/xmldsig#'
const C14N10 = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
const C14N10_COMMENTS = `${C14N10}#WithComments`
const C14N11 = 'http://www.w3.org/2006/12/xml-c14n11'
const C14N11_COMMENTS = `${C14N11}#WithComments`
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const ENVELOPED = `${DSIG}enveloped-signature`
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'
const RSA_SHA1 = `${DSIG}rsa-sha1`
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512'
const ECDSA = (bits: number): string => `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha${bits}`

type KeyName = 'rsa' | 'p256' | 'p384' | 'p521' | 'brainpool256'

interface Reference {
  readonly uri: string
  readonly transforms?: readonly string[]
  readonly type?: string
}

interface XmlCase {
  readonly name: string
  /** The document with `{signature}` where the signature template goes. */
  readonly document: string
  readonly references: readonly Reference[]
  readonly canonicalization?: string
  readonly signatureMethod?: string
  readonly key?: KeyName
  readonly keyInfo?: 'x509' | 'key-value'
  /** What goes inside ds:Signature after KeyInfo (an enveloping ds:Object). */
  readonly objects?: string
  /** `--id-attr` arguments xmlsec1 needs to resolve `#id` references. */
  readonly idAttrs?: readonly string[]
  /** The document's encoding; ISO-8859-2 text is written through {@link latin2}. */
  readonly encoding?: 'UTF-8' | 'ISO-8859-1' | 'ISO-8859-2'
  /** Changes one byte of signed content; default: the amount 1234 becomes 1235. */
  readonly tamper?: (xml: string) => string
}

interface CmsCase {
  readonly name: string
  readonly key?: KeyName
  /** Extra `openssl cms -sign` options. */
  readonly options?: readonly string[]
  readonly enveloping?: boolean
}

const transform = (algorithm: string, inner = ''): string =>
  inner === '' ? `<Transform Algorithm="${algorithm}"/>` : `<Transform Algorithm="${algorithm}">${inner}</Transform>`
const enveloped = (c14n = C14N10): Reference => ({ uri: '', transforms: [transform(ENVELOPED), transform(c14n)] })
const AMOUNT = '<Amount>1234</Amount>'
const plainDocument = `<Invoice xmlns="urn:example:invoice"><!-- a comment --><Line Id="l1">Chair ${AMOUNT}</Line>{signature}</Invoice>`

const xmlCases: XmlCase[] = [
  ...(
    [
      ['inclusive C14N 1.0', C14N10],
      ['inclusive C14N 1.0 with comments', C14N10_COMMENTS],
      ['inclusive C14N 1.1', C14N11],
      ['inclusive C14N 1.1 with comments', C14N11_COMMENTS],
    ] as const
  ).map(([name, c14n]): XmlCase => ({
    name: `${name} (SignedInfo and Reference)`,
    document: plainDocument,
    canonicalization: c14n,
    references: [enveloped(c14n)],
  })),
  {
    name: 'default namespace declared on an ancestor of the signed element, inclusive C14N',
    document: `<Flow xmlns="urn:example:flow" xmlns:x="urn:example:x"><Header x:kind="test"/><Body><Payload Id="p1"><x:Item>${AMOUNT}</x:Item></Payload></Body>{signature}</Flow>`,
    references: [{ uri: '#p1', transforms: [transform(C14N10)] }],
    idAttrs: ['--id-attr:Id', 'urn:example:flow:Payload'],
  },
  {
    name: 'exclusive C14N with an InclusiveNamespaces PrefixList',
    document: `<Flow xmlns="urn:example:flow" xmlns:x="urn:example:x" xmlns:unused="urn:example:unused"><Payload Id="p1" x:kind="a">${AMOUNT}</Payload>{signature}</Flow>`,
    canonicalization: EXC_C14N,
    references: [
      {
        uri: '#p1',
        transforms: [transform(EXC_C14N, `<ec:InclusiveNamespaces xmlns:ec="${EXC_C14N}" PrefixList="unused #default"/>`)],
      },
    ],
    idAttrs: ['--id-attr:Id', 'urn:example:flow:Payload'],
  },
  {
    name: 'enveloped + XPath not(ancestor-or-self::dsig:Signature)',
    document: plainDocument,
    references: [
      {
        uri: '',
        transforms: [
          transform(ENVELOPED),
          transform(
            'http://www.w3.org/TR/1999/REC-xpath-19991116',
            `<XPath xmlns:dsig="${DSIG}">not(ancestor-or-self::dsig:Signature)</XPath>`,
          ),
        ],
      },
    ],
  },
  ...(['subtract', 'intersect'] as const).map((filter): XmlCase => ({
    name: `XPath Filter 2.0 (${filter})`,
    document: `<Invoice xmlns="urn:example:invoice"><Line>${AMOUNT}</Line><Note>free text</Note>{signature}</Invoice>`,
    references: [
      {
        uri: '',
        transforms: [
          transform(
            'http://www.w3.org/2002/06/xmldsig-filter2',
            `<XPath xmlns="http://www.w3.org/2002/06/xmldsig-filter2" xmlns:i="urn:example:invoice" Filter="${filter}">` +
              (filter === 'subtract' ? '//i:Note | //*[local-name()="Signature"]' : '//i:Line') +
              '</XPath>',
          ),
        ],
      },
    ],
  })),
  {
    name: 'base64 transform of an enveloping ds:Object',
    document: '{signature}',
    references: [{ uri: '#b64', transforms: [transform(`${DSIG}base64`)] }],
    objects: `<Object Id="b64">${Buffer.from('Amount: 1234\n').toString('base64')}</Object>`,
    idAttrs: ['--id-attr:Id', 'Object'],
    tamper: (xml) => xml.replace(Buffer.from('Amount: 1234\n').toString('base64'), Buffer.from('Amount: 1235\n').toString('base64')),
  },
  {
    name: 'URI="#xpointer(/)" with the enveloped transform',
    document: plainDocument,
    references: [{ uri: '#xpointer(/)', transforms: [transform(ENVELOPED)] }],
  },
  {
    name: 'URI="#xpointer(id(\'l1\'))"',
    document: plainDocument,
    references: [{ uri: "#xpointer(id('l1'))" }],
    idAttrs: ['--id-attr:Id', 'urn:example:invoice:Line'],
  },
  {
    name: 'a Reference to a ds:Manifest',
    document: '{signature}',
    references: [{ uri: '#manifest', type: `${DSIG}Manifest` }],
    objects: `<Object><Manifest Id="manifest"><Reference URI="#data"><DigestMethod Algorithm="${SHA256}"/><DigestValue/></Reference></Manifest></Object><Object Id="data">${AMOUNT}</Object>`,
    idAttrs: ['--id-attr:Id', 'Manifest', '--id-attr:Id', 'Object'],
    // xmlsec1 leaves the Manifest's own references to the application (XML-DSig §5.1), so the byte changed is
    // one of the Manifest, which the SignedInfo Reference covers.
    tamper: (xml) =>
      xml.replace(/(<Manifest[^>]*>[\s\S]*?<DigestValue>)(.)/, (_, head: string, first: string) => head + (first === 'A' ? 'B' : 'A')),
  },
  ...(
    [
      ['RSA-SHA1', RSA_SHA1],
      ['RSA-SHA256', RSA_SHA256],
      ['RSA-SHA512', RSA_SHA512],
    ] as const
  ).map(([name, method]): XmlCase => ({ name, document: plainDocument, references: [enveloped()], signatureMethod: method })),
  ...(
    [
      ['p256', 256],
      ['p384', 384],
      ['p521', 512],
    ] as const
  ).map(([key, bits]): XmlCase => ({
    name: `ECDSA ${key.toUpperCase()} (ecdsa-sha${bits})`,
    document: plainDocument,
    references: [enveloped()],
    signatureMethod: ECDSA(bits),
    key,
  })),
  { name: 'KeyInfo with only a KeyValue (RSA)', document: plainDocument, references: [enveloped()], keyInfo: 'key-value' },
  {
    name: 'ISO-8859-1 document',
    encoding: 'ISO-8859-1',
    document: `<Facture xmlns="urn:example:facture"><Libellé>Prestation réalisée à Sète ${AMOUNT}</Libellé>{signature}</Facture>`,
    references: [enveloped()],
  },
  {
    name: 'ISO-8859-2 document',
    encoding: 'ISO-8859-2',
    document: `<Faktura xmlns="urn:example:faktura"><Opis>Usługa wykonana w Łodzi, żółć ${AMOUNT}</Opis>{signature}</Faktura>`,
    references: [enveloped()],
  },
]

const cmsCases: CmsCase[] = [
  { name: 'detached, RSA, SHA-256' },
  { name: 'enveloping, RSA, SHA-256', enveloping: true },
  { name: 'no signed attributes (-noattr), detached', options: ['-noattr'] },
  { name: 'no signed attributes (-noattr), enveloping', options: ['-noattr'], enveloping: true },
  { name: 'ESS signing-certificate v1 (SHA-1 ESSCertID, -cades -md sha1)', options: ['-cades', '-md', 'sha1'] },
  { name: 'ESS signing-certificate-v2 (-cades)', options: ['-cades'] },
  { name: 'eContentType other than id-data (enveloping)', options: ['-econtent_type', '1.2.840.113549.1.9.16.1.31'], enveloping: true },
  ...['sha1', 'sha224', 'sha384', 'sha512', 'sha3-256'].map((md): CmsCase => ({
    name: `digest ${md.toUpperCase()}`,
    options: ['-md', md],
  })),
  { name: 'RSA-PSS', options: ['-keyopt', 'rsa_padding_mode:pss'] },
  { name: 'ECDSA P-256', key: 'p256' },
  { name: 'ECDSA P-384', key: 'p384', options: ['-md', 'sha384'] },
  { name: 'ECDSA brainpoolP256r1', key: 'brainpool256' },
]

let dir: string
const keys = new Map<KeyName, { key: string; cert: string }>()
let caBundle: string
let intermediatePem: string

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` }
}

/** The public key of a certificate, PEM, written in `work`. */
function publicKeyOf(cert: string, work: string): string {
  const out = join(work, 'public-key.pem')
  execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout', '-out', out])
  return out
}

/** ISO-8859-2 bytes of a string (only the Polish letters the test documents use outside ASCII). */
function latin2(text: string): Buffer {
  const table: Record<string, number> = { ł: 0xb3, Ł: 0xa3, ż: 0xbf, ó: 0xf3, ć: 0xe6, ś: 0xb6, ą: 0xb1, ę: 0xea }
  return Buffer.from([...text].map((char) => table[char] ?? (char.charCodeAt(0) < 0x80 ? char.charCodeAt(0) : 0x3f)))
}
const encode = (text: string, encoding: XmlCase['encoding']): Buffer =>
  encoding === 'ISO-8859-2' ? latin2(text) : Buffer.from(text, encoding === 'ISO-8859-1' ? 'latin1' : 'utf8')
const decode = (bytes: Buffer, encoding: XmlCase['encoding']): string =>
  encoding === 'ISO-8859-2' ? new TextDecoder('iso-8859-2').decode(bytes) : bytes.toString(encoding === 'ISO-8859-1' ? 'latin1' : 'utf8')

function signatureTemplate(test: XmlCase): string {
  const references = test.references
    .map(
      (reference) =>
        `<Reference URI="${reference.uri.replace(/"/g, '&quot;')}"${reference.type ? ` Type="${reference.type}"` : ''}>` +
        (reference.transforms?.length ? `<Transforms>${reference.transforms.join('')}</Transforms>` : '') +
        `<DigestMethod Algorithm="${SHA256}"/><DigestValue/></Reference>`,
    )
    .join('')
  const keyInfo = test.keyInfo === 'key-value' ? '<KeyValue/>' : '<X509Data><X509Certificate/></X509Data>'
  return (
    `<Signature xmlns="${DSIG}"><SignedInfo><CanonicalizationMethod Algorithm="${test.canonicalization ?? C14N10}"/>` +
    `<SignatureMethod Algorithm="${test.signatureMethod ?? RSA_SHA256}"/>${references}</SignedInfo>` +
    `<SignatureValue/><KeyInfo>${keyInfo}</KeyInfo>${test.objects ?? ''}</Signature>`
  )
}

async function sceauVerify(file: string, ...options: string[]): Promise<ReportFile> {
  const { stdout, stderr } = await runCli(['verify', file, '--json', '--no-crl-fetch', ...options])
  const report = (JSON.parse(stdout) as { files: (ReportFile & { error?: unknown; message?: string })[] }).files[0]
  if (report?.indication === undefined) throw new Error(`sceau verify gave no verdict: ${JSON.stringify(report)} ${stderr}`)
  return report
}

/** The tool's verdict must be intact; then sceau's too (the message names sceau's first failing check). */
function expectIntact(report: ReportFile): void {
  const why = notIntact(report)
  expect(why === undefined, `sceau ${report.indication}: ${why}`).toBe(true)
}
function expectRejected(report: ReportFile): void {
  const problem = firstProblem(report)
  expect(report.indication, problem === undefined ? 'no failing check' : describeCheck(problem)).toBe('TOTAL_FAILED')
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sceau-interop-generated-'))
  const pki = await createTestPki()
  await writeTestPki(pki, join(dir, 'pki'))
  const pem = (name: string, der: Uint8Array, label: string): string => {
    const file = join(dir, 'pki', name)
    writeFileSync(file, derToPem(der, label))
    return file
  }
  caBundle = join(dir, 'pki', 'bundle.pem')
  writeFileSync(caBundle, pki.toPemBundle())
  intermediatePem = join(dir, 'pki', 'intermediate.pem')
  const caKey = pem('intermediate.key.pem', pki.intermediate.privateKey, 'PRIVATE KEY')
  const leafKey = (name: string): string => pem(`${name}.key.pem`, pki.leaf(name).privateKey, 'PRIVATE KEY')
  keys.set('rsa', { key: leafKey('signature-rsa2048'), cert: join(dir, 'pki', 'signature-rsa2048.cert.pem') })
  keys.set('p256', { key: leafKey('signature-ec-p256'), cert: join(dir, 'pki', 'signature-ec-p256.cert.pem') })
  // Keys the test PKI has no leaf for: made by OpenSSL and certified by the test PKI's issuing CA.
  const extra: Array<[KeyName, string[]]> = [
    ['p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']],
    ['brainpool256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1']],
  ]
  const extension = join(dir, 'pki', 'leaf.ext')
  writeFileSync(extension, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\n')
  for (const [name, algorithm] of extra) {
    const key = join(dir, 'pki', `${name}.key.pem`)
    const csr = join(dir, 'pki', `${name}.csr`)
    const cert = join(dir, 'pki', `${name}.cert.pem`)
    execFileSync('openssl', ['genpkey', ...algorithm, '-out', key])
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/C=FR/O=sceau interop test/CN=${name}`, '-out', csr])
    execFileSync('openssl', [
      ...['x509', '-req', '-in', csr, '-CA', intermediatePem, '-CAkey', caKey, '-CAcreateserial', '-days', '30'],
      ...['-extfile', extension, '-out', cert],
    ])
    keys.set(name, { key, cert })
  }
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('XML signatures made by xmlsec1 --sign, checked by xmlsec1 --verify, then by sceau verify', () => {
  xmlCases.forEach((test, index) => {
    it(test.name, async () => {
      const work = join(dir, `xml-${index}`)
      mkdirSync(work)
      const key = keys.get(test.key ?? 'rsa')
      if (key === undefined) throw new Error(`no key ${test.key}`)
      const declaration = `<?xml version="1.0" encoding="${test.encoding ?? 'UTF-8'}"?>\n`
      const template = join(work, 'template.xml')
      writeFileSync(template, encode(declaration + test.document.replace('{signature}', signatureTemplate(test)), test.encoding))
      const signed = join(work, 'signed.xml')
      const idAttrs = test.idAttrs ?? []
      const sign = run('xmlsec1', [
        '--sign',
        ...idAttrs,
        '--privkey-pem',
        `${key.key},${key.cert},${intermediatePem}`,
        '--output',
        signed,
        template,
      ])
      expect(sign.ok, sign.output).toBe(true)
      const trust = [
        '--trusted-pem',
        caBundle,
        '--untrusted-pem',
        intermediatePem,
        // xmlsec1 1.2 does not take a key from a KeyValue when verifying: it gets the signer's public key instead.
        ...(test.keyInfo === 'key-value' ? ['--pubkey-pem', publicKeyOf(key.cert, work)] : []),
      ]
      const xmlsec = run('xmlsec1', ['--verify', ...idAttrs, ...trust, signed])
      expect(xmlsec.ok, xmlsec.output).toBe(true)

      const tamper = test.tamper ?? ((xml: string) => xml.replace('1234', '1235'))
      const original = decode(readFileSync(signed), test.encoding)
      const tampered = join(work, 'tampered.xml')
      writeFileSync(tampered, encode(tamper(original), test.encoding))
      const xmlsecTampered = run('xmlsec1', ['--verify', ...idAttrs, ...trust, tampered])
      expect(xmlsecTampered.ok, `xmlsec1 accepted the tampered copy: ${xmlsecTampered.output}`).toBe(false)

      const trustArgs = ['--trust', join(dir, 'pki', 'root.pem'), '--intermediates', intermediatePem, '--no-revocation-check']
      expectIntact(await sceauVerify(signed, ...trustArgs))
      expectRejected(await sceauVerify(tampered, ...trustArgs))
    })
  })
})

describe('CMS signatures made by openssl cms -sign, checked by openssl cms -verify, then by sceau verify', () => {
  cmsCases.forEach((test, index) => {
    it(test.name, async () => {
      const work = join(dir, `cms-${index}`)
      mkdirSync(work)
      const key = keys.get(test.key ?? 'rsa')
      if (key === undefined) throw new Error(`no key ${test.key}`)
      const content = join(work, 'invoice.txt')
      writeFileSync(content, 'Invoice 2026-0042: amount due 1234 EUR\n')
      const signature = join(work, test.enveloping ? 'invoice.txt.p7m' : 'invoice.txt.p7s')
      const sign = run('openssl', [
        ...['cms', '-sign', '-binary', '-in', content, '-signer', key.cert, '-inkey', key.key, '-certfile', intermediatePem],
        ...['-outform', 'DER', '-out', signature, ...(test.enveloping ? ['-nodetach'] : []), ...(test.options ?? [])],
      ])
      expect(sign.ok, sign.output).toBe(true)
      const detached = test.enveloping ? undefined : content
      expect(opensslCmsVerify(signature, { caFile: caBundle, workDir: work, content: detached }).ok).toBe(true)

      // One byte of the signed content changed: in the file beside a detached signature, inside an enveloping one.
      const tamperedDir = join(work, 'tampered')
      mkdirSync(tamperedDir)
      const tamperedSignature = join(tamperedDir, test.enveloping ? 'invoice.txt.p7m' : 'invoice.txt.p7s')
      const tamperedContent = join(tamperedDir, 'invoice.txt')
      const bytes = readFileSync(signature)
      if (test.enveloping) {
        const at = bytes.indexOf('1234')
        expect(at).toBeGreaterThan(0)
        bytes[at + 3] = 0x35
      } else {
        writeFileSync(tamperedContent, 'Invoice 2026-0042: amount due 1235 EUR\n')
      }
      writeFileSync(tamperedSignature, bytes)
      const tamperedContentArg = test.enveloping ? undefined : tamperedContent
      expect(opensslCmsVerify(tamperedSignature, { caFile: caBundle, workDir: tamperedDir, content: tamperedContentArg }).ok).toBe(false)

      const trustArgs = ['--trust', join(dir, 'pki', 'root.pem'), '--intermediates', intermediatePem, '--no-revocation-check']
      const contentArgs = (file: string | undefined): string[] => (file === undefined ? [] : ['--content', file])
      expectIntact(await sceauVerify(signature, ...trustArgs, ...contentArgs(detached)))
      expectRejected(await sceauVerify(tamperedSignature, ...trustArgs, ...contentArgs(tamperedContentArg)))
    })
  })
})
