// Software signers and verification options over a test PKI, so that tests of every format start the same way.

import { KeySigner } from '../signer/key-signer.js'
import type { TestLeafName, TestPki } from './pki.js'

/**
 * A KeySigner for a leaf of the test PKI, with the intermediate as its chain unless `chain` is false.
 *
 * @example
 * ```ts
 * const pki = await createTestPki()
 * const rsa = testSigner(pki)
 * const ec = testSigner(pki, 'signature-ec-p256')
 * ```
 */
export function testSigner(pki: TestPki, leaf: TestLeafName = 'signature-rsa2048', options: { chain?: boolean } = {}): KeySigner {
  const { privateKey, certificate } = pki.leaf(leaf)
  return KeySigner.fromPkcs8({
    key: privateKey,
    certificate,
    ...(options.chain === false ? {} : { chain: [pki.intermediate.certificate] }),
  })
}

/** Verification options that trust the test PKI's root, with its CRLs, no network, a minute after it was made. */
export function testTrust(pki: TestPki): {
  anchors: Uint8Array[]
  revocation: { crls: Uint8Array[]; fetchCrls: false }
  at: Date
} {
  return {
    anchors: [pki.root.certificate],
    revocation: { crls: [pki.crl, pki.rootCrl], fetchCrls: false },
    at: new Date(pki.now.getTime() + 60_000),
  }
}
