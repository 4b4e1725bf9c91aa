/**
 * The HTTP calls revocation checking makes: POST a DER body (OCSP) or GET a file (CRL), and read a bounded answer.
 *
 * @packageDocumentation
 */

import * as http from 'node:http'
import * as https from 'node:https'
import { SceauError } from '../errors.js'

/** Options of {@link postDer}. */
export interface PostDerOptions {
  /** Content-Type of the body, e.g. `application/ocsp-request`. */
  readonly contentType: string
  /** Milliseconds for the whole exchange. Default 10 000. */
  readonly timeoutMs?: number
  /** Largest answer accepted, in bytes. Default 1 MiB. */
  readonly maxBytes?: number
}

/**
 * POSTs `body` to an http(s) URL and returns the answer's bytes.
 *
 * @throws SceauError `ABORTED` on timeout or a network failure, `INPUT_TOO_LARGE` when the answer exceeds
 * `maxBytes` (the connection is cut as soon as it does), `INPUT_MALFORMED` for a URL that is not http(s) or an
 * HTTP status other than 200.
 *
 * @example
 * ```ts
 * const der = await postDer('http://ocsp.example.fr', request, { contentType: 'application/ocsp-request', timeoutMs: 5000 })
 * ```
 */
export function postDer(url: string, body: Uint8Array, options: PostDerOptions): Promise<Uint8Array> {
  return exchange(url, body, options)
}

/**
 * GETs an http(s) URL (a CRL distribution point) and returns the answer's bytes, with the same time and size
 * bounds and errors as {@link postDer}.
 *
 * @example
 * ```ts
 * const crl = await getBytes('http://crl.example.fr/ac.crl', { timeoutMs: 10_000, maxBytes: 50 * 1024 * 1024 })
 * ```
 */
export function getBytes(url: string, options: Omit<PostDerOptions, 'contentType'> = {}): Promise<Uint8Array> {
  return exchange(url, undefined, options)
}

function exchange(url: string, body: Uint8Array | undefined, options: Partial<PostDerOptions>): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxBytes = options.maxBytes ?? 1024 * 1024
  let target: URL
  try {
    target = new URL(url)
  } catch (err) {
    return Promise.reject(new SceauError('INPUT_MALFORMED', `not a URL: ${url}`, { cause: err }))
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(
      new SceauError('INPUT_MALFORMED', `only http and https URLs are fetched, not ${target.protocol}`, { details: { url } }),
    )
  }
  const client = target.protocol === 'https:' ? https : http
  return new Promise<Uint8Array>((resolve, reject) => {
    let settled = false
    const finish = (error: SceauError | undefined, value?: Uint8Array): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error !== undefined) {
        request.destroy()
        reject(error)
      } else resolve(value ?? new Uint8Array())
    }
    // One timer for the whole exchange: a socket timeout alone resets on every byte, so a responder that trickles
    // its answer could hold a verification for ever.
    const timer = setTimeout(
      () => finish(new SceauError('ABORTED', `no answer from ${url} within ${timeoutMs} ms`, { details: { url } })),
      timeoutMs,
    )
    const request = client.request(
      target,
      body === undefined
        ? { method: 'GET', headers: { Accept: '*/*' } }
        : {
            method: 'POST',
            headers: { 'Content-Type': options.contentType ?? 'application/octet-stream', 'Content-Length': body.length, Accept: '*/*' },
          },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume()
          finish(
            new SceauError('INPUT_MALFORMED', `HTTP ${response.statusCode ?? '?'} from ${url}`, {
              details: { url, status: response.statusCode ?? null },
            }),
          )
          return
        }
        const declared = Number(response.headers['content-length'] ?? 0)
        if (declared > maxBytes) {
          finish(tooLarge(url, declared, maxBytes))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBytes) finish(tooLarge(url, size, maxBytes))
          else chunks.push(chunk)
        })
        response.on('end', () => finish(undefined, new Uint8Array(Buffer.concat(chunks))))
        response.on('error', (err) =>
          finish(new SceauError('ABORTED', `reading the answer of ${url} failed: ${err.message}`, { cause: err })),
        )
      },
    )
    request.on('error', (err) =>
      finish(new SceauError('ABORTED', `request to ${url} failed: ${err.message}`, { cause: err, details: { url } })),
    )
    request.end(body === undefined ? undefined : Buffer.from(body))
  })
}

function tooLarge(url: string, size: number, maxBytes: number): SceauError {
  return new SceauError('INPUT_TOO_LARGE', `the answer of ${url} exceeds ${maxBytes} bytes`, { details: { url, size } })
}
