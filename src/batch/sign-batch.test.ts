import 'reflect-metadata'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSceauError, SceauError } from '../errors.js'
import { KeySigner } from '../signer/key-signer.js'
import { createTestPki } from '../testing/pki.js'
import { testSigner } from '../testing/signers.js'
import { verifyXmlFile } from '../xades/verify.js'
import { pesJob } from './jobs.js'
import { signBatch, type BatchItem, type BatchProgress, type BatchResult, type SignBatchOptions } from './sign-batch.js'

const REAL = readFileSync(new URL('../../fixtures/pes/PESALR2_25060187900027_190328_001.xml', import.meta.url))
const UNSIGNED = Buffer.concat([
  REAL.subarray(0, REAL.indexOf('<ds:Signature')),
  REAL.subarray(REAL.indexOf('</ds:Signature>') + '</ds:Signature>'.length),
])

let signer: KeySigner
let dir: string

beforeAll(async () => {
  const pki = await createTestPki()
  signer = testSigner(pki)
  dir = mkdtempSync(join(tmpdir(), 'sceau-batch-'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const items = (count: number, prefix = 'item'): BatchItem[] =>
  Array.from({ length: count }, (_, k) => ({ input: join(dir, `${prefix}-${k}.in`), output: join(dir, `${prefix}-${k}.out`) }))

async function collect(run: AsyncIterable<BatchResult>): Promise<{ results: BatchResult[]; error?: unknown }> {
  const results: BatchResult[] = []
  try {
    for await (const result of run) results.push(result)
    return { results }
  } catch (error) {
    return { results, error }
  }
}

/** A job that takes `ms` and counts how many run at once; `fail` decides an item's error. */
function timedJob(ms: number, fail: (item: BatchItem) => SceauError | undefined = () => undefined) {
  const state = { running: 0, peak: 0, started: [] as string[] }
  const job: SignBatchOptions['job'] = async (item, _signer, signal) => {
    state.started.push(item.input)
    state.running++
    state.peak = Math.max(state.peak, state.running)
    try {
      await sleep(ms, undefined, { signal })
      const error = fail(item)
      if (error) throw error
      return { name: item.input }
    } finally {
      state.running--
    }
  }
  return { job, state }
}

describe('signBatch', () => {
  it('signs every item with at most `concurrency` in flight and reports each with its index', async () => {
    const { job, state } = timedJob(5)
    const { results, error } = await collect(signBatch(items(40), { signer, job, concurrency: 6 }))
    expect(error).toBeUndefined()
    expect(state.peak).toBe(6)
    expect(results.map((result) => result.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, k) => k))
    expect(results.every((result) => result.status === 'signed')).toBe(true)
  })

  it('pulls items from an async source only as slots free up (memory stays bounded)', async () => {
    let pulled = 0
    let maxAhead = 0
    let ended = 0
    async function* source(): AsyncGenerator<BatchItem> {
      for (const item of items(30, 'lazy')) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - ended)
        yield item
      }
    }
    const { job } = timedJob(2)
    for await (const result of signBatch(source(), { signer, job, concurrency: 4 })) {
      expect(result.status).toBe('signed')
      ended++
    }
    expect(ended).toBe(30)
    expect(maxAhead).toBeLessThanOrEqual(5)
  })

  it('reports a bad item and goes on with the others', async () => {
    const { job } = timedJob(1, (item) => (item.input.endsWith('-3.in') ? new SceauError('INPUT_MALFORMED', 'not a PES flow') : undefined))
    const { results, error } = await collect(signBatch(items(10), { signer, job, concurrency: 3 }))
    expect(error).toBeUndefined()
    expect(results.filter((result) => result.status === 'signed')).toHaveLength(9)
    expect(results.find((result) => result.status === 'failed')).toMatchObject({ index: 3, error: { code: 'INPUT_MALFORMED' } })
  })

  it('stops on a token fault: no item starts after it, those in flight end, then it throws with the counts', async () => {
    const { job, state } = timedJob(5, (item) =>
      item.input.endsWith('-7.in') ? new SceauError('TOKEN_NOT_PRESENT', 'the token was removed') : undefined,
    )
    const { results, error } = await collect(signBatch(items(100), { signer, job, concurrency: 4 }))
    expect(isSceauError(error) && error.code).toBe('TOKEN_NOT_PRESENT')
    const details = isSceauError(error) ? error.details : {}
    expect(state.started.length).toBeLessThan(16)
    expect(results).toHaveLength(state.started.length)
    expect(details).toMatchObject({ notStarted: 100 - state.started.length, failed: results.filter((r) => r.status === 'failed').length })
    // Items caught in flight are reported as failed or signed, never lost.
    expect((details.signed as number) + (details.failed as number)).toBe(results.length)
  })

  it('never retries a PIN error, retries a momentary lack of sessions', async () => {
    let pinCalls = 0
    const pin = await collect(
      signBatch(items(1, 'pin'), {
        signer,
        job: async () => {
          pinCalls++
          throw new SceauError('PIN_INCORRECT', 'wrong PIN')
        },
      }),
    )
    expect(pinCalls).toBe(1)
    expect(isSceauError(pin.error) && pin.error.code).toBe('PIN_INCORRECT')
    let calls = 0
    const exhausted = await collect(
      signBatch(items(1, 'sessions'), {
        signer,
        job: async () => {
          if (++calls < 3) throw new SceauError('SESSION_EXHAUSTED', 'no session free')
          return undefined
        },
      }),
    )
    expect(exhausted.results[0]?.status).toBe('signed')
    expect(calls).toBe(3)
  })

  it('skips items whose output exists (a re-run resumes)', async () => {
    const list = items(5, 'resume')
    writeFileSync(list[1]?.output as string, 'done before')
    writeFileSync(list[4]?.output as string, 'done before')
    const { job, state } = timedJob(1)
    const { results } = await collect(signBatch(list, { signer, job, skipExisting: true }))
    expect(
      results
        .filter((result) => result.status === 'skipped')
        .map((result) => result.index)
        .sort(),
    ).toEqual([1, 4])
    expect(state.started).toHaveLength(3)
  })

  it('a consumer that stops early stops the items in flight and starts no more', async () => {
    const { job, state } = timedJob(20)
    for await (const result of signBatch(items(50, 'early'), { signer, job, concurrency: 5 })) {
      expect(result).toBeDefined()
      break
    }
    expect(state.running).toBe(0)
    expect(state.started.length).toBeLessThanOrEqual(6)
  })

  it('cancels through its signal and says so', async () => {
    const controller = new AbortController()
    const { job } = timedJob(10)
    setTimeout(() => controller.abort(), 25)
    const { results, error } = await collect(signBatch(items(100, 'cancel'), { signer, job, concurrency: 2, signal: controller.signal }))
    expect(isSceauError(error) && error.code).toBe('ABORTED')
    expect(results.length).toBeLessThan(100)
  })

  it('reports progress with the rate and, for a known total, the time left', async () => {
    const seen: BatchProgress[] = []
    const { job } = timedJob(2)
    await collect(signBatch(items(12, 'progress'), { signer, job, concurrency: 3, onProgress: (progress) => seen.push(progress) }))
    expect(seen.map((progress) => progress.done)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1))
    expect(seen.at(-1)).toMatchObject({ done: 12, signed: 12, total: 12, etaSeconds: 0 })
    expect(seen[5]?.ratePerSecond).toBeGreaterThan(0)
  })
})

describe('pesJob in a batch', () => {
  it('signs real PES flows concurrently; a broken one fails alone; every output verifies; nothing half-written', async () => {
    const inputs = join(dir, 'pes-in')
    const outputs = join(dir, 'pes-out')
    rmSync(inputs, { recursive: true, force: true })
    mkdirSync(inputs)
    mkdirSync(outputs)
    const list: BatchItem[] = []
    for (let k = 0; k < 12; k++) {
      const input = join(inputs, `flux-${k}.xml`)
      writeFileSync(input, k === 5 ? UNSIGNED.subarray(0, 2000) : UNSIGNED)
      list.push({ input, output: join(outputs, `flux-${k}.xml`) })
    }
    const { results, error } = await collect(signBatch(list, { signer, job: pesJob(), concurrency: 4 }))
    expect(error).toBeUndefined()
    const failed = results.filter((result) => result.status === 'failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ index: 5, error: { code: 'INPUT_MALFORMED' } })
    expect(existsSync(join(outputs, 'flux-5.xml'))).toBe(false)
    expect(readdirSync(outputs).filter((name) => name.endsWith('.tmp'))).toEqual([])
    for (const result of results.filter((each) => each.status === 'signed')) {
      const report = await verifyXmlFile(result.item.output, { revocation: { waive: true } })
      expect(report.signatures[0]?.checks.filter((check) => check.id.startsWith('xmldsig') && check.status !== 'pass')).toEqual([])
    }
  })
})

describe('signBatch on worker threads', () => {
  it('runs pesJob on 2 worker threads with the main thread signing: same outputs, valid signatures', async () => {
    const inputs = join(dir, 'workers-in')
    const outputs = join(dir, 'workers-out')
    mkdirSync(inputs)
    mkdirSync(outputs)
    const list: BatchItem[] = Array.from({ length: 20 }, (_, k) => {
      const input = join(inputs, `flux-${k}.xml`)
      writeFileSync(input, k === 7 ? UNSIGNED.subarray(0, 1500) : UNSIGNED)
      return { input, output: join(outputs, `flux-${k}.xml`) }
    })
    const { results, error } = await collect(signBatch(list, { signer, job: pesJob({ placement: 'whole' }), workers: 2 }))
    expect(error).toBeUndefined()
    expect(results.filter((result) => result.status === 'signed')).toHaveLength(19)
    expect(results.find((result) => result.status === 'failed')).toMatchObject({ index: 7, error: { code: 'INPUT_MALFORMED' } })
    const signed = results.find((result) => result.status === 'signed')
    expect(signed?.status === 'signed' && signed.info).toMatchObject({ signatures: [expect.objectContaining({ element: 'PES_Aller' })] })
    for (const result of results.filter((each) => each.status === 'signed').slice(0, 3)) {
      const report = await verifyXmlFile(result.item.output, { revocation: { waive: true } })
      expect(report.signatures[0]?.checks.filter((check) => check.id.startsWith('xmldsig') && check.status !== 'pass')).toEqual([])
    }
  }, 60_000)

  it('refuses a caller-written job on workers (a closure cannot move to another thread)', async () => {
    const { error } = await collect(signBatch(items(1, 'closure'), { signer, job: async () => undefined, workers: 1 }))
    expect(isSceauError(error) && error.code).toBe('USAGE')
  })
})
