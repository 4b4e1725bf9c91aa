// OpenSSL's `cms -verify`, which nobody here wrote, as the judge of sceau's CMS signatures in tests and the demo.

import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/** What `openssl cms -verify` made of a signature. */
export interface OpensslCmsVerdict {
  readonly ok: boolean
  /** Signer certificates it wrote (`-signer`): one per SignerInfo it verified. */
  readonly signers: number
  /** The content it verified (`-out`): the detached file, or what a .p7m carries. */
  readonly content: Buffer
}

/**
 * Runs `openssl cms -verify -binary -inform DER` on `signature` (DER), trusting `caFile`, with `content` for a
 * detached one; scratch files go in `workDir`.
 */
export function opensslCmsVerify(signature: string, options: { caFile: string; workDir: string; content?: string }): OpensslCmsVerdict {
  const signers = join(options.workDir, 'openssl-signers.pem')
  const out = join(options.workDir, 'openssl-content')
  rmSync(signers, { force: true })
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', signature, '-CAfile', options.caFile, '-purpose', 'any']
  if (options.content !== undefined) args.push('-content', options.content)
  if (spawnSync('openssl', [...args, '-signer', signers, '-out', out]).status !== 0)
    return { ok: false, signers: 0, content: Buffer.alloc(0) }
  return { ok: true, signers: (readFileSync(signers, 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length, content: readFileSync(out) }
}
