// Buffered byte output of the canonicaliser: small writes gather in one reusable buffer that is handed to a
// consumer (a hash's update, or a collector) when full, so memory stays constant whatever the element's size.

const CHUNK = 64 * 1024

/** Receives canonical bytes. `chunk` is only valid during the call: copy it to keep it. */
export type ChunkConsumer = (chunk: Buffer) => void

/** Writes UTF-8 output through a fixed buffer. */
export class ByteSink {
  private readonly buffer = Buffer.allocUnsafe(CHUNK)
  private length = 0

  constructor(private readonly consumer: ChunkConsumer) {}

  /** Writes `source[start, end)` verbatim. */
  writeBytes(source: Buffer, start: number, end: number): void {
    // Attribute values and short texts: a byte loop beats Buffer#copy's per-call overhead.
    if (end - start <= 32 && CHUNK - this.length >= end - start) {
      const buffer = this.buffer
      let at = this.length
      for (let i = start; i < end; i++) buffer[at++] = source[i] as number
      this.length = at
      return
    }
    if (end - start >= CHUNK) {
      // A long run (an attachment's base64) goes to the consumer as it is: one hash update, no copy.
      this.flush()
      this.consumer(source.subarray(start, end))
      return
    }
    let from = start
    while (from < end) {
      if (this.length === CHUNK) this.flush()
      const count = Math.min(end - from, CHUNK - this.length)
      source.copy(this.buffer, this.length, from, from + count)
      this.length += count
      from += count
    }
  }

  /** Writes one byte. */
  writeByte(byte: number): void {
    if (this.length === CHUNK) this.flush()
    this.buffer[this.length++] = byte
  }

  /** Writes a string as UTF-8. */
  writeString(text: string): void {
    // Tags are short and mostly ASCII: copying char codes beats Buffer#write's per-call overhead.
    if (text.length <= 64 && CHUNK - this.length >= text.length) {
      const buffer = this.buffer
      let at = this.length
      let k = 0
      for (; k < text.length; k++) {
        const code = text.charCodeAt(k)
        if (code >= 0x80) break
        buffer[at++] = code
      }
      if (k === text.length) {
        this.length = at
        return
      }
    }
    if (CHUNK - this.length < text.length * 3) {
      this.flush()
      if (text.length * 3 > CHUNK) {
        const bytes = Buffer.from(text, 'utf8')
        this.writeBytes(bytes, 0, bytes.length)
        return
      }
    }
    this.length += this.buffer.write(text, this.length, 'utf8')
  }

  /** Hands the buffered bytes to the consumer. */
  flush(): void {
    if (this.length > 0) this.consumer(this.buffer.subarray(0, this.length))
    this.length = 0
  }
}
