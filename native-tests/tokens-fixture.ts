import { join } from 'node:path'
import { inject } from 'vitest'
import { createSoftHsm, type SoftHsm } from '../src/testing/softhsm.js'

/** PINs of the test tokens: distinctive strings, so a test can search outputs for them. */
export const PIN_A = '739201'
export const PIN_B = '8642-syndicat'

/**
 * Two tokens as an agent's machine might show them:
 * "Mairie de Test" holds RSA-2048 and EC P-256 signature keys with their certificates (same CKA_ID), an
 * RSA-3072 key whose certificate has another CKA_ID (pairing by public key), the intermediate CA certificate
 * without a key, a key generated on the token without a certificate, and a key that wants the PIN at every
 * signature (CKA_ALWAYS_AUTHENTICATE).
 * "Syndicat de Test" holds the expired certificate and its key.
 */
export function createTestTokens(): SoftHsm {
  const pki = inject('pkiDir')
  const file = (name: string): string => join(pki, name)
  return createSoftHsm([
    {
      label: 'Mairie de Test',
      pin: PIN_A,
      objects: [
        {
          kind: 'key-and-cert',
          keyFile: file('signature-rsa2048.key.der'),
          certFile: file('signature-rsa2048.cert.der'),
          id: '01',
          label: 'Signature RSA',
        },
        {
          kind: 'key-and-cert',
          keyFile: file('signature-ec-p256.key.der'),
          certFile: file('signature-ec-p256.cert.der'),
          id: '02',
          label: 'Signature EC',
        },
        {
          kind: 'key-and-cert',
          keyFile: file('signature-rsa3072.key.der'),
          certFile: file('signature-rsa3072.cert.der'),
          id: '03',
          certId: '33',
          label: 'Signature RSA 3072',
        },
        {
          kind: 'key-and-cert',
          keyFile: file('authentication-rsa2048.key.der'),
          certFile: file('authentication-rsa2048.cert.der'),
          id: '04',
          label: 'Authentification',
        },
        {
          kind: 'key-and-cert',
          keyFile: file('revoked-rsa2048.key.der'),
          certFile: file('revoked-rsa2048.cert.der'),
          id: '05',
          label: 'Signature PIN à chaque usage',
          alwaysAuthenticate: true,
        },
        { kind: 'cert', certFile: file('intermediate.cert.der'), id: 'ca01', label: 'AC intermédiaire TEST' },
        { kind: 'generate', keyType: 'EC:prime256v1', id: 'aa', label: 'Clé sans certificat' },
      ],
    },
    {
      label: 'Syndicat de Test',
      pin: PIN_B,
      objects: [
        {
          kind: 'key-and-cert',
          keyFile: file('expired-rsa2048.key.der'),
          certFile: file('expired-rsa2048.cert.der'),
          id: '01',
          label: 'Ancienne signature',
        },
      ],
    },
  ])
}

/** The command-line options naming a key of the "Mairie de Test" token, its PIN read from MAIRIE_PIN. */
export function tokenKeyArgs(module: string, object: string): string[] {
  return [
    '--key',
    `pkcs11:token=Mairie%20de%20Test;object=${encodeURIComponent(object)};type=private`,
    '--module',
    module,
    '--pin-env',
    'MAIRIE_PIN',
  ]
}

/**
 * The three key sources each format is proven with, named for test titles: the token's RSA and EC keys and a
 * PKCS#12 file (password in P12_PASSWORD). The arguments are built when a test runs, after the set-up made them.
 */
export function keySources(module: () => string, p12: () => string): [string, () => string[]][] {
  return [
    ['the token RSA key', () => tokenKeyArgs(module(), 'Signature RSA')],
    ['the token EC key', () => tokenKeyArgs(module(), 'Signature EC')],
    ['a PKCS#12 file', () => ['--p12', p12(), '--password-env', 'P12_PASSWORD']],
  ]
}
