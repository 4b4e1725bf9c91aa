/** What a command may touch of the outside world; the tests pass their own. */
export interface CommandIo {
  readonly env: NodeJS.ProcessEnv
  out(text: string): void
  err(text: string): void
  /** Redraws a one-line progress display; set only when stderr is a terminal outside CI. */
  progress?(line: string): void
}
