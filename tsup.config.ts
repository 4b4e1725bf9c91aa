import { defineConfig } from 'tsup'

const LIBRARY_ENTRIES = {
  index: 'src/index.ts',
  pkcs11: 'src/pkcs11/index.ts',
  signer: 'src/signer/index.ts',
  policy: 'src/policy/index.ts',
  xades: 'src/xades/index.ts',
  pades: 'src/pades/index.ts',
  cades: 'src/cades/index.ts',
  batch: 'src/batch/index.ts',
  errors: 'src/errors.ts',
}

export default defineConfig({
  // batch-worker: the worker thread entry signBatch starts (`workers` option), found beside the other chunks.
  entry: { ...LIBRARY_ENTRIES, cli: 'src/cli/main.ts', 'batch-worker': 'src/batch/worker.ts' },
  format: ['esm', 'cjs'],
  // The CLI is a program, not an API: no declarations for it.
  dts: { entry: LIBRARY_ENTRIES },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Without splitting each CJS entry bundles its own errors.ts, and `instanceof SceauError` fails across entries.
  splitting: true,
  // import.meta.url (the lazy pkcs11js loader) in the CJS build.
  shims: true,
  treeshake: true,
  external: ['pkcs11js'],
})
