// Enveloping CAdES (.p7m) as files of any size: the content is streamed between a head and a tail computed from
// its length when writing, and located by walking the DER headers when reading, so that only the signature part
// (certificates, SignerInfos: kilobytes) is ever parsed in memory.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readFile, stat } from 'node:fs/promises'
import { writeAtomically } from '../atomic-write.js'
import { equalBytes } from '../bytes.js'
import { oid, TAG, tlv } from '../cms/der-encode.js'
import { CMS_OIDS } from '../cms/oids.js'
import { MAX_CMS_LENGTH, parseCms } from '../cms/parse.js'
import { joinSignedData, signedDataFrame, type SignedDataParts } from '../cms/signed-data.js'
import { SceauError } from '../errors.js'
import { nodeHashName } from '../signer/algorithms.js'
import { hashFile } from '../signer/hash-file.js'
import type { DigestAlgorithm } from '../types.js'
import { readTlv, type Tlv } from '../x509/der.js'
import { cannotRead } from '../read-file.js'
import type { SignedContent } from '../validation/signed-content.js'

/** Where an enveloped content lies: a byte range of a file, or bytes in memory (a small BER .p7m). */
export type EnvelopedContent = { readonly path: string; readonly start?: number; readonly end?: number } | { readonly bytes: Uint8Array }

/** A .p7m read: its SignedData without the content, and where the content is. */
export interface EnvelopedCms {
  /** DER ContentInfo(SignedData) with the same fields but no eContent: what the CMS checks and edits work on. */
  readonly detached: Uint8Array
  readonly content: EnvelopedContent
  readonly contentLength: number
}

// The headers of ContentInfo → SignedData → encapContentInfo → eContent sit in the first bytes, whatever the
// size of the content; the digest algorithms set is the only variable-length field before them.
const HEAD_BYTES = 64 * 1024

/**
 * Reads an enveloping CMS file. Returns undefined when the SignedData has no content (a detached signature).
 * DER files of any size are read by their headers; BER ones (indefinite lengths, a chunked OCTET STRING) are
 * parsed whole up to {@link MAX_CMS_LENGTH}.
 *
 * @throws SceauError `FILE_NOT_FOUND`, `INPUT_MALFORMED` (not a SignedData), `INPUT_TOO_LARGE` (a BER file past the limit).
 */
export async function readEnvelopedFile(path: string): Promise<EnvelopedCms | undefined> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (cause) {
    throw cannotRead(path, cause)
  }
  try {
    const size = (await handle.stat()).size
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES))
    await handle.read(head, 0, head.length, 0)
    const located = locateContent(head, size)
    if (located === 'detached') return undefined
    if (located === undefined) return readWhole(path, size)
    const restLength = located.signedDataEnd - located.contentEnd
    if (restLength > MAX_CMS_LENGTH)
      throw new SceauError('INPUT_TOO_LARGE', `"${path}": the signature part is over ${MAX_CMS_LENGTH} bytes`)
    const rest = Buffer.alloc(restLength)
    await handle.read(rest, 0, restLength, located.contentEnd)
    const detached = tlv(
      TAG.sequence,
      oid(CMS_OIDS.signedData),
      tlv(TAG.context0, tlv(TAG.sequence, located.beforeEncapsulated, tlv(TAG.sequence, located.contentType), rest)),
    )
    return {
      detached,
      content: { path, start: located.contentStart, end: located.contentEnd },
      contentLength: located.contentEnd - located.contentStart,
    }
  } finally {
    await handle.close()
  }
}

/** The digest of an enveloped content. */
export async function hashEnvelopedContent(content: EnvelopedContent, hash: DigestAlgorithm | 'SHA-1'): Promise<Uint8Array> {
  if ('bytes' in content) return new Uint8Array(createHash(nodeHashName(hash)).update(content.bytes).digest())
  const { path, start, end } = content
  return hashFile(path, hash, start === undefined || end === undefined ? {} : { range: { start, end } })
}

/**
 * The enveloped content as chunks, read from the file each time (1 MiB at a time), for the verifier to hash with
 * whatever algorithms the signers use.
 */
export function envelopedContentSource(content: EnvelopedContent): SignedContent {
  if ('bytes' in content) return () => [content.bytes]
  const { path, start, end } = content
  return () => fileChunks(path, start === undefined || end === undefined ? undefined : { start, end })
}

/** A file's bytes (or a range of them, `end` exclusive) as chunks; `FILE_NOT_FOUND` when it cannot be read. */
export async function* fileChunks(path: string, range?: { readonly start: number; readonly end: number }): AsyncGenerator<Uint8Array> {
  if (range !== undefined && range.end <= range.start) return
  try {
    const stream = createReadStream(path, {
      highWaterMark: 1024 * 1024,
      ...(range === undefined ? {} : { start: range.start, end: range.end - 1 }),
    })
    for await (const chunk of stream) yield chunk as Buffer
  } catch (cause) {
    throw cannotRead(path, cause)
  }
}

/**
 * Writes ContentInfo(SignedData) with `parts` and the content as eContent to `output`, atomically, streaming a
 * file content. Returns nothing; the output is complete or absent.
 */
export async function writeEnveloping(output: string, parts: SignedDataParts, content: EnvelopedContent): Promise<void> {
  if ('bytes' in content) {
    const der = joinSignedData(parts, content.bytes)
    await writeAtomically(output, (write) => write(der))
    return
  }
  const start = content.start ?? 0
  const end = content.end ?? (await sizeOf(content.path))
  const { head, tail } = signedDataFrame(parts, end - start)
  await writeAtomically(output, async (write) => {
    write(head)
    if (end > start) {
      for await (const chunk of createReadStream(content.path, { start, end: end - 1, highWaterMark: 1024 * 1024 })) write(chunk as Buffer)
    }
    write(tail)
  })
}

interface Located {
  /** The version and digestAlgorithms elements. */
  readonly beforeEncapsulated: Uint8Array
  /** The eContentType OBJECT IDENTIFIER element. */
  readonly contentType: Uint8Array
  readonly contentStart: number
  readonly contentEnd: number
  readonly signedDataEnd: number
}

function locateContent(head: Uint8Array, size: number): Located | 'detached' | undefined {
  const fail = (why: string): never => {
    throw new SceauError('INPUT_MALFORMED', `not a CMS SignedData: ${why}`)
  }
  // readTlv with no limit reads a header whose contents lie past the bytes at hand.
  const at = (offset: number, tag: number, what: string): Tlv | undefined => {
    const element = readTlv(head, offset, Number.MAX_SAFE_INTEGER)
    if (element === undefined) return undefined
    if (element.tag !== tag) fail(`${what} has tag 0x${element.tag.toString(16)}`)
    return element
  }
  const contentInfo = at(0, TAG.sequence, 'ContentInfo')
  if (contentInfo === undefined) return undefined
  if (contentInfo.end !== size) return undefined
  const type = at(contentInfo.contentStart, TAG.oid, 'contentType') ?? fail('no content type')
  if (!equalBytes(head.subarray(type.start, type.end), oid(CMS_OIDS.signedData))) fail('the content is not SignedData')
  const explicit = at(type.end, TAG.context0, 'content')
  const signedData = explicit && at(explicit.contentStart, TAG.sequence, 'SignedData')
  const version = signedData && at(signedData.contentStart, TAG.integer, 'version')
  const digestAlgorithms = version && at(version.end, TAG.set, 'digestAlgorithms')
  const encapsulated = digestAlgorithms && at(digestAlgorithms.end, TAG.sequence, 'encapContentInfo')
  const eContentType = encapsulated && at(encapsulated.contentStart, TAG.oid, 'eContentType')
  if (signedData === undefined || version === undefined || digestAlgorithms === undefined || encapsulated === undefined) return undefined
  if (eContentType === undefined) return undefined
  if (eContentType.end > head.length) return undefined
  if (eContentType.end === encapsulated.end) return 'detached'
  const eContent = readTlv(head, eContentType.end, Number.MAX_SAFE_INTEGER)
  const octets = eContent?.tag === TAG.context0 ? readTlv(head, eContent.contentStart, Number.MAX_SAFE_INTEGER) : undefined
  // A chunked (constructed) OCTET STRING or an indefinite length: left to the BER parser.
  if (eContent === undefined || octets?.tag !== TAG.octetString || octets.end !== encapsulated.end || eContent.end !== encapsulated.end) {
    return undefined
  }
  return {
    beforeEncapsulated: head.subarray(version.start, digestAlgorithms.end),
    contentType: head.subarray(eContentType.start, eContentType.end),
    contentStart: octets.contentStart,
    contentEnd: octets.end,
    signedDataEnd: signedData.end,
  }
}

async function readWhole(path: string, size: number): Promise<EnvelopedCms | undefined> {
  if (size > MAX_CMS_LENGTH) {
    throw new SceauError(
      'INPUT_TOO_LARGE',
      `"${path}" is a BER-encoded CMS of ${size} bytes; sceau streams DER ones only past ${MAX_CMS_LENGTH} bytes`,
      {
        details: { file: path, size },
      },
    )
  }
  const cms = parseCms(await readFile(path))
  if (cms.content === undefined) return undefined
  return { detached: joinSignedData(cms.parts), content: { bytes: cms.content }, contentLength: cms.content.length }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (cause) {
    throw cannotRead(path, cause)
  }
}
