/** What a command may touch of the outside world; the tests pass their own. */
export interface CommandIo {
  readonly env: NodeJS.ProcessEnv
  out(text: string): void
  err(text: string): void
}
