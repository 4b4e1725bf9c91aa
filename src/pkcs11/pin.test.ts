import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { pinFromEnv, pinFromFile, pinFromPrompt, pinFromUriSource } from './pin.js'

const dir = mkdtempSync(join(tmpdir(), 'sceau-pin-'))

describe('PIN sources', () => {
  it('reads an environment variable at login time, not before', async () => {
    const env: NodeJS.ProcessEnv = {}
    const source = pinFromEnv('SCEAU_PIN', env)
    env.SCEAU_PIN = '4321'
    await expect(source.read()).resolves.toBe('4321')
    expect(source.description).toBe('environment variable SCEAU_PIN')
    expect(JSON.stringify(source)).not.toContain('4321')
  })

  it('names a missing variable without guessing', async () => {
    await expect(pinFromEnv('NOPE', {}).read()).rejects.toMatchObject({
      code: 'PIN_SOURCE_FAILED',
      message: expect.stringContaining('NOPE'),
    })
  })

  it('reads a file and drops the trailing newline', async () => {
    const file = join(dir, 'pin')
    writeFileSync(file, '123456\n')
    await expect(pinFromFile(file).read()).resolves.toBe('123456')
    await expect(pinFromUriSource(`file:${file}`).read()).resolves.toBe('123456')
  })

  it('refuses a file with several lines, without echoing them', async () => {
    const file = join(dir, 'pins')
    writeFileSync(file, '1111\n2222\n')
    const err = await pinFromFile(file)
      .read()
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'PIN_SOURCE_FAILED' })
    expect(JSON.stringify(err) + String((err as Error).message)).not.toMatch(/1111|2222/)
  })

  it('does not read a PIN from piped input', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream
    await expect(pinFromPrompt({ input }).read()).rejects.toMatchObject({
      code: 'PIN_SOURCE_FAILED',
      message: expect.stringContaining('--pin-env'),
    })
  })

  it('reads from a terminal in raw mode, without echo', async () => {
    const stream = new PassThrough()
    const modes: boolean[] = []
    const input = Object.assign(stream, {
      isTTY: true,
      isRaw: false,
      setRawMode: (mode: boolean) => modes.push(mode),
    }) as unknown as NodeJS.ReadStream
    let shown = ''
    const output = { write: (text: string) => (shown += text) } as unknown as NodeJS.WriteStream
    const pending = pinFromPrompt({ input, output }).read({ token: 'Mairie' })
    stream.write('98x\u007f76\r')
    await expect(pending).resolves.toBe('9876')
    expect(shown).toBe('PIN for token "Mairie": \n')
    expect(modes).toEqual([true, false])
  })

  it('refuses pin-source schemes other than file', () => {
    expect(() => pinFromUriSource('https://example.org/pin')).toThrow(expect.objectContaining({ code: 'URI_INVALID' }))
  })
})
