import type { CommandIo } from '../src/cli/io.js'
import { main } from '../src/cli/main.js'

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

/** Runs the sceau command line in-process, as a user would from a shell, with `env` added to the environment. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo(env)
  const code = await main(args, io)
  return { code, stdout: io.stdout, stderr: io.stderr }
}
