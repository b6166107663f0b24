import { Duplex } from 'node:stream'

/**
 * Two connected in-memory streams, like `stream.duplexPair()`, with one difference that matters to
 * an MQTT broker: reading from one side never makes the other side's next write arrive within
 * that same read. With `duplexPair`, `read()` hands the writer its callback synchronously, so the
 * writer's next chunk is pushed while the reader is still inside its read. Aedes 1.2 parses what a
 * read returns and handles each packet synchronously; its handler reads again, and so re-enters the
 * mqtt-packet parser mid-packet: a burst of a hundred QoS 0 publishes from one client corrupts the
 * stream ("Invalid header flag bits"). Over TCP this cannot happen — new bytes come from the
 * kernel on a later turn — so here the writer is resumed on the next tick, as a socket would be.
 *
 * Destroying either side destroys the other, as a reset connection ends both ends.
 */
export function streamPair(): [Duplex, Duplex] {
  const a = new PairSide()
  const b = new PairSide()
  a.other = b
  b.other = a
  return [a, b]
}

class PairSide extends Duplex {
  other!: PairSide
  /** The write callback held until the other side has room again. */
  private pending: ((error?: Error | null) => void) | null = null

  override _read(): void {
    const resume = this.other.pending
    if (!resume) return
    this.other.pending = null
    process.nextTick(resume)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.other.destroyed) return callback(new Error('the other end of the stream pair is closed'))
    if (this.other.push(chunk)) process.nextTick(callback)
    else this.pending = callback
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.other.push(null)
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.pending
    this.pending = null
    pending?.(error ?? new Error('stream pair destroyed'))
    if (!this.other.destroyed) this.other.destroy()
    callback(error)
  }
}
