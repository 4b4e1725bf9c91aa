// PKCS#11 v2.40 constants sceau reads. Spec numbers, stable across modules; kept here rather than read from
// pkcs11js so that the pure parts of this layer load without the native addon.
export const CKO = { CERTIFICATE: 0x1, PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3 } as const
export const CKK = { RSA: 0x0, EC: 0x3 } as const
export const CKC_X_509 = 0x0
export const CKU = { SO: 0, USER: 1, CONTEXT_SPECIFIC: 2 } as const
export const CKF_SESSION = { RW: 0x2, SERIAL: 0x4 } as const

export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  VALUE: 0x11,
  CERTIFICATE_TYPE: 0x80,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  SIGN: 0x108,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  EXTRACTABLE: 0x162,
  NEVER_EXTRACTABLE: 0x164,
  ALWAYS_SENSITIVE: 0x165,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  ALWAYS_AUTHENTICATE: 0x202,
} as const

export const CKM = {
  RSA_PKCS: 0x1,
  RSA_PKCS_PSS: 0xd,
  ECDSA: 0x1041,
  SHA256: 0x250,
  SHA384: 0x260,
  SHA512: 0x270,
} as const

export const CKG_MGF1 = { SHA256: 0x2, SHA384: 0x3, SHA512: 0x4 } as const
