// npm run demo: the main job of sceau on a throwaway token. Creates a SoftHSM token in a temporary directory,
// fills it with a generated test PKI (an agent's RSA and EC signature keys and certificates, the CA certificate),
// lists it as `sceau tokens` does, signs a sample document with each key through the token and checks each
// signature with Node's OpenSSL, an implementation sceau did not write.
import 'reflect-metadata'
import { randomInt, verify, X509Certificate, constants } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.js'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { ecdsaP1363ToDer } from '../src/signer/ecdsa.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import { createTestPki, writeTestPki } from '../src/testing/pki.js'
import { createSoftHsm } from '../src/testing/softhsm.js'

const say = (text = ''): void => void process.stdout.write(text + '\n')

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

    const document = readFileSync(new URL('../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url))
    say(`\nSigning ${document.length} bytes of a real PES V2 flow (its SHA-256 digest is all that reaches the token):`)
    const token = await Token.open({ module: hsm.module, token: 'Mairie de Démo' })
    try {
      await token.login(pinFromEnv('SCEAU_DEMO_PIN'))
      for (const label of ['Signature RSA', 'Signature EC']) {
        const signer = await Pkcs11Signer.create({ token, key: `pkcs11:object=${encodeURIComponent(label)};type=private` })
        const algorithm = signer.algorithms[0]
        if (algorithm === undefined) throw new Error(`no algorithm for ${label}`)
        const t0 = performance.now()
        const signature = await signer.sign(document, algorithm)
        const ms = (performance.now() - t0).toFixed(1)
        const publicKey = new X509Certificate(signer.certificate).publicKey
        const ok =
          signer.key.type === 'EC'
            ? verify('sha256', document, publicKey, ecdsaP1363ToDer(signature))
            : verify('sha256', document, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature)
        const tampered = Buffer.from(document)
        tampered.writeUInt8(tampered.readUInt8(tampered.length >> 1) ^ 1, tampered.length >> 1)
        const tamperedOk =
          signer.key.type === 'EC'
            ? verify('sha256', tampered, publicKey, ecdsaP1363ToDer(signature))
            : verify('sha256', tampered, publicKey, signature)
        say(
          `  ${label.padEnd(14)} ${algorithm.padEnd(26)} ${signature.length} bytes in ${ms} ms — OpenSSL says ${ok ? 'VALID' : 'INVALID'}; after one changed byte: ${tamperedOk ? 'VALID (!)' : 'INVALID'}`,
        )
        say(`    chain from the token: ${signer.chain.length} CA certificate(s); key ${signer.uri}`)
        if (!ok || tamperedOk) process.exitCode = 1
      }
    } finally {
      token.close()
    }
    say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. XAdES (PES V2) and PAdES signing come next on this same Signer.`)
  } finally {
    hsm.cleanup()
    rmSync(pkiDir, { recursive: true, force: true })
  }
}

demo().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err)}\n`)
  process.exitCode = 2
})
