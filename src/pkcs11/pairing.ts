/** The minimum pairing needs of a certificate or key object. */
export interface Pairable {
  readonly id: Uint8Array
  readonly publicKeyFingerprint: string | undefined
}

/** A private key, its certificate and public key when found, and how they were matched. */
export interface Pairing<C extends Pairable, K extends Pairable> {
  readonly privateKey: K
  readonly publicKey: K | undefined
  readonly certificate: C | undefined
  /** 'id' when CKA_ID matched, 'public-key' when the ids differ but the public keys match. */
  readonly pairedBy: 'id' | 'public-key' | undefined
}

const sameId = (a: Uint8Array, b: Uint8Array): boolean => a.length > 0 && Buffer.from(a).equals(Buffer.from(b))

/**
 * Pairs each private key with its certificate: by CKA_ID first (what PKCS#11 asks of applications), then by
 * public key, because vendor tools and hand-made imports often leave the ids unequal.
 *
 * @example
 * ```ts
 * const pairs = pairKeys({ privateKeys, publicKeys, certificates })
 * ```
 */
export function pairKeys<C extends Pairable, K extends Pairable>(objects: {
  privateKeys: readonly K[]
  publicKeys: readonly K[]
  certificates: readonly C[]
}): Pairing<C, K>[] {
  return objects.privateKeys.map((privateKey) => {
    const publicKey =
      objects.publicKeys.find((pub) => sameId(pub.id, privateKey.id)) ??
      (privateKey.publicKeyFingerprint === undefined
        ? undefined
        : objects.publicKeys.find((pub) => pub.publicKeyFingerprint === privateKey.publicKeyFingerprint))
    const byId = objects.certificates.find((cert) => sameId(cert.id, privateKey.id))
    if (byId !== undefined) return { privateKey, publicKey, certificate: byId, pairedBy: 'id' as const }
    const fingerprint = privateKey.publicKeyFingerprint ?? publicKey?.publicKeyFingerprint
    const byKey = fingerprint === undefined ? undefined : objects.certificates.find((cert) => cert.publicKeyFingerprint === fingerprint)
    return { privateKey, publicKey, certificate: byKey, pairedBy: byKey === undefined ? undefined : ('public-key' as const) }
  })
}

/**
 * Certificates that have a private key among `privateKeys`, by the same rules as {@link pairKeys}.
 */
export function certificateHasKey<C extends Pairable, K extends Pairable>(
  certificate: C,
  privateKeys: readonly K[],
  publicKeys: readonly K[],
): boolean {
  return pairKeys({ privateKeys, publicKeys, certificates: [certificate] }).some((pair) => pair.certificate !== undefined)
}
