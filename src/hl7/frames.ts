import type { Socket } from 'node:net'
import { MLLPCodec } from 'node-hl7-client'

/**
 * MLLP framing (HL7 v2 MLLP release 1: `<VT> message <FS><CR>`, bytes 0x0B, 0x1C 0x0D).
 *
 * Writing uses node-hl7-client's codec. Reading does not: that codec joins every frame that
 * arrives in one read into a single message and trims each segment, which corrupts a stream
 * where two frames share a TCP segment (an ACK and a late ACK, pipelined orders). This decoder
 * splits on the frame bytes only, keeps a partial frame across reads, drops bytes outside a
 * frame (MLLP says a receiver ignores them), and bounds the buffer so a peer that never sends
 * FS CR cannot grow it without limit.
 */

const VT = 0x0b
const END = Buffer.from([0x1c, 0x0d])

const codec = new MLLPCodec('utf-8')

export function writeFrame(socket: Socket, message: string): void {
  codec.sendMessage(socket, message, 'utf-8')
}

/** Bytes a message takes on the wire, frame included (for the queue's byte bound). */
export function frameBytes(message: string): number {
  return Buffer.byteLength(message, 'utf8') + 3
}

export class FrameTooLarge extends Error {}

export class MllpFrameDecoder {
  private buffer: Buffer = Buffer.alloc(0)

  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  /** The complete messages this chunk finishes, in order (segments separated by CR, as sent). */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const messages: string[] = []
    for (;;) {
      const start = this.buffer.indexOf(VT)
      if (start < 0) {
        this.buffer = Buffer.alloc(0)
        break
      }
      const end = this.buffer.indexOf(END, start + 1)
      if (end < 0) {
        this.buffer = this.buffer.subarray(start)
        if (this.buffer.length > this.maxFrameBytes) {
          this.buffer = Buffer.alloc(0)
          throw new FrameTooLarge(`MLLP frame larger than ${this.maxFrameBytes} bytes`)
        }
        break
      }
      messages.push(this.buffer.toString('utf8', start + 1, end))
      this.buffer = this.buffer.subarray(end + END.length)
    }
    return messages
  }
}
