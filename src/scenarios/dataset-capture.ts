import { createWriteStream, type WriteStream } from 'node:fs'
import { pcapngHeader, pcapngPacket } from '../capture/pcapng-writer.ts'
import { type SynthFrame, TcpConversation, type TcpEndpoint } from '../capture/tcp-synth.ts'
import { MQTTSET_COLUMNS, mqttsetRow } from './mqttset-row.ts'

/** What the dataset recorder saw on one connection, in the order it happened. */
export type CaptureEvent =
  | { kind: 'open'; t: number; connection: number }
  | { kind: 'packet'; t: number; connection: number; fromClient: boolean; bytes: Buffer; protocolVersion?: number }
  | { kind: 'close'; t: number; connection: number }

/** The broker's side of every synthesised connection: TCP 1883, the MQTT port Wireshark dissects. */
export const BROKER_ENDPOINT: TcpEndpoint = { address: '10.0.0.1', port: 1883 }

/**
 * MQTTset's label vocabulary (its `target` column) where a wardlab class has a counterpart there;
 * other classes keep wardlab's name, so nothing is mislabelled as a neighbour.
 */
const MQTTSET_TARGET: Record<string, string> = {
  benign: 'legitimate',
  'brute-force': 'bruteforce',
  'publish-flood': 'flood',
  'connect-flood': 'dos',
  'slow-dos': 'slowite',
  'malformed-packet': 'malformed',
}

export function mqttsetTarget(label: string): string {
  return MQTTSET_TARGET[label] ?? label
}

/**
 * The client side of connection `id`: the address the attack or device declared when it is IPv4
 * (an attacker's labelled source address stays visible in the capture), otherwise one made up in
 * 10.128.0.0/10 from the id; the port follows the id, so connections from one address differ.
 */
export function clientEndpoint(id: number, address: string): TcpEndpoint {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)?.[1]
  const valid = v4?.split('.').every((part) => Number(part) <= 255) ? v4 : undefined
  const made = `10.${128 + ((id >> 16) & 63)}.${(id >> 8) & 255}.${id & 255}`
  return { address: valid ?? made, port: 1024 + (id % 64_000) }
}

/** Writes, waiting for the stream to drain when its buffer is full. */
export async function write(stream: WriteStream, data: Buffer | string): Promise<void> {
  if (!stream.write(data)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()))
}

export async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * Writes `packets.pcapng` (each packet's label in its comment, pcapng §4.3 opt_comment) and
 * `mqttset.csv` (one row per pcapng packet, same order) from the recorded events. `label` names the
 * ground-truth class of a connection at a time.
 */
export async function writeLabelledCapture(
  events: Iterable<CaptureEvent> | AsyncIterable<CaptureEvent>,
  clients: (connection: number) => TcpEndpoint,
  label: (t: number, connection: number) => string,
  files: { pcapng: string; csv: string },
): Promise<number> {
  const pcap = createWriteStream(files.pcapng)
  const csv = createWriteStream(files.csv)
  await write(pcap, pcapngHeader())
  await write(csv, `${MQTTSET_COLUMNS.join(',')}\n`)
  const conversations = new Map<number, { tcp: TcpConversation; lastT: number | null; version: number }>()
  let count = 0
  for await (const event of events) {
    let state = conversations.get(event.connection)
    if (!state) {
      state = { tcp: new TcpConversation(clients(event.connection), BROKER_ENDPOINT), lastT: null, version: 4 }
      conversations.set(event.connection, state)
    }
    const target = mqttsetTarget(label(event.t, event.connection))
    let frames: SynthFrame[]
    let mqtt: Buffer | null = null
    if (event.kind === 'open') frames = state.tcp.open()
    else if (event.kind === 'close') frames = state.tcp.close()
    else {
      if (event.protocolVersion !== undefined) state.version = event.protocolVersion
      frames = state.tcp.data(event.fromClient, event.bytes)
      mqtt = event.bytes
    }
    for (const [i, frame] of frames.entries()) {
      // tcp.time_delta: seconds since the previous frame of this TCP stream (0 for its first).
      const timeDeltaS = state.lastT === null ? 0 : (event.t - state.lastT) / 1000
      state.lastT = event.t
      // A packet split over several segments is dissected on its last one, as tshark reassembles it.
      const carries = mqtt && i === frames.length - 1 ? mqtt : null
      const cells = mqttsetRow({ flags: frame.flags, timeDeltaS, len: frame.payloadLength }, carries, target, state.version)
      await write(pcap, pcapngPacket(event.t, frame.frame, target))
      await write(csv, `${cells.map(csvCell).join(',')}\n`)
      count++
    }
    // A closed connection's state is done with: memory follows the connections open, not the run's.
    if (event.kind === 'close') conversations.delete(event.connection)
  }
  await Promise.all([close(pcap), close(csv)])
  return count
}
