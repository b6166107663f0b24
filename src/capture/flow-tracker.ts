import { decodeTcpSegment, type Endpoint, type TcpSegment } from './packet-decode.ts'
import type { CapturedPacket } from './capture-file.ts'
import { StreamReassembler } from './stream-reassembler.ts'
import { endpointText, MQTT_PORT } from './tcp-flows.ts'

/** A connection as it is being read from a streamed capture. */
export interface LiveFlow {
  /** Order of appearance, from 0. */
  index: number
  id: string
  client: Endpoint
  server: Endpoint
  sawClientSyn: boolean
  /** Capture ms of its first packet. */
  startTsMs: number
}

export interface FlowEvents {
  open(flow: LiveFlow): void
  /** Client bytes readable by the server at `tsMs`; `lostBefore` bytes before them the capture never had. */
  data(flow: LiveFlow, bytes: Buffer, lostBefore: number, tsMs: number): void
  /** The client sent FIN or RST. */
  close(flow: LiveFlow, how: 'fin' | 'rst'): void
}

/**
 * A hole in a client stream is given up on once data has waited beyond it this long in capture
 * time: a real retransmission comes after one retransmission timeout, at least 1 s (RFC 6298
 * §2.4) and 2 s after one backoff (§5.5); a segment the capture dropped never comes.
 */
export const HOLE_GIVE_UP_MS = 3000

interface Tracked {
  flow: LiveFlow
  clientKey: string
  clientSynSeq: number | null
  stream: StreamReassembler | null
  closed: boolean
}

/**
 * The streaming counterpart of reassembleFlows: packets in capture order go in, connection
 * events come out as they happen, and only each open connection's unread bytes are held. A
 * connection opens at the client's SYN or its first data; a client FIN or RST closes it; a new
 * SYN on the 4-tuple of a closed one starts another (`#n` in its id).
 */
export class FlowTracker {
  private readonly open = new Map<string, Tracked>()
  private readonly seenIds = new Map<string, number>()
  private count = 0

  constructor(
    private readonly events: FlowEvents,
    private readonly serverPort = MQTT_PORT,
  ) {}

  get flowCount(): number {
    return this.count
  }

  packet(packet: CapturedPacket): void {
    const segment = decodeTcpSegment(packet)
    if (!segment || (segment.src.port !== this.serverPort && segment.dst.port !== this.serverPort)) return
    const key = [endpointText(segment.src), endpointText(segment.dst)].sort().join('|')
    const opensConnection = segment.syn && !segment.ackFlag
    let tracked = this.open.get(key)
    if (tracked && opensConnection && (tracked.closed || (tracked.clientSynSeq !== null && tracked.clientSynSeq !== segment.seq))) {
      this.open.delete(key)
      tracked = undefined
    }
    const fromClientSide = opensConnection || (segment.dst.port === this.serverPort && !(segment.syn && segment.ackFlag))
    if (!tracked) {
      // Nothing to replay from a server's packet or a bare ACK/FIN of a connection not seen opening.
      if (!fromClientSide || (!opensConnection && segment.payload.length === 0)) return
      tracked = this.start(key, segment, opensConnection)
    }
    if (tracked.closed || endpointText(segment.src) !== tracked.clientKey) return
    if (segment.payload.length > 0) this.deliver(tracked, segment)
    if (segment.fin || segment.rst) {
      tracked.stream?.finish()
      tracked.closed = true
      tracked.stream = null
      this.events.close(tracked.flow, segment.rst ? 'rst' : 'fin')
    }
  }

  /** The capture is over: holes still open are lost; what waited beyond them is delivered. */
  finish(): void {
    for (const tracked of this.open.values()) tracked.stream?.finish()
  }

  /** Flows the capture leaves open, in order of appearance. */
  openFlows(): LiveFlow[] {
    return [...this.open.values()].filter((t) => !t.closed).map((t) => t.flow)
  }

  private start(key: string, segment: TcpSegment, syn: boolean): Tracked {
    const client = segment.src
    const base = `${endpointText(client)}>${endpointText(segment.dst)}`
    const n = (this.seenIds.get(base) ?? 0) + 1
    this.seenIds.set(base, n)
    const flow: LiveFlow = { index: this.count++, id: n === 1 ? base : `${base}#${n}`, client, server: segment.dst, sawClientSyn: syn, startTsMs: segment.tsMs }
    const tracked: Tracked = { flow, clientKey: endpointText(client), clientSynSeq: syn ? segment.seq : null, stream: null, closed: false }
    this.open.set(key, tracked)
    this.events.open(flow)
    return tracked
  }

  private deliver(tracked: Tracked, segment: TcpSegment): void {
    const seq = segment.syn ? (segment.seq + 1) >>> 0 : segment.seq
    // Without the SYN, byte 0 is the first data seen: bytes reordered before it count as retransmitted.
    tracked.stream ??= new StreamReassembler(tracked.clientSynSeq !== null ? (tracked.clientSynSeq + 1) >>> 0 : seq, (d) =>
      this.events.data(tracked.flow, d.bytes, d.lostBefore ?? 0, d.tsMs),
    )
    tracked.stream.push(seq, segment.payload, segment.tsMs)
    for (let oldest = tracked.stream.oldestHeldTsMs; oldest !== null && segment.tsMs - oldest > HOLE_GIVE_UP_MS; oldest = tracked.stream.oldestHeldTsMs) {
      tracked.stream.skipHole()
    }
  }
}
