import net from 'node:net'
import tls from 'node:tls'
import type { Message } from 'node-hl7-client'
import { silentLogger, type Logger } from '../util/log.ts'
import { WardlabError } from '../util/errors.ts'
import { HL7_ERROR, readRgvO15, type InfusionOrder } from '../clinical/hl7/pcd03.ts'
import { buildCommitAck, buildRrgO16, readRequestHeader, type OrderOutcome, type RequestHeader, type ResponseStamp } from '../clinical/hl7/pcd03-responses.ts'
import { senderApplication } from '../clinical/hl7/common-segments.ts'
import { parseMessage } from '../clinical/hl7/segments.ts'
import { MllpFrameDecoder, writeFrame } from './frames.ts'

/**
 * `--hl7-listen`: the Infusion Order Consumer side of IHE PCD-03. Accepts RGV^O15 over MLLP (or
 * MLLP over TLS), hands each readable order to `onOrder` (the pump and its drug library decide),
 * and answers on the same connection with the commit ACK (CA) and then RRG^O16 saying accepted
 * (AA) or refused (AE with the reason in ERR-8). Messages on one connection are answered in
 * order, one at a time, as MLLP's original mode expects.
 */

export type OrderDecision = { accepted: true } | { accepted: false; reason: string; code?: string }

export interface OrderListenerOptions {
  port: number
  host?: string
  tls?: { cert: Buffer; key: Buffer }
  onOrder: (order: InfusionOrder) => Promise<OrderDecision>
  log?: Logger
}

export interface OrderListenerStats {
  received: number
  accepted: number
  refused: number
  /** Not an RGV^O15, or not readable as HL7 at all. */
  rejected: number
}

export class OrderListener {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()
  private readonly counts: OrderListenerStats = { received: 0, accepted: 0, refused: 0, rejected: 0 }
  private responses = 0
  private readonly log: Logger

  constructor(private readonly options: OrderListenerOptions) {
    this.log = (options.log ?? silentLogger).child({ hl7Listen: options.port })
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const onConnection = (socket: net.Socket): void => this.serve(socket)
    const server = this.options.tls
      ? tls.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }, onConnection)
      : net.createServer(onConnection)
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new WardlabError(
            error.code === 'EADDRINUSE' ? 'WL_PORT_IN_USE' : 'WL_LISTEN_FAILED',
            `HL7 order listener cannot listen on port ${this.options.port}: ${error.message}`,
            { cause: error },
          ),
        ),
      )
      server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => resolve())
    })
    return (server.address() as net.AddressInfo).port
  }

  stats(): OrderListenerStats {
    return { ...this.counts }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    const server = this.server
    this.server = null
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', (error) => this.log.debug({ error: error.message }, 'HL7 order connection error'))
    const decoder = new MllpFrameDecoder()
    let queue = Promise.resolve()
    socket.on('data', (chunk: Buffer) => {
      let frames: string[]
      try {
        frames = decoder.push(chunk)
      } catch (error) {
        this.log.warn({ error: (error as Error).message }, 'HL7 order connection: bad frame, closing')
        socket.destroy()
        return
      }
      for (const text of frames) queue = queue.then(() => this.answer(socket, text))
    })
  }

  private async answer(socket: net.Socket, text: string): Promise<void> {
    const reply = (message: string): void => {
      if (!socket.destroyed) writeFrame(socket, message)
    }
    let message: Message
    let request: RequestHeader
    try {
      message = parseMessage(text)
      request = readRequestHeader(message)
    } catch (error) {
      this.counts.rejected++
      reply(
        buildCommitAck({ controlId: '', sendingApplication: [], sendingFacility: [] }, this.stamp(), 'CR', {
          reason: `not an HL7 message: ${(error as Error).message}`,
          error: HL7_ERROR.dataTypeError,
        }),
      )
      return
    }
    const reading = readRgvO15(message)
    if (!reading.ok && reading.error === HL7_ERROR.unsupportedMessageType) {
      this.counts.rejected++
      reply(buildCommitAck(request, this.stamp(), 'CR', reading))
      return
    }
    this.counts.received++
    reply(buildCommitAck(request, this.stamp()))
    const outcome = reading.ok ? await this.decide(reading.order) : ({ accepted: false, reason: reading.reason, error: reading.error } as const)
    if (outcome.accepted) this.counts.accepted++
    else this.counts.refused++
    this.log.info(
      { controlId: request.controlId, accepted: outcome.accepted, reason: outcome.accepted ? undefined : outcome.reason },
      'HL7 infusion order answered',
    )
    reply(buildRrgO16(request, this.stamp(), outcome))
  }

  private async decide(order: InfusionOrder): Promise<OrderOutcome> {
    try {
      const decision = await this.options.onOrder(order)
      return decision.accepted ? decision : { accepted: false, reason: decision.reason, error: HL7_ERROR.applicationError, code: decision.code }
    } catch (error) {
      return { accepted: false, reason: `the order could not be processed: ${(error as Error).message}`, error: HL7_ERROR.applicationError }
    }
  }

  private stamp(): ResponseStamp {
    return { controlId: `WO${Date.now().toString(36).slice(-8)}.${++this.responses}`, at: Date.now(), application: senderApplication(undefined) }
  }
}
