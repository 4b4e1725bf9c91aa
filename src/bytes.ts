// Byte-array plumbing shared by the encoders (ECDSA, PKCS#12): one copy instead of one per module.

/** Concatenates byte sequences into a new array. */
export function concatBytes(parts: readonly ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** True when both arrays hold the same bytes. Not constant-time: never use it on secrets. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
