// npm run bench: how close Pkcs11Signer gets to the token's raw C_Sign rate, on a SoftHSM token built here.
// Baseline and contender run in the same process on the same token, so the ratio means something whatever
// the machine. Prints a table; asserts nothing.
import 'reflect-metadata'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { digest, digestInfo } from '../src/signer/digest-info.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { SignatureAlgorithm } from '../src/signer/signer.js'
import { BENCH_PIN_ENV, createBenchToken, loadPkcs11js, rawRate } from './softhsm-bench.js'

const SECONDS = Number(process.env.SCEAU_BENCH_SECONDS ?? 3)
const SESSIONS = [1, 2, 4]

/** Pkcs11Signer.sign on `sessions` pooled sessions, `inFlight` calls outstanding at a time. */
async function signerRate(
  module: string,
  label: string,
  keyLabel: string,
  algorithm: SignatureAlgorithm,
  sessions: number,
): Promise<number> {
  const token = await Token.open({ module, token: label, sessions })
  try {
    await token.login(pinFromEnv(BENCH_PIN_ENV))
    const signer = await Pkcs11Signer.create({ token, key: keyLabel })
    const data = new TextEncoder().encode('<ds:SignedInfo>…</ds:SignedInfo>'.repeat(20))
    let count = 0
    const end = performance.now() + SECONDS * 1000
    const started = performance.now()
    await Promise.all(
      Array.from({ length: sessions }, async () => {
        while (performance.now() < end) {
          await signer.sign(data, algorithm)
          count++
        }
      }),
    )
    return count / ((performance.now() - started) / 1000)
  } finally {
    token.close()
  }
}

async function bench(): Promise<void> {
  const pkcs11 = loadPkcs11js()
  const token = await createBenchToken('Bench', [
    { leaf: 'signature-rsa2048', label: 'rsa' },
    { leaf: 'signature-ec-p256', label: 'ec' },
  ])
  try {
    console.log(
      `SoftHSM ${token.module}, ${SECONDS} s per measurement, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    )
    console.log('key         sessions   raw C_Sign/s   Pkcs11Signer/s   ratio')
    const rsaData = Buffer.from(digestInfo('SHA-256', digest('SHA-256', Buffer.from('x'))))
    const ecData = Buffer.from(digest('SHA-256', Buffer.from('x')))
    for (const [name, keyLabel, mechanism, data, algorithm] of [
      ['RSA-2048', 'rsa', pkcs11.CKM_RSA_PKCS, rsaData, 'RSASSA-PKCS1-v1_5-SHA256'],
      ['EC P-256', 'ec', pkcs11.CKM_ECDSA, ecData, 'ECDSA-SHA256'],
    ] as const) {
      for (const sessions of SESSIONS) {
        const raw = await rawRate(pkcs11, { token, keyLabel, mechanism, data, sessions, seconds: SECONDS })
        const ours = await signerRate(token.module, token.label, keyLabel, algorithm, sessions)
        console.log(
          `${name.padEnd(12)}${String(sessions).padStart(8)}${raw.toFixed(0).padStart(15)}${ours.toFixed(0).padStart(17)}${(ours / raw).toFixed(2).padStart(8)}`,
        )
      }
    }
  } finally {
    token.cleanup()
  }
}

bench().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
