/** A batch of (device, seq, time) records as typed arrays: cheap to append, to copy over IPC and to join. */
export interface RecordChunk {
  device: Uint32Array
  seq: Uint32Array
  /** Machine-wide monotonic ms (clock.ts). */
  t: Float64Array
}

/**
 * An append-only log of per-message records, handed over in chunks. Generators log send times and
 * the subscriber logs receive times; the coordinator joins the two after the run, when the
 * measurement is over and the join's CPU cannot disturb it. 16 bytes a message.
 */
export class RecordLog {
  private device = new Uint32Array(1024)
  private seq = new Uint32Array(1024)
  private t = new Float64Array(1024)
  private length = 0

  append(device: number, seq: number, t: number): void {
    if (this.length === this.t.length) this.grow()
    this.device[this.length] = device
    this.seq[this.length] = seq
    this.t[this.length] = t
    this.length++
  }

  get size(): number {
    return this.length
  }

  /** Everything logged since the last take, as a chunk of its own; the log starts over. */
  take(): RecordChunk {
    const chunk = { device: this.device.slice(0, this.length), seq: this.seq.slice(0, this.length), t: this.t.slice(0, this.length) }
    this.length = 0
    return chunk
  }

  private grow(): void {
    const size = this.t.length * 2
    const device = new Uint32Array(size)
    const seq = new Uint32Array(size)
    const t = new Float64Array(size)
    device.set(this.device)
    seq.set(this.seq)
    t.set(this.t)
    this.device = device
    this.seq = seq
    this.t = t
  }
}
