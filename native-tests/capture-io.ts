import type { CommandIo } from '../src/cli/io.js'

/** A command's IO that records what it prints, with the process environment plus `env`. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CommandIo & { stdout: string; stderr: string } {
  const io = {
    env: { ...process.env, ...env },
    stdout: '',
    stderr: '',
    out: (text: string) => void (io.stdout += text + '\n'),
    err: (text: string) => void (io.stderr += text + '\n'),
  }
  return io
}
