// npm run bench: how close Pkcs11Signer gets to the token's raw C_Sign rate, on a SoftHSM token built here.
// Baseline and contender run in the same process on the same token, so the ratio means something whatever
// the machine. Prints a table; asserts nothing.
import 'reflect-metadata'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pinFromEnv } from '../src/pkcs11/pin.js'
import { Token } from '../src/pkcs11/token.js'
import { digest, digestInfo } from '../src/signer/digest-info.js'
import { Pkcs11Signer } from '../src/signer/pkcs11-signer.js'
import type { SignatureAlgorithm } from '../src/signer/signer.js'
import { createTestPki, writeTestPki } from '../src/testing/pki.js'
import { createSoftHsm } from '../src/testing/softhsm.js'

const SECONDS = Number(process.env.SCEAU_BENCH_SECONDS ?? 3)
const SESSIONS = [1, 2, 4]

type Pkcs11Js = typeof import('pkcs11js')

/** Raw C_SignInit + C_SignAsync loops on `sessions` sessions of their own: the ceiling. */
async function rawRate(
  pkcs11: Pkcs11Js,
  module: string,
  label: string,
  pin: string,
  keyLabel: string,
  mechanism: number,
  data: Buffer,
  sessions: number,
): Promise<number> {
  const lib = new pkcs11.PKCS11()
  lib.load(module)
  lib.C_Initialize({ flags: 2 })
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === label)
    if (slot === undefined) throw new Error('bench token not found')
    const handles = Array.from({ length: sessions }, () => lib.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION))
    lib.C_Login(handles[0]!, pkcs11.CKU_USER, pin)
    lib.C_FindObjectsInit(handles[0]!, [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
      { type: pkcs11.CKA_LABEL, value: keyLabel },
    ])
    const [key] = lib.C_FindObjects(handles[0]!, 1)
    lib.C_FindObjectsFinal(handles[0]!)
    if (key === undefined) throw new Error('bench key not found')
    let count = 0
    const end = performance.now() + SECONDS * 1000
    const started = performance.now()
    await Promise.all(
      handles.map(async (session) => {
        while (performance.now() < end) {
          lib.C_SignInit(session, { mechanism }, key)
          await lib.C_SignAsync(session, data, Buffer.alloc(512))
          count++
        }
      }),
    )
    const rate = count / ((performance.now() - started) / 1000)
    handles.forEach((session) => lib.C_CloseSession(session))
    return rate
  } finally {
    lib.C_Finalize()
    lib.close()
  }
}

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
    await token.login(pinFromEnv('SCEAU_BENCH_PIN'))
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
  const pkcs11 = createRequire(import.meta.url)('pkcs11js') as Pkcs11Js
  const dir = mkdtempSync(join(tmpdir(), 'sceau-bench-'))
  const pin = String(Math.floor(Math.random() * 900000) + 100000)
  process.env.SCEAU_BENCH_PIN = pin
  const pki = await createTestPki()
  await writeTestPki(pki, dir)
  const hsm = createSoftHsm([
    {
      label: 'Bench',
      pin,
      objects: [
        {
          kind: 'key-and-cert',
          keyFile: join(dir, 'signature-rsa2048.key.der'),
          certFile: join(dir, 'signature-rsa2048.cert.der'),
          id: '01',
          label: 'rsa',
        },
        {
          kind: 'key-and-cert',
          keyFile: join(dir, 'signature-ec-p256.key.der'),
          certFile: join(dir, 'signature-ec-p256.cert.der'),
          id: '02',
          label: 'ec',
        },
      ],
    },
  ])
  try {
    console.log(
      `SoftHSM ${hsm.module}, ${SECONDS} s per measurement, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    )
    console.log('key         sessions   raw C_Sign/s   Pkcs11Signer/s   ratio')
    const rsaData = Buffer.from(digestInfo('SHA-256', digest('SHA-256', Buffer.from('x'))))
    const ecData = Buffer.from(digest('SHA-256', Buffer.from('x')))
    for (const [name, keyLabel, mechanism, data, algorithm] of [
      ['RSA-2048', 'rsa', pkcs11.CKM_RSA_PKCS, rsaData, 'RSASSA-PKCS1-v1_5-SHA256'],
      ['EC P-256', 'ec', pkcs11.CKM_ECDSA, ecData, 'ECDSA-SHA256'],
    ] as const) {
      for (const sessions of SESSIONS) {
        const raw = await rawRate(pkcs11, hsm.module, 'Bench', pin, keyLabel, mechanism, data, sessions)
        const ours = await signerRate(hsm.module, 'Bench', keyLabel, algorithm, sessions)
        console.log(
          `${name.padEnd(12)}${String(sessions).padStart(8)}${raw.toFixed(0).padStart(15)}${ours.toFixed(0).padStart(17)}${(ours / raw).toFixed(2).padStart(8)}`,
        )
      }
    }
  } finally {
    hsm.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}

bench().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
