import { createWriteStream, mkdirSync } from 'node:fs'
import { readSpool, removeSpool, SpoolWriter } from './dataset-spool.ts'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import type { GroundTruthEntry } from '../attacks/ground-truth.ts'
import type { PipelineMessage } from '../pipeline/message.ts'
import { saveRegistry } from '../registry/load.ts'
import type { Registry } from '../registry/schema.ts'
import { MqttStreamFramer, type MqttFrame } from '../capture/mqtt-frames.ts'
import { type CaptureEvent, clientEndpoint, close, write, writeLabelledCapture } from './dataset-capture.ts'

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

interface Connection {
  id: number
  address: string
  clientId: string
}

/** Spool record kinds (dataset-spool.ts): a connection opening, one MQTT packet, a connection closing. */
const KIND = { open: 0, packet: 1, close: 2 } as const
const KIND_NAMES = ['open', 'packet', 'close'] as const
/** kind u8, from client u8, protocol version u8 (0: not a CONNECT), reserved u8, connection u32, time f64 */
const HEADER_BYTES = 16

/**
 * Records a run as a labelled dataset: one row per MQTT packet in either direction, tapped from the
 * connections themselves (what a network sensor at the broker would capture), and one row per
 * device message that passed the pipeline. Labels come from the attacks' ground truth at the end —
 * a packet is an attack's when it came from one of that attack's addresses or client ids during the
 * attack — and never influence what the detectors saw. Until then every packet and message goes
 * to a spool file in the export folder as it happens (dataset-spool.ts): memory holds the
 * connections and one batch, however long the run.
 */
export class DatasetRecorder {
  private readonly connections: Connection[] = []
  private readonly dir: string
  private readonly now: () => number
  /** Every packet (its bytes and frame) and every connection's opening and closing, in order. */
  private readonly packetSpool: SpoolWriter
  private readonly messageSpool: SpoolWriter

  constructor(options: { dir: string; now: () => number; registry: Registry }) {
    this.dir = options.dir
    this.now = options.now
    mkdirSync(this.dir, { recursive: true })
    // The run's identities beside its packets: `wardlab replay --registry` then lets the devices'
    // flows log in as they did, instead of refusing them. The hashes are of lab-only passwords the
    // capture carries in clear anyway (MQTT CONNECT).
    saveRegistry(join(this.dir, DATASET_REGISTRY), options.registry)
    this.packetSpool = new SpoolWriter(join(this.dir, PACKET_SPOOL))
    this.messageSpool = new SpoolWriter(join(this.dir, MESSAGE_SPOOL))
  }

  /** Watches one connection's bytes both ways, before the broker reads them and as it writes. */
  tap(stream: Duplex): void {
    const connection: Connection = {
      id: this.connections.length + 1,
      address: String((stream as { remoteAddress?: string }).remoteAddress ?? 'unknown'),
      clientId: '',
    }
    this.connections.push(connection)
    this.spoolEvent('open', Math.round(this.now()), connection.id)
    const inbound = new FramedBytes()
    const outbound = new FramedBytes()
    const record = (direction: 'in' | 'out', framed: FramedBytes, chunk: Buffer) => {
      const t = Math.round(this.now())
      for (const { frame, bytes } of framed.push(chunk)) {
        if (frame.type === 'connect' && frame.clientId !== undefined) connection.clientId = frame.clientId
        this.spoolEvent('packet', t, connection.id, { fromClient: direction === 'in', frame, bytes })
      }
    }
    let closed = false
    stream.once('close', () => {
      if (closed) return
      closed = true
      this.spoolEvent('close', Math.round(this.now()), connection.id)
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
    this.messageSpool.append(Buffer.from(JSON.stringify([message.receivedAt, message.source.clientId, message.source.address, line])))
  }

  /**
   * Writes packets.csv, messages.jsonl, packets.pcapng and mqttset.csv with ground-truth labels,
   * streamed from the spools, which it then removes; returns the packets.csv row counts by label.
   */
  async finish(groundTruth: readonly GroundTruthEntry[]): Promise<Record<string, number>> {
    this.packetSpool.close()
    this.messageSpool.close()
    const label = labeller(groundTruth)
    const byLabel: Record<string, number> = {}
    const packets = createWriteStream(join(this.dir, 'packets.csv'))
    await write(packets, `${PACKET_COLUMNS.join(',')}\n`)
    // One pass over the spool: each packet's row in packets.csv as writeLabelledCapture reaches it.
    const events = this.spooledEvents(async (event, frame) => {
      const connection = this.connections[event.connection - 1]!
      const name = label(event.t, connection.address, connection.clientId)
      byLabel[name] = (byLabel[name] ?? 0) + 1
      await write(packets, csvRow(event.t, event.fromClient ? 'in' : 'out', frame, connection, name))
    })
    await writeLabelledCapture(
      events,
      (id) => clientEndpoint(id, this.connections[id - 1]!.address),
      (t, id) => label(t, this.connections[id - 1]!.address, this.connections[id - 1]!.clientId),
      { pcapng: join(this.dir, 'packets.pcapng'), csv: join(this.dir, 'mqttset.csv') },
    )
    const messages = createWriteStream(join(this.dir, 'messages.jsonl'))
    for await (const record of readSpool(join(this.dir, MESSAGE_SPOOL))) {
      const [t, clientId, address, line] = JSON.parse(record.toString('utf8')) as [number, string, string, string]
      await write(messages, `${line.slice(0, -1)},"label":${JSON.stringify(label(t, address, clientId))}}\n`)
    }
    await Promise.all([close(packets), close(messages)])
    removeSpool(join(this.dir, PACKET_SPOOL))
    removeSpool(join(this.dir, MESSAGE_SPOOL))
    return byLabel
  }

  private spoolEvent(kind: keyof typeof KIND, t: number, connection: number, packet?: { fromClient: boolean; frame: MqttFrame; bytes: Buffer }): void {
    const header = Buffer.alloc(HEADER_BYTES)
    header.writeUInt8(KIND[kind], 0)
    header.writeUInt8(packet?.fromClient ? 1 : 0, 1)
    header.writeUInt8(packet?.frame.type === 'connect' ? (packet.frame.protocolVersion ?? 0) : 0, 2)
    header.writeUInt32LE(connection, 4)
    header.writeDoubleLE(t, 8)
    if (!packet) return this.packetSpool.append(header)
    const frame = Buffer.from(JSON.stringify(packet.frame))
    const frameLength = Buffer.alloc(4)
    frameLength.writeUInt32LE(frame.length, 0)
    this.packetSpool.append(Buffer.concat([header, frameLength, frame, packet.bytes]))
  }

  /** The spooled events in order; `onPacket` sees each packet with its frame before it is handed on. */
  private async *spooledEvents(onPacket: (event: CaptureEvent & { kind: 'packet' }, frame: MqttFrame) => Promise<void>): AsyncGenerator<CaptureEvent> {
    for await (const record of readSpool(join(this.dir, PACKET_SPOOL))) {
      const kind = KIND_NAMES[record.readUInt8(0)]!
      const connection = record.readUInt32LE(4)
      const t = record.readDoubleLE(8)
      if (kind !== 'packet') {
        yield { kind, t, connection }
        continue
      }
      const frameLength = record.readUInt32LE(HEADER_BYTES)
      const frame = JSON.parse(record.toString('utf8', HEADER_BYTES + 4, HEADER_BYTES + 4 + frameLength)) as MqttFrame
      const protocolVersion = record.readUInt8(2)
      const event = {
        kind,
        t,
        connection,
        fromClient: record.readUInt8(1) === 1,
        // A copy, so the megabyte the spool reader read it in is not kept alive by the packet.
        bytes: Buffer.from(record.subarray(HEADER_BYTES + 4 + frameLength)),
        ...(protocolVersion ? { protocolVersion } : {}),
      }
      await onPacket(event, frame)
      yield event
    }
  }
}

/** The run's registry, written beside the packets so `wardlab replay --registry` knows the run's identities. */
const DATASET_REGISTRY = 'registry.yaml'
/** The spools, in the export folder until the run's end writes the labelled files from them. */
const PACKET_SPOOL = '.packets.spool'
const MESSAGE_SPOOL = '.messages.spool'

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

function csvRow(t: number, direction: 'in' | 'out', f: MqttFrame, connection: Connection, label: string): string {
  const packet = f.type === 'malformed' || f.type === 'truncated' ? null : f
  const cells = [
    t,
    direction,
    connection.id,
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
