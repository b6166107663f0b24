import { DISCONNECT, findBoundary, packetTypeAt, syntheticConnect } from './mqtt-resync.ts'

/** What a flow's client stream looked like to the replay: how its session began and ended, and what was lost. */
export interface StreamVerdict {
  /**
   * `connect`: the capture holds the connection from its start (or a resync landed on a CONNECT);
   * `resynchronised`: it began mid-connection, so a synthetic anonymous CONNECT stood in for the
   * unknown identity that had connected before the capture; `unsynchronised`: no packet boundary
   * was ever found, nothing was replayed.
   */
  start: 'connect' | 'resynchronised' | 'unsynchronised'
  /** The client id of the synthetic CONNECT, when there was one. */
  syntheticClientId: string | null
  /** Client bytes dropped while looking for a packet boundary (the head of a cut packet). */
  skippedBytes: number
  /** Holes in the client's sequence numbers the capture never filled, and the bytes they held. */
  gaps: number
  lostBytes: number
  /** Whether the client sent DISCONNECT (§3.14); a flow without one ended by closing or by the capture ending. */
  disconnected: boolean
  /** Framing broke (a Remaining Length over four bytes): the rest went to the broker unframed, as captured. */
  unframed: boolean
}

type Mode = 'aligned' | 'searching' | 'raw'

/**
 * Sits between a flow's reassembled client bytes and the broker connection replaying them. A flow
 * whose start was captured goes through as captured — malformed bytes included, since judging them
 * is the point — only held back until each packet is whole, so that a later hole can be cut at a
 * packet boundary. A flow that begins mid-connection, and the bytes after every hole, are searched
 * for the first verified boundary (mqtt-resync.ts); what precedes it is dropped and counted.
 *
 * Why a synthetic CONNECT rather than a session handed over inside the broker: the bytes after it
 * take the very path a live client's do — the lab profile's authentication, the ACLs, every hook
 * and detector — with no second, pre-authenticated way into the broker that could drift from the
 * first. Its cost is one CONNECT the capture did not contain; it is anonymous with an ordinary
 * keep-alive, and its client id says it was synthesised.
 */
export class ClientStreamResync {
  readonly verdict: StreamVerdict
  private mode: Mode
  private pending: Buffer = Buffer.alloc(0)
  private sessionOpen: boolean

  constructor(options: { midStream: boolean; syntheticClientId: string }) {
    this.mode = options.midStream ? 'searching' : 'aligned'
    this.sessionOpen = !options.midStream
    this.syntheticId = options.syntheticClientId
    this.verdict = {
      start: options.midStream ? 'unsynchronised' : 'connect',
      syntheticClientId: null,
      skippedBytes: 0,
      gaps: 0,
      lostBytes: 0,
      disconnected: false,
      unframed: false,
    }
  }

  private readonly syntheticId: string

  /** Bytes to forward now; `lostBefore` > 0 says the capture lost that many bytes just before these. */
  push(bytes: Buffer, lostBefore = 0): Buffer {
    if (lostBefore > 0) {
      this.verdict.gaps++
      this.verdict.lostBytes += lostBefore
      // The packet cut by the hole can never be whole: drop its head, look for the next boundary.
      this.verdict.skippedBytes += this.pending.length
      this.pending = Buffer.alloc(0)
      this.mode = 'searching'
    }
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes])
    return this.drain(false)
  }

  /** The flow is over: whatever is held goes out (a packet cut short by the end is the broker's to judge). */
  end(): Buffer {
    const out = this.drain(true)
    if (this.mode === 'searching') {
      this.verdict.skippedBytes += this.pending.length
      this.pending = Buffer.alloc(0)
      return out
    }
    const rest = this.pending
    this.pending = Buffer.alloc(0)
    return out.length === 0 ? rest : Buffer.concat([out, rest])
  }

  private drain(ended: boolean): Buffer {
    const out: Buffer[] = []
    if (this.mode === 'searching') {
      const found = findBoundary(this.pending, 0, ended)
      if (found === 'more') return Buffer.alloc(0)
      if (found === null) {
        this.verdict.skippedBytes += this.pending.length
        this.pending = Buffer.alloc(0)
        return Buffer.alloc(0)
      }
      this.verdict.skippedBytes += found
      this.pending = this.pending.subarray(found)
      this.mode = 'aligned'
      if (!this.sessionOpen) {
        this.sessionOpen = true
        if (packetTypeAt(this.pending, 0) === 1) {
          this.verdict.start = 'connect'
        } else {
          this.verdict.start = 'resynchronised'
          this.verdict.syntheticClientId = this.syntheticId
          out.push(syntheticConnect(this.syntheticId))
        }
      }
    }
    if (this.mode === 'raw') {
      out.push(this.pending)
      this.pending = Buffer.alloc(0)
    } else {
      out.push(this.pending.subarray(0, this.wholePackets()))
      this.pending = this.pending.subarray(out[out.length - 1]!.length)
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  /** Bytes of `pending` that form whole packets, framed by Remaining Length alone (§2.2.3), as a broker frames them. */
  private wholePackets(): number {
    const bytes = this.pending
    let at = 0
    while (at < bytes.length) {
      let value = 0
      let headerBytes = 0
      for (let i = 1, multiplier = 1; i <= 4 && headerBytes === 0; i++, multiplier *= 128) {
        const byte = bytes[at + i]
        if (byte === undefined) return at
        value += (byte & 0x7f) * multiplier
        if ((byte & 0x80) === 0) headerBytes = 1 + i
      }
      if (headerBytes === 0) {
        // Unframeable from here: the broker will refuse it, and it must see exactly what was sent.
        this.mode = 'raw'
        this.verdict.unframed = true
        return bytes.length
      }
      if (at + headerBytes + value > bytes.length) return at
      if (packetTypeAt(bytes, at) === DISCONNECT) this.verdict.disconnected = true
      at += headerBytes + value
    }
    return at
  }
}
