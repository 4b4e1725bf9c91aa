#!/usr/bin/env node
import 'reflect-metadata'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SceauError } from '../errors.js'
import { refusePinArgument } from './args.js'
import { errorJson, errorLine, EXIT } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { checkCertCommand } from './check-cert.js'
import { doctorCommand } from './doctor.js'
import { signCommand } from './sign.js'
import { signPdfCommand } from './sign-pdf.js'
import { signPesCommand } from './sign-pes.js'
import { tokensCommand } from './tokens.js'
import { verifyCommand } from './verify.js'
import { VERSION } from '../version.js'

const COMMANDS: Readonly<Record<string, (argv: string[], io: CommandIo) => Promise<number>>> = {
  tokens: tokensCommand,
  'check-cert': checkCertCommand,
  doctor: doctorCommand,
  'sign-pes': signPesCommand,
  'sign-pdf': signPdfCommand,
  sign: signCommand,
  verify: verifyCommand,
}

const HELP = `sceau ${VERSION} — sign and verify documents of French public bodies with RGS/eIDAS certificates

Commands:
  sceau tokens [--module PATH|ID] [--token URI|LABEL] [--pin-env VAR | --pin-file FILE | --pin-prompt] [--json]
      List the tokens a PKCS#11 module sees, their certificates and keys, each with its pkcs11: URI.
  sceau check-cert (CERT | pkcs11:URI [--module PATH]) [--trust PEM]... [--intermediates PEM]... [--tsl TL.xml]...
                   [--crl CRL]... [--ocsp] [--no-crl-fetch] [--no-revocation-check] [--at ISO-DATE]
                   [--profile rgs2-signature|eidas-qes|eidas-qualified|none] [--policy-oid OID]... [--json]
      Can this certificate sign this kind of document at this date, and why not: chain, revocation,
      qualification (from the trusted list when given) and the profile's checks.
  sceau doctor [--module PATH|ID]... [--tsl TL.xml]... [--at ISO-DATE] [--pin-env VAR | --pin-file FILE | --pin-prompt] [--json]
      Before a deadline: driver, tokens, PIN tries left, which certificate can sign which kind of document,
      when each expires, and what to do about each problem.

  sceau sign-pes IN.xml... (--out OUT.xml | --out-dir DIR)
                 (--key pkcs11:URI [--module PATH] [--pin-env VAR | --pin-file FILE | --pin-prompt] | --p12 FILE --password-env VAR)
                 [--per-bordereau | --whole] [--role TEXT] [--city TEXT --postal-code TEXT --country TEXT]
                 [--set-info-demat] [--add-ids] [--json]
      Sign PES V2 (Hélios) flows: XAdES-EPES, DGFiP policy, one signature per bordereau (default) or one
      for the whole flow. The bytes outside the signatures are kept as they are (ISO-8859-1 stays).
  sceau sign-pdf IN.pdf... (--out OUT.pdf | --out-dir DIR) (--key pkcs11:URI … | --p12 FILE …)
                 [--reason TEXT] [--location TEXT] [--contact TEXT] [--name TEXT] [--visible PAGE,X,Y,W,H]
                 [--tsa URL] [--level B-B|B-T|B-LT|B-LTA [--trust PEM]... [--crl CRL]... [--no-crl-fetch] [--ocsp]]
                 [--certify 1|2|3] [--json]
      Sign PDFs (PAdES, ETSI.CAdES.detached) by incremental update: earlier signatures stay valid; B-T adds an
      RFC 3161 time-stamp, B-LT the chains and revocation data a verifier will need later, B-LTA a document
      time-stamp over all of it.
  sceau sign FILE... [--format cades|xades] [--enveloping] [--level B-B|B-T|B-LT] [--tsa URL] [--commitment TYPE]
             [--policy OID --policy-hash B64] (--key pkcs11:URI … | --p12 FILE …) [--out FILE | --out-dir DIR]
      A signature of any file (procurement offers, contracts), hashed while read: detached CAdES (FILE.p7s, the
      default), enveloping CAdES (FILE.p7m) or detached XAdES (FILE.xades.xml).
  sceau sign --cosign EXISTING.p7s|.p7m [FILE] … | --countersign EXISTING [--signer-index N] …
      Add a parallel signer (same file) or a counter-signature to an existing CAdES signature, in place.
  sceau verify FILE... [--trust PEM]... [--tsl TL.xml]... [--profile ...] [--at ISO-DATE] [--json] [--junit FILE]
      Verify every signature of PDFs, .p7s/.p7m files and detached XAdES ([--content FILE], else the file beside it), PES flows or any
      XML-DSig/XAdES document (trusted lists): what each covers,
      digests, signature value, XAdES properties, signer certificate; ETSI verdict per signature.

Exit codes: 0 success, 1 negative verdict, 2 usage or input error, 3 indeterminate.
A PIN is never accepted on the command line.`

/**
 * Runs the command line. Returns the exit code; never calls process.exit itself so it can be tested.
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const json = argv.includes('--json')
  try {
    refusePinArgument(argv)
    const [command, ...rest] = argv
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out(HELP)
      return command === undefined ? EXIT.ERROR : EXIT.OK
    }
    if (command === '--version' || command === '-V') {
      io.out(VERSION)
      return EXIT.OK
    }
    const run = COMMANDS[command]
    if (run === undefined) throw new SceauError('USAGE', `unknown command "${command}"; run "sceau --help"`)
    return await run(rest, io)
  } catch (err) {
    io.err(json ? JSON.stringify(errorJson(err)) : errorLine(err))
    return EXIT.ERROR
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  const io: CommandIo = {
    env: process.env,
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
    ...(process.stderr.isTTY && process.env.CI === undefined
      ? { progress: (line: string) => process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 80) - 1)}\x1b[K`) }
      : {}),
  }
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code
  })
}
