import { readFile } from 'node:fs/promises'
import { SceauError } from '../errors.js'

/**
 * Where a PIN comes from. The PIN is read at the moment of login, handed to C_Login and dropped: it is
 * never stored on an object, logged, or put in an error. There is deliberately no source that takes the
 * PIN as a command-line value (other users see command lines in `ps`).
 */
export interface PinSource {
  /** Where the PIN comes from, for messages: "environment variable SCEAU_PIN". Never the PIN. */
  readonly description: string
  /**
   * Reads the PIN. `undefined` means "log in through the reader's PIN pad". `request.token` names the token
   * the PIN is for, so a prompt can say which card is asking.
   */
  read(request?: PinRequest): Promise<string | undefined>
}

/** What a PIN is asked for. */
export interface PinRequest {
  /** Label of the token. */
  readonly token?: string
  /** Why: a login, or a key that wants the PIN again for one signature. */
  readonly purpose?: 'login' | 'signature'
}

/**
 * Reads the PIN from an environment variable at login time.
 *
 * @example
 * ```ts
 * await token.login(pinFromEnv('SCEAU_PIN'))
 * ```
 */
export function pinFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): PinSource {
  return source(`environment variable ${name}`, async () => {
    const value = env[name]
    if (value === undefined || value === '') {
      throw new SceauError('PIN_SOURCE_FAILED', `the environment variable ${name} holding the PIN is not set`, {
        details: { variable: name },
      })
    }
    return value
  })
}

/**
 * Reads the PIN from the first line of a file (a trailing newline is not part of the PIN).
 *
 * @example
 * ```ts
 * await token.login(pinFromFile('/run/secrets/token-pin'))
 * ```
 */
export function pinFromFile(path: string): PinSource {
  return source(`file ${path}`, async () => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'
      throw new SceauError('PIN_SOURCE_FAILED', `the PIN file "${path}" ${reason}`, { details: { file: path } })
    }
    const pin = text.replace(/\r?\n$/, '')
    if (pin === '' || /[\r\n]/.test(pin)) {
      throw new SceauError('PIN_SOURCE_FAILED', `the PIN file "${path}" must hold the PIN alone on one line`, { details: { file: path } })
    }
    return pin
  })
}

/**
 * Logs in through the reader's PIN pad (tokens with CKF_PROTECTED_AUTHENTICATION_PATH): no PIN crosses the host.
 *
 * @example
 * ```ts
 * await token.login(pinPad())
 * ```
 */
export function pinPad(): PinSource {
  return source('the reader PIN pad', async () => undefined)
}

/**
 * Asks for the PIN on the terminal without echo. Fails with `PIN_SOURCE_FAILED` when there is no terminal
 * (CI, a pipe), rather than reading a PIN from piped input by accident.
 *
 * @example
 * ```ts
 * await token.login(pinFromPrompt({ prompt: 'PIN for "Eiducio": ' }))
 * ```
 */
export function pinFromPrompt(options: { prompt?: string; input?: NodeJS.ReadStream; output?: NodeJS.WriteStream } = {}): PinSource {
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  return source('terminal prompt', (request) => {
    if (!input.isTTY || typeof input.setRawMode !== 'function') {
      return Promise.reject(
        new SceauError('PIN_SOURCE_FAILED', 'no terminal to ask for the PIN; give it with --pin-env VAR or --pin-file FILE'),
      )
    }
    const forWhat = request?.purpose === 'signature' ? ' (this key asks for it at every signature)' : ''
    const prompt = options.prompt ?? (request?.token === undefined ? 'PIN: ' : `PIN for token "${request.token}"${forWhat}: `)
    return promptWithoutEcho(input, output, prompt)
  })
}

/**
 * The PIN source an RFC 7512 `pin-source` attribute names. Only `file:` sources are followed.
 *
 * @example
 * ```ts
 * const pin = pinFromUriSource('file:/etc/token_pin')
 * ```
 */
export function pinFromUriSource(pinSource: string): PinSource {
  // `pinSource` is the attribute as parsePkcs11Uri returns it: already percent-decoded once.
  if (pinSource.startsWith('file:')) {
    const path = pinSource.slice('file:'.length).replace(/^\/\/(localhost)?(?=\/)/, '')
    return pinFromFile(path)
  }
  if (pinSource.startsWith('/')) return pinFromFile(pinSource)
  throw new SceauError('URI_INVALID', `pin-source "${pinSource}" is not supported; use pin-source=file:/path/to/pin`, {
    details: { attribute: 'pin-source' },
  })
}

function source(description: string, read: (request?: PinRequest) => Promise<string | undefined>): PinSource {
  return Object.freeze({ description, read, toJSON: () => ({ pinSource: description }) })
}

function promptWithoutEcho(input: NodeJS.ReadStream, output: NodeJS.WriteStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt)
    const wasRaw = input.isRaw
    input.setRawMode(true)
    input.resume()
    let pin = ''
    const finish = (): void => {
      input.setRawMode(wasRaw)
      input.pause()
      input.removeListener('data', onData)
      output.write('\n')
    }
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          finish()
          resolve(pin)
          return
        }
        if (char === '\u0003' || char === '\u0004') {
          finish()
          reject(new SceauError('ABORTED', 'PIN entry cancelled'))
          return
        }
        if (char === '\u007f' || char === '\b') pin = pin.slice(0, -1)
        else pin += char
      }
    }
    input.on('data', onData)
  })
}
