// npm run demo: the main job of sceau on a throwaway token. Creates a SoftHSM token in a temporary directory,
// fills it with a generated test PKI (an agent's RSA and EC signature keys and certificates, the CA certificate),
// lists it as `sceau tokens` does, signs a real PES V2 flow with each key through the token (XAdES-EPES, DGFiP
// profile), has xmlsec1 — an implementation sceau did not write — check each signature, verifies it with
// `sceau verify`, and shows both reject the flow once one amount is changed; then signs a PDF act on the same
// token (PAdES) and has poppler's pdfsig check it; finally a procurement file signed detached CAdES with one key,
// co-signed with the other, checked by openssl cms, and signed detached XAdES, checked by xmlsec1.
import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.js'
import { opensslCmsVerify } from '../src/testing/openssl-cms.js'
import { createTestPki, writeTestPki } from '../src/testing/pki.js'
import { createSoftHsm } from '../src/testing/softhsm.js'

const say = (text = ''): void => void process.stdout.write(text + '\n')

function xmlsecVerify(file: string): boolean {
  const id = ['--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties']
  return spawnSync('xmlsec1', ['--verify', '--insecure', ...id, file], { stdio: 'ignore' }).status === 0
}

async function demo(): Promise<void> {
  const started = Date.now()
  const pkiDir = mkdtempSync(join(tmpdir(), 'sceau-demo-pki-'))
  // A fresh random PIN, handed over through the environment as a user would (never on a command line).
  process.env.SCEAU_DEMO_PIN = String(randomInt(100000, 999999))
  const pki = await createTestPki()
  await writeTestPki(pki, pkiDir)
  const hsm = createSoftHsm([
    {
      label: 'Mairie de Démo',
      pin: process.env.SCEAU_DEMO_PIN,
      objects: [
        {
          kind: 'key-and-cert',
          keyFile: join(pkiDir, 'signature-rsa2048.key.der'),
          certFile: join(pkiDir, 'signature-rsa2048.cert.der'),
          id: '01',
          label: 'Signature RSA',
        },
        {
          kind: 'key-and-cert',
          keyFile: join(pkiDir, 'signature-ec-p256.key.der'),
          certFile: join(pkiDir, 'signature-ec-p256.cert.der'),
          id: '02',
          label: 'Signature EC',
        },
        { kind: 'cert', certFile: join(pkiDir, 'intermediate.cert.der'), id: 'ca01', label: 'AC intermédiaire TEST' },
      ],
    },
  ])
  try {
    say(`sceau demo — a SoftHSM token in ${hsm.dir}, test PKI generated in ${Date.now() - started} ms\n`)
    say(`$ sceau tokens --module ${hsm.module} --pin-env SCEAU_DEMO_PIN`)
    const io = { env: process.env, out: say, err: (text: string) => void process.stderr.write(text + '\n') }
    const listed = await main(['tokens', '--module', hsm.module, '--pin-env', 'SCEAU_DEMO_PIN'], io)
    if (listed !== 0) throw new Error('listing the token failed')

    // The real 2019 flow without its signature: an unsigned ISO-8859-1 PES_Aller with one bordereau, N10025.
    const real = readFileSync(new URL('../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url))
    const unsigned = Buffer.concat([real.subarray(0, real.indexOf('<ds:Signature')), real.subarray(real.indexOf('</ds:Signature>') + 15)])
    const input = join(pkiDir, 'PESALR2.xml')
    writeFileSync(input, unsigned)
    const trust = ['--trust', join(pkiDir, 'root.pem'), '--intermediates', join(pkiDir, 'intermediate.pem')]
    const revocation = ['--crl', join(pkiDir, 'crl.der'), '--crl', join(pkiDir, 'root-crl.der'), '--no-crl-fetch']
    for (const [label, output] of [
      ['Signature RSA', join(pkiDir, 'PESALR2-signed-rsa.xml')],
      ['Signature EC', join(pkiDir, 'PESALR2-signed-ec.xml')],
    ] as const) {
      const key = `pkcs11:token=${encodeURIComponent('Mairie de Démo')};object=${encodeURIComponent(label)};type=private`
      const args = [
        'sign-pes',
        input,
        '--out',
        output,
        '--module',
        hsm.module,
        '--key',
        key,
        '--pin-env',
        'SCEAU_DEMO_PIN',
        '--role',
        'Maire',
        '--city',
        'Nice',
      ]
      say(`
$ sceau ${args.map((arg) => (arg.includes(' ') || arg.includes(';') ? `'${arg}'` : arg)).join(' ')}`)
      if ((await main(args, io)) !== 0) throw new Error(`signing with ${label} failed`)
      say(`$ xmlsec1 --verify … ${output.split('/').pop()}   (an implementation sceau did not write)`)
      const xmlsec = xmlsecVerify(output)
      say(`  xmlsec1: ${xmlsec ? 'OK' : 'FAILED'}`)
      say(`$ sceau verify ${output.split('/').pop()} --trust root.pem --intermediates intermediate.pem --crl …`)
      const verdict = await main(['verify', output, ...trust, ...revocation], io)
      const tampered = join(pkiDir, 'tampered.xml')
      writeFileSync(
        tampered,
        readFileSync(output).toString('latin1').replace('<MtBordHT V="4874.40"/>', '<MtBordHT V="4874.50"/>'),
        'latin1',
      )
      const tamperedXmlsec = xmlsecVerify(tampered)
      const tamperedCode = await main(['verify', tampered, ...trust, ...revocation, '--json'], { ...io, out: () => {} })
      say(
        `  one amount changed (4874.40 → 4874.50): xmlsec1 ${tamperedXmlsec ? 'OK (!)' : 'rejects it'}, sceau verify exits ${tamperedCode}`,
      )
      if (!xmlsec || verdict !== 0 || tamperedXmlsec || tamperedCode !== 1) process.exitCode = 1
    }
    // A PDF act, signed on the same token (PAdES B-B) and judged by poppler's pdfsig.
    const act = join(pkiDir, 'deliberation.pdf')
    const signedAct = join(pkiDir, 'deliberation-signee.pdf')
    writeFileSync(act, readFileSync(new URL('../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)))
    const rsaKey = `pkcs11:token=${encodeURIComponent('Mairie de Démo')};object=${encodeURIComponent('Signature RSA')};type=private`
    say(
      `\n$ sceau sign-pdf deliberation.pdf --out deliberation-signee.pdf --key '${rsaKey}' --pin-env SCEAU_DEMO_PIN --reason 'Délibération n° 42'`,
    )
    const pdfArgs = [
      'sign-pdf',
      act,
      '--out',
      signedAct,
      '--module',
      hsm.module,
      '--key',
      rsaKey,
      '--pin-env',
      'SCEAU_DEMO_PIN',
      '--reason',
      'Délibération n° 42',
    ]
    if ((await main(pdfArgs, io)) !== 0) throw new Error('signing the PDF failed')
    const pdfsig = spawnSync('pdfsig', [signedAct], { encoding: 'utf8' }).stdout
    const validation = /Signature Validation: (.*)/.exec(pdfsig)?.[1] ?? '(no signature found)'
    say(`$ pdfsig deliberation-signee.pdf   (poppler)\n  ${validation}`)
    if (validation !== 'Signature is Valid.') process.exitCode = 1

    // A procurement offer: a detached CAdES signature by one agent, co-signed by a second (parapheur workflow).
    const offer = join(pkiDir, 'offre.zip')
    writeFileSync(offer, readFileSync(new URL('../fixtures/pdf/1.2.250.1.131.1.5.18.21.1.4.pdf', import.meta.url)))
    const ecKey = `pkcs11:token=${encodeURIComponent('Mairie de Démo')};object=${encodeURIComponent('Signature EC')};type=private`
    const token = ['--module', hsm.module, '--pin-env', 'SCEAU_DEMO_PIN']
    say(`\n$ sceau sign offre.zip --commitment origin --key '${rsaKey}' --pin-env SCEAU_DEMO_PIN`)
    if ((await main(['sign', offer, '--commitment', 'origin', '--key', rsaKey, ...token], io)) !== 0)
      throw new Error('CAdES signing failed')
    say(`$ sceau sign --cosign offre.zip.p7s --commitment approval --key '${ecKey}' --pin-env SCEAU_DEMO_PIN`)
    if ((await main(['sign', '--cosign', `${offer}.p7s`, '--commitment', 'approval', '--key', ecKey, ...token], io)) !== 0) {
      throw new Error('co-signing failed')
    }
    const bundle = join(pkiDir, 'bundle.pem')
    writeFileSync(bundle, readFileSync(join(pkiDir, 'root.pem'), 'utf8') + readFileSync(join(pkiDir, 'intermediate.pem'), 'utf8'))
    const cms = opensslCmsVerify(`${offer}.p7s`, { caFile: bundle, workDir: pkiDir, content: offer })
    say(
      `$ openssl cms -verify -binary -content offre.zip -in offre.zip.p7s …\n  openssl: ${cms.ok ? `OK, ${cms.signers} signers` : 'FAILED'}`,
    )
    say(`$ sceau verify offre.zip.p7s --trust root.pem …`)
    const cadesVerdict = await main(['verify', `${offer}.p7s`, ...trust, ...revocation], io)
    say(`\n$ sceau sign offre.zip --format xades --key '${rsaKey}' --pin-env SCEAU_DEMO_PIN`)
    if ((await main(['sign', offer, '--format', 'xades', '--key', rsaKey, ...token], io)) !== 0) throw new Error('XAdES signing failed')
    const xades = spawnSync(
      'xmlsec1',
      [
        '--verify',
        '--trusted-pem',
        join(pkiDir, 'root.pem'),
        '--id-attr:Id',
        'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
        'offre.zip.xades.xml',
      ],
      { cwd: pkiDir, stdio: 'ignore' },
    )
    say(`$ xmlsec1 --verify --trusted-pem root.pem … offre.zip.xades.xml\n  xmlsec1: ${xades.status === 0 ? 'OK' : 'FAILED'}`)
    if (!cms.ok || cms.signers !== 2 || cadesVerdict !== 0 || xades.status !== 0) process.exitCode = 1
    say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  } finally {
    hsm.cleanup()
    rmSync(pkiDir, { recursive: true, force: true })
  }
}

demo().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err)}\n`)
  process.exitCode = 2
})
