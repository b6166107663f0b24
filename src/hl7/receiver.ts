import net from 'node:net'
import { parseMessage, addSegment, newMessage } from '../clinical/hl7/segments.ts'
import { MllpFrameDecoder, writeFrame } from './frames.ts'

/**
 * A small HL7 receiver a scenario controls, standing in for the integration engine when the run
 * is given none (`wardlab run` without `--hl7`): it answers every message with an ACK and
 * records the MSH-13 sequence numbers, so a run can check for gaps. Its behaviour changes on
 * the timeline (`hl7-receiver`): slow (a delay before each ACK), NAKing (AE with a reason) or
 * silent (no ACK: the link's ACK timeout and retransmission).
 */
export type ReceiverBehaviour = { mode: 'ack' | 'nak' | 'silent'; delayMs: number; reason?: string }

export class Hl7Receiver {
  behaviour: ReceiverBehaviour = { mode: 'ack', delayMs: 0 }
  readonly sequenceNumbers = new Set<number>()
  received = 0
  naks = 0
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()

  /** Listens on a free loopback port; resolves with it. */
  async start(): Promise<number> {
    const server = net.createServer((socket) => this.serve(socket))
    this.server = server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as net.AddressInfo).port
  }

  /** Sequence numbers missing between 1 and the highest received. */
  gaps(): number[] {
    const highest = Math.max(0, ...this.sequenceNumbers)
    return Array.from({ length: highest }, (_, i) => i + 1).filter((n) => !this.sequenceNumbers.has(n))
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const decoder = new MllpFrameDecoder()
    socket.on('data', (chunk: Buffer) => {
      for (const text of decoder.push(chunk)) this.answer(socket, text)
    })
  }

  private answer(socket: net.Socket, text: string): void {
    const message = parseMessage(text)
    const controlId = message.get('MSH.10').toString()
    const trigger = message.get('MSH.9.2').toString()
    const { mode, delayMs, reason } = this.behaviour
    this.received++
    // A NAKed message is not taken: it counts as received only once acknowledged.
    if (mode === 'silent') return
    if (mode === 'nak') this.naks++
    else this.sequenceNumbers.add(Number(message.get('MSH.13').toString()))
    const ack = newMessage({ type: ['ACK', trigger, 'ACK'], controlId: `R${controlId}`.slice(0, 20), at: Date.now(), sendingApplication: ['WARDLAB_RX'] })
    addSegment(ack, 'MSA', { 1: mode === 'nak' ? 'AE' : 'AA', 2: controlId })
    if (mode === 'nak') addSegment(ack, 'ERR', { 3: [207, 'Application internal error', 'HL70357'], 4: 'E', 8: reason ?? 'receiver refuses (scenario)' })
    const send = () => !socket.destroyed && writeFrame(socket, ack.toString())
    if (delayMs > 0) setTimeout(send, delayMs)
    else send()
  }
}
