import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { createTestPki, writeTestPki } from '../src/testing/pki.js'
import { createSoftHsm, type SoftHsm } from '../src/testing/softhsm.js'
import { describeCertificate } from '../src/x509/describe.js'

// One token only (doctor logs in only when the module shows a single token), holding a certificate that
// expires within the 60 days it takes to renew one: the PKI is made as if 3 years minus 30 days ago.
const PIN = '50-jours-restants'
let hsm: SoftHsm
let pkiDir: string
let daysLeft: number

beforeAll(async () => {
  const pki = await createTestPki({ now: new Date(Date.now() - (3 * 365 - 30) * 86_400_000) })
  pkiDir = mkdtempSync(join(tmpdir(), 'sceau-doctor-pki-'))
  await writeTestPki(pki, pkiDir)
  daysLeft = Math.floor((describeCertificate(pki.leaf('signature-rsa2048').certificate).notAfter.getTime() - Date.now()) / 86_400_000)
  hsm = createSoftHsm([
    {
      label: 'Mairie seule',
      pin: PIN,
      objects: [
        {
          kind: 'key-and-cert',
          keyFile: join(pkiDir, 'signature-rsa2048.key.der'),
          certFile: join(pkiDir, 'signature-rsa2048.cert.der'),
          id: '01',
          label: 'Signature',
        },
        { kind: 'cert', certFile: join(pkiDir, 'intermediate.cert.der'), id: 'ca', label: 'AC' },
      ],
    },
  ])
})
afterAll(() => {
  hsm?.cleanup()
  if (pkiDir !== undefined) rmSync(pkiDir, { recursive: true, force: true })
})

describe('sceau doctor with the PIN of a single token', () => {
  it('shows which certificate has its private key and asks to renew one that expires soon', async () => {
    expect(daysLeft).toBeGreaterThan(0)
    expect(daysLeft).toBeLessThan(60)
    let stdout = ''
    let stderr = ''
    const io = {
      env: { ...process.env, SCEAU_DOCTOR_PIN: PIN },
      out: (t: string) => void (stdout += t + '\n'),
      err: (t: string) => void (stderr += t + '\n'),
    }
    const code = await main(['doctor', '--module', hsm.module, '--pin-env', 'SCEAU_DOCTOR_PIN'], io)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('has its private key')
    expect(stdout).toContain('RENEW NOW')
    expect(stdout).not.toContain(PIN)
  })
})
