import { readFile } from 'node:fs/promises'
import { WardlabError } from '../util/errors.ts'
import { readCaptureFile, type CaptureFile } from './capture-file.ts'
import { decodeTcpSegment, type Endpoint, type TcpSegment } from './packet-decode.ts'
import { lowestSequence, StreamReassembler } from './stream-reassembler.ts'

export type { Endpoint } from './packet-decode.ts'

/** Client bytes that became readable by the server at one moment of the capture. */
export interface ClientChunk {
  /** ms since the flow's first packet. */
  atMs: number
  /** ms since the capture's first packet. */
  captureMs: number
  bytes: Buffer
  /** Client bytes just before these that the capture never had (a hole in the sequence numbers). */
  lostBefore?: number
  /**
   * The replay waits for the server's first answer (a CONNACK) before the next chunk, as the client
   * did: set on a synthetic CONNECT, whose session the capture shows already established.
   */
  awaitsAnswer?: boolean
}

export interface TcpFlow {
  /** `client>server` in address:port form, with `#n` when a later connection reuses the 4-tuple. */
  id: string
  client: Endpoint
  server: Endpoint
  /** ms since the capture's first packet, of the flow's first and last packet. */
  startMs: number
  endMs: number
  clientChunks: ClientChunk[]
  /** Client bytes in order, without retransmissions. */
  clientBytes: number
  serverBytes: number
  /** Client bytes in holes the capture never filled; what came after each hole is in clientChunks, marked `lostBefore`. */
  clientLostBytes: number
  /** Whether the capture holds the client's SYN, so the stream provably starts at its first byte. */
  sawClientSyn: boolean
  /** Who sent the first FIN or RST, and which. */
  closedBy: 'client' | 'server' | 'none'
  closedWith: 'fin' | 'rst' | 'none'
}

export interface FlowOptions {
  /** The broker port whose flows are kept (MQTT 3.1.1 §4.2: IANA 1883 for MQTT over TCP). */
  serverPort?: number
}

export const MQTT_PORT = 1883

type UnnamedFlow = Omit<TcpFlow, 'id'>

interface RawFlow {
  key: string
  segments: TcpSegment[]
  /** The first SYN without ACK: its sender is the client. */
  clientSyn: TcpSegment | null
  /** Set at the first FIN or RST; a SYN after it starts a new connection on the same 4-tuple. */
  closer: TcpSegment | null
}

/** Groups the capture's TCP segments to or from the server port into connections, in start order. */
export function reassembleFlows(capture: Pick<CaptureFile, 'packets'>, options: FlowOptions = {}): TcpFlow[] {
  const serverPort = options.serverPort ?? MQTT_PORT
  let captureStart = Infinity
  for (const packet of capture.packets) captureStart = Math.min(captureStart, packet.tsMs)

  const open = new Map<string, RawFlow>()
  const finished: RawFlow[] = []
  for (const packet of capture.packets) {
    const segment = decodeTcpSegment(packet)
    if (!segment || (segment.src.port !== serverPort && segment.dst.port !== serverPort)) continue
    const key = [endpointText(segment.src), endpointText(segment.dst)].sort().join('|')
    const opensConnection = segment.syn && !segment.ackFlag
    let flow = open.get(key)
    if (flow && opensConnection && (flow.closer || (flow.clientSyn && flow.clientSyn.seq !== segment.seq))) {
      finished.push(flow)
      flow = undefined
    }
    if (!flow) {
      flow = { key, segments: [], clientSyn: null, closer: null }
      open.set(key, flow)
    }
    flow.segments.push(segment)
    if (opensConnection) flow.clientSyn ??= segment
    if (segment.fin || segment.rst) flow.closer ??= segment
  }
  finished.push(...open.values())

  const flows = finished
    .map((raw) => orientedFlow(raw, serverPort, captureStart))
    .filter((flow): flow is UnnamedFlow => flow !== null && flow.server.port === serverPort)
    .sort((a, b) => a.startMs - b.startMs)
  return withUniqueIds(flows)
}

/** Reads a pcap or pcapng file and reassembles its flows to the server port. */
export async function loadCaptureFlows(path: string, options: FlowOptions = {}): Promise<{ capture: CaptureFile; flows: TcpFlow[] }> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (cause) {
    throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read capture ${path}`, { cause })
  }
  const capture = readCaptureFile(bytes)
  return { capture, flows: reassembleFlows(capture, options) }
}

function orientedFlow(raw: RawFlow, serverPort: number, captureStart: number): UnnamedFlow | null {
  const first = raw.segments[0]
  if (!first) return null
  const synAck = raw.segments.find((s) => s.syn && s.ackFlag)
  // The SYN's sender is the client; failing that the SYN-ACK's receiver; failing that the side
  // that is not on the broker port.
  const client = raw.clientSyn?.src ?? synAck?.dst ?? (first.src.port === serverPort ? first.dst : first.src)
  const clientKey = endpointText(client)
  const fromClient = raw.segments.filter((s) => endpointText(s.src) === clientKey)
  const fromServer = raw.segments.filter((s) => endpointText(s.src) !== clientKey)
  const clientStream = reassemble(fromClient)
  const serverStream = reassemble(fromServer)
  const flowStart = first.tsMs
  const closer = raw.closer
  return {
    client,
    server: endpointText(first.src) === clientKey ? first.dst : first.src,
    startMs: flowStart - captureStart,
    endMs: raw.segments[raw.segments.length - 1]!.tsMs - captureStart,
    clientChunks: clientStream.delivered.map(({ tsMs, bytes, lostBefore }) => ({
      atMs: tsMs - flowStart,
      captureMs: tsMs - captureStart,
      bytes,
      ...(lostBefore ? { lostBefore } : {}),
    })),
    clientBytes: clientStream.deliveredLength,
    serverBytes: serverStream.deliveredLength,
    clientLostBytes: clientStream.lostLength,
    sawClientSyn: raw.clientSyn !== null,
    closedBy: closer ? (endpointText(closer.src) === clientKey ? 'client' : 'server') : 'none',
    closedWith: closer ? (closer.rst ? 'rst' : 'fin') : 'none',
  }
}

/** Reassembles one direction; its SYN (if captured) fixes byte 0, as SYN consumes one sequence number. */
function reassemble(segments: TcpSegment[]): StreamReassembler {
  const syn = segments.find((s) => s.syn)
  const withData = segments.filter((s) => s.payload.length > 0)
  const firstSeq = syn ? (syn.seq + 1) >>> 0 : lowestSequence(withData.map((s) => s.seq))
  const stream = new StreamReassembler(firstSeq)
  for (const segment of withData) {
    // Data carried on a SYN (TCP Fast Open, RFC 7413) starts one past the SYN's sequence number.
    stream.push(segment.syn ? (segment.seq + 1) >>> 0 : segment.seq, segment.payload, segment.tsMs)
  }
  stream.finish()
  return stream
}

function withUniqueIds(flows: UnnamedFlow[]): TcpFlow[] {
  const seen = new Map<string, number>()
  return flows.map((flow) => {
    const base = `${endpointText(flow.client)}>${endpointText(flow.server)}`
    const count = (seen.get(base) ?? 0) + 1
    seen.set(base, count)
    return { id: count === 1 ? base : `${base}#${count}`, ...flow }
  })
}

export function endpointText({ address, port }: Endpoint): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
