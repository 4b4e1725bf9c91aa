import { X509Certificate } from 'node:crypto'
import type { KeyDescription } from '../types.js'
import { CKA, CKC_X_509, CKK, CKO } from './attributes.js'
import { CKR, ckrOf, toSceauError } from './ckr.js'
import { curveOfEcParams, rawEcPoint } from './ec-params.js'
import type { Handle, Pkcs11Lib } from './native.js'

/** A certificate object on the token. */
export interface CertificateObject {
  readonly handle: Handle
  /** CKA_ID (pairs a certificate with its key). */
  readonly id: Uint8Array
  readonly label: string
  /** DER of the certificate. */
  readonly der: Uint8Array
  /** Fingerprint of the public key, to pair with a key whose CKA_ID differs. */
  readonly publicKeyFingerprint: string | undefined
}

/** A key object on the token. */
export interface KeyObjectInfo {
  readonly handle: Handle
  readonly kind: 'private' | 'public'
  readonly id: Uint8Array
  readonly label: string
  /** Undefined for key types sceau cannot sign with (DSA, Ed25519, secret keys...). */
  readonly key: KeyDescription | undefined
  /** CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE: undefined when the token won't say. */
  readonly sensitive: boolean | undefined
  readonly extractable: boolean | undefined
  readonly neverExtractable: boolean | undefined
  readonly alwaysSensitive: boolean | undefined
  /** CKA_ALWAYS_AUTHENTICATE: every signature needs the PIN again (some qualified-signature cards). */
  readonly alwaysAuthenticate: boolean
  readonly canSign: boolean | undefined
  readonly publicKeyFingerprint: string | undefined
}

const MAX_OBJECTS = 10_000

/** Finds the handles of the objects of a class on the token (bounded, in case a module never stops). */
export function findObjects(lib: Pkcs11Lib, session: Handle, objectClass: number): Handle[] {
  lib.C_FindObjectsInit(session, [
    { type: CKA.CLASS, value: objectClass },
    { type: CKA.TOKEN, value: true },
  ])
  const handles: Handle[] = []
  try {
    while (handles.length < MAX_OBJECTS) {
      const batch = lib.C_FindObjects(session, 64)
      if (batch.length === 0) break
      handles.push(...batch)
    }
  } finally {
    lib.C_FindObjectsFinal(session)
  }
  return handles
}

/** Reads one attribute; undefined when the token refuses it (sensitive, not present). */
export function readAttribute(lib: Pkcs11Lib, session: Handle, object: Handle, type: number): Buffer | undefined {
  try {
    const [result] = lib.C_GetAttributeValue(session, object, [{ type }])
    return result?.value
  } catch (err) {
    const ckr = ckrOf(err)
    if (ckr === CKR.ATTRIBUTE_SENSITIVE || ckr === CKR.ATTRIBUTE_TYPE_INVALID) return undefined
    throw err
  }
}

function readBool(lib: Pkcs11Lib, session: Handle, object: Handle, type: number): boolean | undefined {
  const value = readAttribute(lib, session, object, type)
  return value === undefined || value.length === 0 ? undefined : value[0] !== 0
}

function readUlong(lib: Pkcs11Lib, session: Handle, object: Handle, type: number): number | undefined {
  const value = readAttribute(lib, session, object, type)
  if (value === undefined || value.length === 0) return undefined
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0)
}

function readText(lib: Pkcs11Lib, session: Handle, object: Handle, type: number): string {
  return readAttribute(lib, session, object, type)?.toString('utf8') ?? ''
}

/** Lists the X.509 certificates on the token (public objects: no login needed). */
export function listCertificates(lib: Pkcs11Lib, session: Handle): CertificateObject[] {
  const certificates: CertificateObject[] = []
  try {
    for (const handle of findObjects(lib, session, CKO.CERTIFICATE)) {
      if (readUlong(lib, session, handle, CKA.CERTIFICATE_TYPE) !== CKC_X_509) continue
      const value = readAttribute(lib, session, handle, CKA.VALUE)
      if (value === undefined || value.length === 0) continue
      const der = new Uint8Array(value)
      certificates.push({
        handle,
        id: new Uint8Array(readAttribute(lib, session, handle, CKA.ID) ?? []),
        label: readText(lib, session, handle, CKA.LABEL),
        der,
        publicKeyFingerprint: certificateKeyFingerprint(der),
      })
    }
  } catch (cause) {
    throw toSceauError(cause, 'cannot list the certificates on the token')
  }
  return certificates
}

/** Lists private keys (visible after login) or public keys. */
export function listKeys(lib: Pkcs11Lib, session: Handle, kind: 'private' | 'public'): KeyObjectInfo[] {
  const keys: KeyObjectInfo[] = []
  try {
    for (const handle of findObjects(lib, session, kind === 'private' ? CKO.PRIVATE_KEY : CKO.PUBLIC_KEY)) {
      keys.push(readKey(lib, session, handle, kind))
    }
  } catch (cause) {
    throw toSceauError(cause, `cannot list the ${kind} keys on the token`)
  }
  return keys
}

function readKey(lib: Pkcs11Lib, session: Handle, handle: Handle, kind: 'private' | 'public'): KeyObjectInfo {
  const keyType = readUlong(lib, session, handle, CKA.KEY_TYPE)
  let key: KeyDescription | undefined
  let publicKeyFingerprint: string | undefined
  if (keyType === CKK.RSA) {
    const modulus = readAttribute(lib, session, handle, CKA.MODULUS)
    const bits = readUlong(lib, session, handle, CKA.MODULUS_BITS) ?? (modulus ? bitLength(modulus) : 0)
    key = { type: 'RSA', size: bits }
    if (modulus !== undefined && modulus.length > 0) publicKeyFingerprint = `rsa:${stripZeros(modulus).toString('hex')}`
  } else if (keyType === CKK.EC) {
    const params = readAttribute(lib, session, handle, CKA.EC_PARAMS)
    const curve = params ? curveOfEcParams(params) : undefined
    if (curve !== undefined) key = { type: 'EC', curve, size: curve === 'P-256' ? 256 : curve === 'P-384' ? 384 : 521 }
    const point = readAttribute(lib, session, handle, CKA.EC_POINT)
    if (point !== undefined && point.length > 0) publicKeyFingerprint = `ec:${Buffer.from(rawEcPoint(point)).toString('hex')}`
  }
  const isPrivate = kind === 'private'
  return {
    handle,
    kind,
    id: new Uint8Array(readAttribute(lib, session, handle, CKA.ID) ?? []),
    label: readText(lib, session, handle, CKA.LABEL),
    key,
    sensitive: isPrivate ? readBool(lib, session, handle, CKA.SENSITIVE) : undefined,
    extractable: isPrivate ? readBool(lib, session, handle, CKA.EXTRACTABLE) : undefined,
    neverExtractable: isPrivate ? readBool(lib, session, handle, CKA.NEVER_EXTRACTABLE) : undefined,
    alwaysSensitive: isPrivate ? readBool(lib, session, handle, CKA.ALWAYS_SENSITIVE) : undefined,
    alwaysAuthenticate: isPrivate ? (readBool(lib, session, handle, CKA.ALWAYS_AUTHENTICATE) ?? false) : false,
    canSign: isPrivate ? readBool(lib, session, handle, CKA.SIGN) : undefined,
    publicKeyFingerprint,
  }
}

/** The fingerprint {@link KeyObjectInfo.publicKeyFingerprint} would have for a certificate's key. */
export function certificateKeyFingerprint(der: Uint8Array): string | undefined {
  try {
    const jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' })
    if (jwk.kty === 'RSA' && jwk.n) return `rsa:${stripZeros(Buffer.from(jwk.n, 'base64url')).toString('hex')}`
    if (jwk.kty === 'EC' && jwk.x && jwk.y) {
      return `ec:04${Buffer.from(jwk.x, 'base64url').toString('hex')}${Buffer.from(jwk.y, 'base64url').toString('hex')}`
    }
  } catch {
    // An undecodable certificate on a token is listed, but cannot be paired by key.
  }
  return undefined
}

function stripZeros(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  return bytes.subarray(start)
}

function bitLength(bytes: Buffer): number {
  const stripped = stripZeros(bytes)
  const first = stripped[0] ?? 0
  return (stripped.length - 1) * 8 + (first === 0 ? 0 : Math.floor(Math.log2(first)) + 1)
}
