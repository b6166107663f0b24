import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import type { GroundTruthEntry } from '../attacks/ground-truth.ts'
import type { PipelineMessage } from '../pipeline/message.ts'
import { MqttStreamFramer, type MqttFrame } from '../capture/mqtt-frames.ts'
import { type CaptureEvent, clientEndpoint, writeLabelledCapture } from './dataset-capture.ts'

/** Columns of packets.csv: the per-packet features MQTT intrusion datasets (MQTTset, CICIoMT2024) use, plus the label. */
const PACKET_COLUMNS = [
  'time_ms',
  'direction',
  'connection',
  'address',
  'client_id',
  'msg_type',
  'dup',
  'qos',
  'retain',
  'length',
  'message_id',
  'topic',
  'payload_length',
  'keep_alive',
  'clean_session',
  'username_flag',
  'password_flag',
  'will_flag',
  'protocol_level',
  'label',
] as const

interface PacketRow {
  t: number
  direction: 'in' | 'out'
  connection: number
  address: string
  frame: MqttFrame
}

interface Connection {
  id: number
  address: string
  clientId: string
}

/**
 * Records a run as a labelled dataset: one row per MQTT packet in either direction, tapped from the
 * connections themselves (what a network sensor at the broker would capture), and one row per
 * device message that passed the pipeline. Labels come from the attacks' ground truth at the end —
 * a packet is an attack's when it came from one of that attack's addresses or client ids during the
 * attack — and never influence what the detectors saw.
 */
export class DatasetRecorder {
  private readonly rows: PacketRow[] = []
  private readonly connections: Connection[] = []
  /** Every packet's bytes and every connection's opening and closing, for packets.pcapng. */
  private readonly events: CaptureEvent[] = []
  private readonly messages: WriteStream
  private readonly dir: string
  private readonly now: () => number
  private messageRows: { t: number; clientId: string; address: string; line: string }[] = []

  constructor(options: { dir: string; now: () => number }) {
    this.dir = options.dir
    this.now = options.now
    mkdirSync(this.dir, { recursive: true })
    this.messages = createWriteStream(join(this.dir, 'messages.jsonl'))
  }

  /** Watches one connection's bytes both ways, before the broker reads them and as it writes. */
  tap(stream: Duplex): void {
    const connection: Connection = {
      id: this.connections.length + 1,
      address: String((stream as { remoteAddress?: string }).remoteAddress ?? 'unknown'),
      clientId: '',
    }
    this.connections.push(connection)
    this.events.push({ kind: 'open', t: Math.round(this.now()), connection: connection.id })
    const inbound = new FramedBytes()
    const outbound = new FramedBytes()
    const record = (direction: 'in' | 'out', framed: FramedBytes, chunk: Buffer) => {
      const t = Math.round(this.now())
      for (const { frame, bytes } of framed.push(chunk)) {
        if (frame.type === 'connect' && frame.clientId !== undefined) connection.clientId = frame.clientId
        this.rows.push({ t, direction, connection: connection.id, address: connection.address, frame })
        const protocolVersion = frame.type === 'connect' ? frame.protocolVersion : undefined
        this.events.push({
          kind: 'packet',
          t,
          connection: connection.id,
          fromClient: direction === 'in',
          bytes,
          ...(protocolVersion ? { protocolVersion } : {}),
        })
      }
    }
    let closed = false
    stream.once('close', () => {
      if (closed) return
      closed = true
      this.events.push({ kind: 'close', t: Math.round(this.now()), connection: connection.id })
    })
    // With Aedes reading through 'readable', a 'data' listener sees each chunk it reads, and only those.
    stream.on('data', (chunk: Buffer) => record('in', inbound, chunk))
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    // mqtt-packet writes some fields (topics) as strings with an encoding: capture those too.
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8')
          : null
      if (bytes) record('out', outbound, bytes)
      return write(chunk, ...rest)
    }) as Duplex['write']
  }

  /** A device message that passed the pipeline, kept for the message-level part of the dataset. */
  message(message: PipelineMessage): void {
    const envelope = message.envelope
    if (!envelope || !message.device) return
    const line = JSON.stringify({
      receivedAt: message.receivedAt,
      topic: message.topic,
      channel: message.device.channel,
      ...envelope,
      context: message.context,
    })
    this.messageRows.push({ t: message.receivedAt, clientId: message.source.clientId, address: message.source.address, line })
  }

  /**
   * Writes packets.csv, messages.jsonl, packets.pcapng and mqttset.csv with ground-truth labels;
   * returns the packets.csv row counts by label.
   */
  async finish(groundTruth: readonly GroundTruthEntry[]): Promise<Record<string, number>> {
    const label = labeller(groundTruth)
    const byLabel: Record<string, number> = {}
    const packets = createWriteStream(join(this.dir, 'packets.csv'))
    packets.write(`${PACKET_COLUMNS.join(',')}\n`)
    for (const row of this.rows) {
      const connection = this.connections[row.connection - 1]!
      const name = label(row.t, connection.address, connection.clientId)
      byLabel[name] = (byLabel[name] ?? 0) + 1
      if (!packets.write(csvRow(row, connection, name))) await new Promise<void>((resolve) => packets.once('drain', () => resolve()))
    }
    for (const row of this.messageRows) {
      const line = `${row.line.slice(0, -1)},"label":${JSON.stringify(label(row.t, row.address, row.clientId))}}\n`
      if (!this.messages.write(line)) await new Promise<void>((resolve) => this.messages.once('drain', () => resolve()))
    }
    await writeLabelledCapture(
      this.events,
      (id) => clientEndpoint(id, this.connections[id - 1]!.address),
      (t, id) => label(t, this.connections[id - 1]!.address, this.connections[id - 1]!.clientId),
      { pcapng: join(this.dir, 'packets.pcapng'), csv: join(this.dir, 'mqttset.csv') },
    )
    await Promise.all(
      [packets, this.messages].map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))),
    )
    return byLabel
  }
}

/** Frames a byte stream and hands back each frame with a copy of its bytes (the chunks are not kept). */
class FramedBytes {
  private readonly framer = new MqttStreamFramer()
  private held: Buffer = Buffer.alloc(0)
  /** Stream offset of `held`. */
  private base = 0

  push(chunk: Buffer): { frame: MqttFrame; bytes: Buffer }[] {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk])
    const out = this.framer
      .push(chunk)
      .map((frame) => ({ frame, bytes: Buffer.from(this.held.subarray(frame.offset - this.base, frame.offset - this.base + frame.length)) }))
    const last = out.at(-1)?.frame
    if (last) {
      const end = last.offset + last.length - this.base
      this.held = this.held.subarray(end)
      this.base += end
    }
    return out
  }
}

/** Attack traffic keeps its label for a few seconds after the attack ends: its last packets are still in flight. */
const TRAILING_MS = 5000

function labeller(groundTruth: readonly GroundTruthEntry[]): (t: number, address: string, clientId: string) => string {
  return (t, address, clientId) => {
    for (const entry of groundTruth) {
      if (t < entry.startMs || t > entry.endMs + TRAILING_MS) continue
      if (entry.addresses.includes(address) || (clientId !== '' && entry.clientIds.includes(clientId) && !address.startsWith('sim:'))) return entry.type
    }
    return 'benign'
  }
}

function csvRow(row: PacketRow, connection: Connection, label: string): string {
  const f = row.frame
  const packet = f.type === 'malformed' || f.type === 'truncated' ? null : f
  const cells = [
    row.t,
    row.direction,
    row.connection,
    connection.address,
    connection.clientId,
    f.type,
    packet ? Number(packet.dup) : '',
    packet ? packet.qos : '',
    packet ? Number(packet.retain) : '',
    f.length,
    packet?.messageId ?? '',
    packet?.topic ?? '',
    packet?.payloadLength ?? '',
    packet?.keepalive ?? '',
    packet?.cleanSession === undefined ? '' : Number(packet.cleanSession),
    packet?.usernameFlag === undefined ? '' : Number(packet.usernameFlag),
    packet?.passwordFlag === undefined ? '' : Number(packet.passwordFlag),
    packet?.willFlag === undefined ? '' : Number(packet.willFlag),
    packet?.protocolVersion ?? '',
    label,
  ]
  return `${cells.map(csvCell).join(',')}\n`
}

function csvCell(value: string | number): string {
  const text = String(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
