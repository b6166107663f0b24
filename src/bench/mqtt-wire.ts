import { connect as netConnect, type Socket } from 'node:net'
import { generate, parser as packetParser, type Packet } from 'mqtt-packet'
import type { ProtocolLevel } from '../simulation/mqtt-version.ts'

export type Qos = 0 | 1

export interface WireOptions {
  host: string
  port: number
  clientId: string
  username?: string
  password?: string
  keepaliveS: number
  connectTimeoutMs: number
  /** 4 (MQTT 3.1.1, the default) or 5. */
  protocolVersion?: ProtocolLevel
}

/** One PUBLISH to encode: topic bytes prepared once per topic, payload text per message. */
export interface OutgoingPublish {
  topic: Buffer
  payload: string
  qos: Qos
  /** Packet identifier for QoS 1 (1 … 65535). */
  messageId: number
}

/**
 * A bare MQTT 3.1.1 or 5 connection for the bench: CONNECT, SUBSCRIBE and DISCONNECT through
 * mqtt-packet, PUBLISH written by hand and in batches. A load generator that spends its CPU in a
 * client library measures the library; this one writes each tick's messages for a connection in
 * one buffer and one syscall, keeps no per-message objects, and leaves QoS 1 bookkeeping to the
 * caller (an in-flight window). Incoming packets go through mqtt-packet's parser, as in Aedes.
 */
export class WireConnection {
  readonly socket: Socket
  onPublish: ((topic: string, payload: Buffer, qos: number, messageId: number | undefined) => void) | null = null
  onPuback: ((messageId: number) => void) | null = null
  onClose: (() => void) | null = null
  /** Set when the peer or the network closed the connection. */
  closed = false
  lastWriteMs = 0
  readonly protocolVersion: ProtocolLevel
  private readonly parser: ReturnType<typeof packetParser>
  private waiting: ((packet: Packet) => boolean) | null = null
  private pendingAcks: number[] = []

  private constructor(socket: Socket, protocolVersion: ProtocolLevel) {
    this.socket = socket
    this.protocolVersion = protocolVersion
    this.parser = packetParser({ protocolVersion })
    socket.setNoDelay(true)
    this.parser.on('packet', (packet: Packet) => this.dispatch(packet))
    this.parser.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      this.parser.parse(chunk)
      if (this.pendingAcks.length > 0) this.flushAcks()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.closed = true
      this.onClose?.()
    })
  }

  /** Connects and waits for a CONNACK that accepts the connection. */
  static open(options: WireOptions): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: options.host, port: options.port })
      const protocolVersion = options.protocolVersion ?? 4
      const connection = new WireConnection(socket, protocolVersion)
      let settled = false
      const settle = (err: Error | null) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        connection.onClose = null
        if (!err) return resolve(connection)
        socket.destroy()
        reject(err)
      }
      const timer = setTimeout(
        () => settle(new Error(`no CONNACK from ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      )
      socket.once('error', (err) => settle(err))
      connection.onClose = () => settle(new Error(`connection to ${options.host}:${options.port} closed before CONNACK`))
      connection.waiting = (packet) => {
        if (packet.cmd !== 'connack') return false
        // 3.1.1 calls it a return code, MQTT 5 a reason code; 0 accepts in both.
        const code = packet.reasonCode ?? packet.returnCode
        settle(code === 0 ? null : new Error(`CONNACK ${protocolVersion === 5 ? 'reason' : 'return'} code ${code} for ${options.clientId}`))
        return true
      }
      socket.once('connect', () =>
        socket.write(
          generate(
            {
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion,
              clean: true,
              clientId: options.clientId,
              keepalive: options.keepaliveS,
              ...(options.username !== undefined ? { username: options.username } : {}),
              ...(options.password !== undefined ? { password: Buffer.from(options.password) } : {}),
            },
            { protocolVersion },
          ),
        ),
      )
    })
  }

  /** Subscribes and resolves with the granted QoS per filter (0x80 and above = refused: 128 in 3.1.1, a reason code such as 0x87 in MQTT 5). */
  subscribe(filters: string[], qos: Qos): Promise<number[]> {
    return new Promise((resolve) => {
      this.waiting = (packet) => {
        if (packet.cmd !== 'suback') return false
        resolve(packet.granted as number[])
        return true
      }
      this.socket.write(
        generate({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos })) }, { protocolVersion: this.protocolVersion }),
      )
    })
  }

  /** Writes every publish in one buffer; returns false when the socket asks the writer to wait for `drain`. */
  writePublishes(messages: readonly OutgoingPublish[], nowMs: number): boolean {
    // MQTT 5 §3.3.2.3: the variable header ends with its properties; none here, so a length of 0.
    const propertyBytes = this.protocolVersion === 5 ? 1 : 0
    let total = 0
    const sizes = new Array<number>(messages.length)
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!
      const payloadBytes = Buffer.byteLength(m.payload)
      const remaining = 2 + m.topic.length + (m.qos > 0 ? 2 : 0) + propertyBytes + payloadBytes
      sizes[i] = payloadBytes
      total += 1 + varintBytes(remaining) + remaining
    }
    const buf = Buffer.allocUnsafe(total)
    let o = 0
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!
      const payloadBytes = sizes[i]!
      // Fixed header (MQTT 3.1.1 §3.3.1, the same in 5): type 3, DUP 0, QoS, RETAIN 0; then the remaining length.
      buf[o++] = 0x30 | (m.qos << 1)
      let remaining = 2 + m.topic.length + (m.qos > 0 ? 2 : 0) + propertyBytes + payloadBytes
      do {
        let byte = remaining & 0x7f
        remaining >>>= 7
        if (remaining > 0) byte |= 0x80
        buf[o++] = byte
      } while (remaining > 0)
      buf.writeUInt16BE(m.topic.length, o)
      o += 2
      o += m.topic.copy(buf, o)
      if (m.qos > 0) {
        buf.writeUInt16BE(m.messageId, o)
        o += 2
      }
      if (propertyBytes > 0) buf[o++] = 0
      o += buf.write(m.payload, o, payloadBytes)
    }
    this.lastWriteMs = nowMs
    return this.socket.write(buf)
  }

  ping(nowMs: number): void {
    this.lastWriteMs = nowMs
    this.socket.write(PINGREQ)
  }

  /** DISCONNECT, then wait for the socket to close (the broker closes it, §3.14.4). */
  end(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy()
        resolve()
      }, timeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.socket.end(DISCONNECT)
    })
  }

  private dispatch(packet: Packet): void {
    if (this.waiting?.(packet)) {
      this.waiting = null
      return
    }
    if (packet.cmd === 'publish') {
      this.onPublish?.(packet.topic, packet.payload as Buffer, packet.qos, packet.messageId)
      if (packet.qos === 1) this.pendingAcks.push(packet.messageId!)
    } else if (packet.cmd === 'puback') {
      this.onPuback?.(packet.messageId!)
    }
  }

  /**
   * One write for every PUBACK a chunk of incoming QoS 1 publishes needs. The same four bytes serve
   * MQTT 5: a PUBACK without a reason code means success (§3.4.2.1).
   */
  private flushAcks(): void {
    const acks = Buffer.allocUnsafe(this.pendingAcks.length * 4)
    let o = 0
    for (const id of this.pendingAcks) {
      acks[o++] = 0x40
      acks[o++] = 0x02
      acks.writeUInt16BE(id, o)
      o += 2
    }
    this.pendingAcks = []
    this.socket.write(acks)
  }
}

const PINGREQ = Buffer.from([0xc0, 0x00])
const DISCONNECT = Buffer.from([0xe0, 0x00])

function varintBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4
}
