// The SoftHSM token the token benchmarks sign on, built from the test PKI in a temporary directory, and the ceiling
// they are measured against: raw pkcs11js C_SignInit + C_SignAsync loops with no sceau code in between.
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestPki, writeTestPki, type TestLeafName } from '../src/testing/pki.js'
import { createSoftHsm } from '../src/testing/softhsm.js'

export type Pkcs11Js = typeof import('pkcs11js')

/** The env variable the bench PIN is in, for `pinFromEnv`: the PIN is random and never printed. */
export const BENCH_PIN_ENV = 'SCEAU_BENCH_PIN'

/** A key of the test PKI put on the bench token under `label`. */
export interface BenchKey {
  readonly leaf: TestLeafName
  readonly label: string
}

/** A throwaway SoftHSM token holding the bench keys. */
export interface BenchToken {
  readonly module: string
  readonly label: string
  readonly pin: string
  /** Where the test PKI was written: `<leaf>.key.der` (PKCS#8) and `<leaf>.cert.der` for each leaf. */
  readonly pkiDir: string
  cleanup(): void
}

/** pkcs11js itself, for the raw loops (sceau's own code loads it through src/pkcs11). */
export function loadPkcs11js(): Pkcs11Js {
  return createRequire(import.meta.url)('pkcs11js') as Pkcs11Js
}

/**
 * Builds a SoftHSM token labelled `label` holding `keys` with their certificates, and puts its random PIN in
 * {@link BENCH_PIN_ENV}. Must run before the module is first opened in the process (SoftHSM reads its configuration
 * at C_Initialize).
 */
export async function createBenchToken(label: string, keys: readonly BenchKey[]): Promise<BenchToken> {
  const pkiDir = mkdtempSync(join(tmpdir(), 'sceau-bench-pki-'))
  const pin = String(Math.floor(Math.random() * 900000) + 100000)
  process.env[BENCH_PIN_ENV] = pin
  await writeTestPki(await createTestPki(), pkiDir)
  const hsm = createSoftHsm([
    {
      label,
      pin,
      objects: keys.map((key, k) => ({
        kind: 'key-and-cert' as const,
        keyFile: join(pkiDir, `${key.leaf}.key.der`),
        certFile: join(pkiDir, `${key.leaf}.cert.der`),
        id: String(k + 1).padStart(2, '0'),
        label: key.label,
      })),
    },
  ])
  return {
    module: hsm.module,
    label,
    pin,
    pkiDir,
    cleanup() {
      hsm.cleanup()
      rmSync(pkiDir, { recursive: true, force: true })
    },
  }
}

/** What {@link rawRate} signs with. */
export interface RawRateOptions {
  readonly token: BenchToken
  readonly keyLabel: string
  /** A CKM_* number: CKM_RSA_PKCS over a DigestInfo, CKM_ECDSA over a digest. */
  readonly mechanism: number
  readonly data: Buffer
  readonly sessions: number
  readonly seconds: number
}

/**
 * Signatures per second of raw C_SignInit + C_SignAsync loops, one per session, each session its own: the ceiling
 * any signer on this token can reach. Loads and finalises its own pkcs11js instance, so it must not run while a
 * sceau `Token` on the same module is open.
 */
export async function rawRate(pkcs11: Pkcs11Js, options: RawRateOptions): Promise<number> {
  const { token, sessions, mechanism, data } = options
  const lib = new pkcs11.PKCS11()
  lib.load(token.module)
  lib.C_Initialize({ flags: 2 })
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label)
    if (slot === undefined) throw new Error('bench token not found')
    const handles = Array.from({ length: sessions }, () => lib.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION))
    lib.C_Login(handles[0]!, pkcs11.CKU_USER, token.pin)
    lib.C_FindObjectsInit(handles[0]!, [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
      { type: pkcs11.CKA_LABEL, value: options.keyLabel },
    ])
    const [key] = lib.C_FindObjects(handles[0]!, 1)
    lib.C_FindObjectsFinal(handles[0]!)
    if (key === undefined) throw new Error('bench key not found')
    let count = 0
    const end = performance.now() + options.seconds * 1000
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
