import { closeSync, createReadStream, openSync, rmSync, writeSync } from 'node:fs'

/**
 * What a run's dataset export holds between a packet's arrival and the run's end, when its label
 * is known: an append-only file of length-prefixed records in the export folder, so memory holds
 * one batch, not the run. A batch is written synchronously when it fills — a tap on the broker's
 * connections cannot wait for the disk, and one write per 64 KiB costs nothing beside the packets.
 */
const BATCH_BYTES = 64 * 1024

export class SpoolWriter {
  private readonly fd: number
  private parts: Buffer[] = []
  private size = 0

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
  }

  append(record: Buffer): void {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(record.length, 0)
    this.parts.push(length, record)
    this.size += 4 + record.length
    if (this.size >= BATCH_BYTES) this.flush()
  }

  close(): void {
    this.flush()
    closeSync(this.fd)
  }

  private flush(): void {
    if (this.size === 0) return
    writeSync(this.fd, Buffer.concat(this.parts, this.size))
    this.parts = []
    this.size = 0
  }
}

/** The records back in order, read a megabyte at a time. */
export async function* readSpool(path: string): AsyncGenerator<Buffer> {
  let held: Buffer = Buffer.alloc(0)
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    held = held.length === 0 ? chunk : Buffer.concat([held, chunk])
    let at = 0
    while (held.length - at >= 4) {
      const length = held.readUInt32LE(at)
      if (held.length - at - 4 < length) break
      yield held.subarray(at + 4, at + 4 + length)
      at += 4 + length
    }
    held = held.subarray(at)
  }
  if (held.length > 0) throw new Error(`${path}: ${held.length} bytes of an unfinished record at the end`)
}

export function removeSpool(path: string): void {
  rmSync(path, { force: true })
}
