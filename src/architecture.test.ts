import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The layers, left to right: a module may import only from its own layer and the ones to its left
// (shared/STYLE.md). `testing` builds test PKIs and may use everything but the CLI.
const ORDER = [
  'root',
  'x509',
  'pkcs11',
  'signer',
  'policy',
  'xml',
  'cms',
  'timestamp',
  'validation',
  'xades',
  'pades',
  'cades',
  'batch',
  'testing',
  'cli',
] as const
const RANK: Record<string, number> = Object.fromEntries(ORDER.map((layer, index) => [layer, index]))
// policy, xml and cms are siblings, as are xades and pades: neither imports the other. cades comes after pades
// (it signs PDFs' neighbours the same way). timestamp (RFC 3161 client and token reading) and validation (the CMS
// judge, time-stamp and signer-certificate checks, crypto constraints) serve xades, pades and cades.
const SIBLINGS = new Set(['policy>xml', 'xml>policy', 'xml>cms', 'cms>xml', 'policy>cms', 'cms>policy', 'xades>pades', 'pades>xades'])

const src = dirname(fileURLToPath(import.meta.url))

function layerOf(file: string): string {
  const first = relative(src, file).split(/[\\/]/)[0] ?? ''
  return /\.[jt]s$/.test(first) ? 'root' : first
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('architecture', () => {
  const files = sources(src)

  it('keeps every import within its layer or to the left', () => {
    const violations: string[] = []
    // index.ts gathers the public API from every layer; it is the one file allowed to.
    for (const file of files.filter((path) => relative(src, path) !== 'index.ts')) {
      const from = layerOf(file)
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = layerOf(resolve(dirname(file), match[1] ?? ''))
        if (target === from) continue
        const allowed = (RANK[target] ?? 99) < (RANK[from] ?? -1) && !SIBLINGS.has(`${from}>${target}`)
        if (!allowed) violations.push(`${relative(src, file)} imports ${match[1]} (${from} → ${target})`)
      }
    }
    expect(violations).toEqual([])
  })

  it('loads pkcs11js in exactly one file', () => {
    const loaders = files.filter((file) => /require\('pkcs11js'\)|from 'pkcs11js'/.test(readFileSync(file, 'utf8')))
    expect(loaders.map((file) => relative(src, file))).toEqual([join('pkcs11', 'native.ts')])
  })

  it('never prints a PIN', () => {
    const offenders = files.filter((file) => /console\.(log|error|warn|info)\([^)]*\bpin\b/i.test(readFileSync(file, 'utf8')))
    expect(offenders).toEqual([])
  })
})
