#!/usr/bin/env node
// Makes sure the system tools the tests and the demo use are here: SoftHSM2 (a software token), OpenSC's
// pkcs11-tool (imports test keys), and the independent verifiers (xmlsec1, xmllint, pdfsig, qpdf). On a fresh Debian
// machine running as root it installs them; otherwise it stops with one line saying what to install.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const TOOLS = [
  { command: 'softhsm2-util', pkg: 'softhsm2' },
  { command: 'pkcs11-tool', pkg: 'opensc' },
  { command: 'xmlsec1', pkg: 'xmlsec1' },
  { command: 'xmllint', pkg: 'libxml2-utils' },
  { command: 'pdfsig', pkg: 'poppler-utils' },
  { command: 'qpdf', pkg: 'qpdf' },
]

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
const missing = TOOLS.filter((tool) => !onPath(tool.command))
if (missing.length === 0) process.exit(0)

const packages = [...new Set(missing.map((tool) => tool.pkg))]
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.error(`sceau: missing system packages: ${packages.join(' ')}; install them with: sudo apt-get install -y ${packages.join(' ')}`)
  process.exit(1)
}
console.error(`sceau: installing ${packages.join(' ')} (apt-get)`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env })
} catch {
  console.error(`sceau: apt-get could not install ${packages.join(' ')}; install them by hand and run again`)
  process.exit(1)
}
const still = TOOLS.filter((tool) => !onPath(tool.command))
if (still.length > 0) {
  console.error(`sceau: still missing after apt-get: ${still.map((tool) => tool.command).join(', ')}`)
  process.exit(1)
}
