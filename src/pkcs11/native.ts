import { createRequire } from 'node:module'
import { SceauError } from '../errors.js'

// The only file that loads pkcs11js. Loading is lazy so that importing sceau's XAdES, PAdES or policy
// layers never needs the native addon (nor a toolchain to build it).
export type Pkcs11Js = typeof import('pkcs11js')
export type Pkcs11Lib = InstanceType<Pkcs11Js['PKCS11']>
export type Handle = Buffer

let loaded: Pkcs11Js | undefined

/** The pkcs11js namespace (constants and the PKCS11 class); throws `PKCS11_UNAVAILABLE` if the addon cannot load. */
export function pkcs11js(): Pkcs11Js {
  if (loaded !== undefined) return loaded
  try {
    const require = createRequire(import.meta.url)
    loaded = require('pkcs11js') as Pkcs11Js
    return loaded
  } catch (cause) {
    throw new SceauError(
      'PKCS11_UNAVAILABLE',
      `pkcs11js could not be loaded (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); run "npm rebuild pkcs11js" (needs python3, make and g++)`,
      { cause },
    )
  }
}
