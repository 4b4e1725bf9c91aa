import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inject } from 'vitest'
import { startTestTsa, type TestTsa } from '../src/testing/tsa.js'

/** A file of the test PKI written by the global set-up (see src/testing/pki.ts for the names). */
export function pkiFile(name: string): string {
  return join(inject('pkiDir'), name)
}

/** `sceau verify` / `check-cert` options trusting the test PKI, with its CRLs and no network. */
export function trustTestPki(): string[] {
  return [
    '--trust',
    pkiFile('root.pem'),
    '--intermediates',
    pkiFile('intermediate.pem'),
    '--crl',
    pkiFile('crl.der'),
    '--crl',
    pkiFile('root-crl.der'),
    '--no-crl-fetch',
  ]
}

/** Writes `dir/agent.p12` (the signature-rsa2048 key, its certificate and the intermediate) made by OpenSSL. */
export function makeAgentP12(dir: string, password: string): string {
  const keyPem = join(dir, 'agent.key.pem')
  execFileSync('openssl', ['pkey', '-inform', 'der', '-in', pkiFile('signature-rsa2048.key.der'), '-out', keyPem])
  const p12 = join(dir, 'agent.p12')
  const args = [
    'pkcs12',
    '-export',
    '-inkey',
    keyPem,
    '-in',
    pkiFile('signature-rsa2048.cert.pem'),
    '-certfile',
    pkiFile('intermediate.pem'),
  ]
  execFileSync('openssl', [...args, '-out', p12, '-passout', 'env:SCEAU_TEST_P12_PASSWORD'], {
    env: { ...process.env, SCEAU_TEST_P12_PASSWORD: password },
  })
  return p12
}

/** The test PKI's time-stamping authority (leaf tsa-rsa2048, the intermediate as chain), from the set-up's files. */
export function startPkiFilesTsa(): Promise<TestTsa> {
  return startTestTsa({
    certificatePem: readFileSync(pkiFile('tsa-rsa2048.cert.pem'), 'utf8'),
    keyDer: new Uint8Array(readFileSync(pkiFile('tsa-rsa2048.key.der'))),
    chainPem: readFileSync(pkiFile('intermediate.pem'), 'utf8'),
  })
}
