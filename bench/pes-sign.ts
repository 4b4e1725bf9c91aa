// Time and peak memory of signing a whole PES flow (one global XAdES-EPES enveloped signature on #PESROOT, exc-c14n,
// rsa-sha256) with the tools a French public-sector developer would otherwise reach for, so sceau's signer has numbers
// to beat. Every contestant runs in its own child process: its peak RSS is then its own, and a crash or a 120 s hang
// is a figure in the table rather than the end of the benchmark. Every output is checked with `xmlsec1 --verify`.
//
//   npx tsx bench/pes-sign.ts [--sizes 11.7,50,200] [--runs 3]
//
// Seconds are measured inside the child around `run` (node and tsx start-up excluded), best of the runs. Peak RSS is
// the largest of the runs of GNU time's %M: of the node child for an in-process contestant (the "node idle" row is
// that child doing nothing), of the tool itself for a contestant that hands the work to an external program through
// `runTool` (the ~100 MB of the idle node+tsx child would otherwise hide the tool's figure). Without /usr/bin/time,
// the child's own maxRSS, which includes what it inherited from the parent at fork.
import { execFileSync } from 'node:child_process'
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import 'reflect-metadata'
import { KeySigner } from '../src/signer/key-signer.js'
import { signPesFile } from '../src/xades/sign-pes.js'
import { bestOf, contestRow, GNU_TIME, option, printTable, runChild as runChildProcess, type Outcome } from './child-process.js'
import { PES_ROOT_ID, writePesFlow } from './pes-flow.js'
import { ID_ATTRS, POLICY, XADES_111, xadesjsPesSigner, xmlsec1Verifies } from './xadesjs-pes.js'

interface Contestant {
  name: string
  run(file: string, keyPem: string, certPem: string, outFile: string): Promise<void>
}

const TIMEOUT_MS = 120_000
let toolPeakKb: number | undefined

function runTool(command: string, args: string[]): void {
  if (!existsSync(GNU_TIME)) {
    toolPeakKb = NaN
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    return
  }
  const rssFile = join(tmpdir(), `sceau-rss-${process.pid}.txt`)
  execFileSync(GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
  const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
  rmSync(rssFile)
  toolPeakKb = Math.max(toolPeakKb ?? 0, kb)
}

// RFC 2253 order (most specific first), as Java verifiers compare it (research/pes.md §1.7).
function issuerRfc2253(cert: X509Certificate): string {
  return cert.issuer.split('\n').reverse().join(',')
}

function signatureTemplate(certPem: string): string {
  const cert = new X509Certificate(certPem)
  const certDigest = createHash('sha256').update(cert.raw).digest('base64')
  const serial = BigInt(`0x${cert.serialNumber}`).toString()
  const exc = '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
  const sha256 = '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="SIG"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="#${PES_ROOT_ID}"><ds:Transforms>` +
    `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>${exc}</ds:Transforms>` +
    `${sha256}<ds:DigestValue></ds:DigestValue></ds:Reference>` +
    `<ds:Reference URI="#SIG_SP" Type="${XADES_111}SignedProperties"><ds:Transforms>${exc}</ds:Transforms>` +
    `${sha256}<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>` +
    '<ds:SignatureValue Id="SIG_SV"></ds:SignatureValue><ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>' +
    `<ds:Object><xad:QualifyingProperties xmlns:xad="${XADES_111}" Target="#SIG"><xad:SignedProperties Id="SIG_SP">` +
    `<xad:SignedSignatureProperties><xad:SigningTime>${new Date().toISOString()}</xad:SigningTime>` +
    `<xad:SigningCertificate><xad:Cert><xad:CertDigest>${sha256.replaceAll('ds:', 'xad:')}` +
    `<xad:DigestValue>${certDigest}</xad:DigestValue></xad:CertDigest><xad:IssuerSerial>` +
    `<ds:X509IssuerName>${issuerRfc2253(cert)}</ds:X509IssuerName><ds:X509SerialNumber>${serial}</ds:X509SerialNumber>` +
    '</xad:IssuerSerial></xad:Cert></xad:SigningCertificate>' +
    '<xad:SignaturePolicyIdentifier><xad:SignaturePolicyId><xad:SigPolicyId>' +
    `<xad:Identifier>${POLICY.oid}</xad:Identifier><xad:Description>${POLICY.description}</xad:Description></xad:SigPolicyId>` +
    `<xad:SigPolicyHash>${sha256.replaceAll('ds:', 'xad:')}<xad:DigestValue>${POLICY.digest}</xad:DigestValue></xad:SigPolicyHash>` +
    `<xad:SigPolicyQualifiers><xad:SigPolicyQualifier><xad:SPURI>${POLICY.uri}</xad:SPURI></xad:SigPolicyQualifier>` +
    '</xad:SigPolicyQualifiers></xad:SignaturePolicyId></xad:SignaturePolicyIdentifier>' +
    '<xad:SignatureProductionPlace><xad:City>NICE</xad:City><xad:PostalCode>06000</xad:PostalCode>' +
    '<xad:CountryName>FRANCE</xad:CountryName></xad:SignatureProductionPlace>' +
    '<xad:SignerRole><xad:ClaimedRoles><xad:ClaimedRole>Maire</xad:ClaimedRole></xad:ClaimedRoles></xad:SignerRole>' +
    '</xad:SignedSignatureProperties></xad:SignedProperties></xad:QualifyingProperties></ds:Object></ds:Signature>'
  )
}

const xmlsec1: Contestant = {
  name: 'xmlsec1',
  async run(file, keyPem, certPem, outFile) {
    const flow = readFileSync(file)
    const end = flow.lastIndexOf('</n:PES_Aller>')
    const template = `${outFile}.tmpl.xml`
    // A global signature is the last child of PES_Aller (research/pes.md §2).
    writeFileSync(template, Buffer.concat([flow.subarray(0, end), Buffer.from(signatureTemplate(certPem), 'latin1'), flow.subarray(end)]))
    const key = `${outFile}.key.pem`
    const cert = `${outFile}.cert.pem`
    writeFileSync(key, keyPem)
    writeFileSync(cert, certPem)
    runTool('xmlsec1', ['--sign', '--privkey-pem', `${key},${cert}`, ...ID_ATTRS, '--output', outFile, template])
    rmSync(template)
  },
}

const xadesjsContestant: Contestant = {
  name: 'xadesjs',
  async run(file, keyPem, certPem, outFile) {
    const pkcs8 = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' })
    const sign = await xadesjsPesSigner(pkcs8, new X509Certificate(certPem).raw)
    writeFileSync(outFile, await sign(readFileSync(file)))
  },
}

// sceau: the flow is read piece by piece (signPesFile), digested by the streaming canonicaliser, and copied to the
// output with the signature inserted as bytes.
const sceau: Contestant = {
  name: 'sceau',
  async run(file, keyPem, certPem, outFile) {
    const key = new Uint8Array(createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' }))
    const signer = KeySigner.fromPkcs8({ key, certificate: new Uint8Array(new X509Certificate(certPem).raw) })
    await signPesFile(file, outFile, signer, { placement: 'whole', role: 'Maire' })
  },
}

// The child process doing nothing: node, tsx and the modules this script loads. In-process contestants' peak RSS
// includes this floor; xmlsec1's (measured by GNU time on the tool itself) does not.
const idle: Contestant = {
  name: 'node idle',
  async run() {},
}

const contestants: Contestant[] = [sceau, xmlsec1, xadesjsContestant, idle]

async function child(name: string, file: string, keyFile: string, certFile: string, outFile: string): Promise<void> {
  const contestant = contestants.find((c) => c.name === name)
  if (!contestant) throw new Error(`no contestant named ${name}`)
  const keyPem = readFileSync(keyFile, 'utf8')
  const certPem = readFileSync(certFile, 'utf8')
  const started = performance.now()
  await contestant.run(file, keyPem, certPem, outFile)
  const seconds = (performance.now() - started) / 1000
  // The parent reads the peak of an in-process contestant from GNU time: the child's own maxRSS would include the
  // parent's memory, inherited at fork before exec (a 200 MB flow the parent just generated, for one).
  const rssKb = toolPeakKb ?? (existsSync(GNU_TIME) ? undefined : process.resourceUsage().maxRSS)
  process.stdout.write(`${JSON.stringify({ seconds, rssKb })}\n`)
}

function runChild(name: string, args: string[]): Promise<Outcome> {
  return runChildProcess(fileURLToPath(import.meta.url), name, args, `${args[3]}.peak`, TIMEOUT_MS)
}

async function main(): Promise<void> {
  const sizes = (option('--sizes') ?? '11.7,50').split(',').map(Number)
  const runs = Number(option('--runs') ?? 3)
  const dir = mkdtempSync(join(tmpdir(), 'sceau-pes-sign-'))
  try {
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    const subject = '/C=FR/O=Commune de Berger-Levrault/CN=Signataire de banc'
    const req = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', subject]
    execFileSync('openssl', req, { stdio: 'ignore' })
    const rows: string[][] = [['size MB', 'tool', 'seconds', 'vs xmlsec1', 'peak RSS MB', 'verified']]
    for (const mb of sizes) {
      const flow = join(dir, `flow-${mb}.xml`)
      writePesFlow(flow, { targetBytes: mb * 1e6 })
      const actual = (readFileSync(flow).length / 1e6).toFixed(1)
      const results = new Map<string, number>()
      // xmlsec1 first: it is the baseline the others are compared with.
      for (const contestant of [...contestants].sort((a, b) => Number(b.name === 'xmlsec1') - Number(a.name === 'xmlsec1'))) {
        const out = join(dir, `${contestant.name}-${mb}.xml`)
        const outcome = await bestOf(runs, () => runChild(contestant.name, [flow, keyFile, certFile, out]))
        const verified = contestant !== idle && outcome.failure === undefined && xmlsec1Verifies(out)
        const row = contestRow(actual, contestant.name, outcome, results, 'xmlsec1', verified ? 'yes' : 'no', contestant === idle)
        console.log(row.join('\t'))
        rows.push(row)
      }
      rmSync(flow)
    }
    printTable(rows)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') {
  const [name, file, keyFile, certFile, outFile] = process.argv.slice(3) as [string, string, string, string, string]
  await child(name, file, keyFile, certFile, outFile)
} else {
  await main()
}
