import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { until } from '../../src/util/until.ts'

/**
 * Debian's python-hl7 as the other side of wardlab's HL7 links: a receiver that parses and
 * acknowledges (hl7-receiver.py) and an order sender (hl7-order-sender.py). Always
 * /usr/bin/python3, the interpreter Debian's python3-hl7 is installed for.
 */

const HERE = dirname(fileURLToPath(import.meta.url))
const PYTHON = '/usr/bin/python3'

/** A field as python-hl7 read it: repetitions of components, unescaped. */
export type ParsedField = string[][]
export interface ParsedSegment {
  id: string
  fields: Record<string, ParsedField>
}
export interface ReceivedMessage {
  event: 'message'
  seq: number
  controlId: string
  type: string
  ack: string
  segments: ParsedSegment[]
}

export interface ReceiverPlan {
  port?: number
  default?: 'AA' | 'AE' | 'AR' | 'none'
  rules?: { seq: number; ack: 'AA' | 'AE' | 'AR' | 'none'; times?: number; reason?: string }[]
  delayMs?: number
  tls?: { cert: string; key: string }
  report?: 'full' | 'none'
}

export class PythonReceiver {
  readonly messages: ReceivedMessage[] = []
  readonly invalid: unknown[] = []
  port = 0
  private child: ChildProcess | null = null

  static async start(plan: ReceiverPlan = {}): Promise<PythonReceiver> {
    const receiver = new PythonReceiver()
    await receiver.spawn(plan)
    return receiver
  }

  /** Starts (again) with this plan, on the same port as before when there was one. */
  async spawn(plan: ReceiverPlan): Promise<void> {
    const child = spawn(PYTHON, [join(HERE, 'hl7-receiver.py'), JSON.stringify({ ...plan, port: plan.port ?? this.port })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    let listening = false
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; port?: number }
      if (event.event === 'listening') {
        this.port = event.port!
        listening = true
      } else if (event.event === 'message') this.messages.push(event as ReceivedMessage)
      else this.invalid.push(event)
    })
    if (!(await until(() => listening || child.exitCode !== null, 10_000))) throw new Error(`python HL7 receiver did not start: ${stderr}`)
    if (!listening) throw new Error(`python HL7 receiver exited: ${stderr}`)
  }

  /** Stops the process (SIGKILL: a crash, not a goodbye) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  /**
   * Waits until `count` messages have been reported. The report comes through a pipe, the ACK
   * through the socket: a link can see its last ACK before the test reads the last report line.
   */
  async reported(count: number, timeoutMs = 5000): Promise<ReceivedMessage[]> {
    await until(() => this.messages.length >= count, timeoutMs)
    return this.messages
  }

  /** Distinct sequence numbers received (a retransmission arrives twice). */
  sequenceNumbers(): number[] {
    return [...new Set(this.messages.map((m) => m.seq))].sort((a, b) => a - b)
  }
}

export function segments(message: ReceivedMessage, id: string): ParsedSegment[] {
  return message.segments.filter((s) => s.id === id)
}

/** Field `n` of a segment as `a^b^c` text of its first repetition ('' when empty). */
export function fieldText(segment: ParsedSegment | undefined, n: number): string {
  return segment?.fields[String(n)]?.[0]?.join('^') ?? ''
}

export interface OrderReply {
  type: string
  msa: string[]
  err: string[]
}

/** Sends RGV^O15 orders built by python (one connection, one order after the other) and returns both replies of each: [commit ACK, RRG^O16]. */
export async function sendOrders(port: number, orders: Record<string, unknown>[]): Promise<[OrderReply, OrderReply][]> {
  const child = spawn(PYTHON, [join(HERE, 'hl7-order-sender.py'), JSON.stringify({ port, orders })], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`order sender failed (${code}): ${stderr}`)
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as [OrderReply, OrderReply])
}

/** One link's account from the lines `wardlab start` prints on stop (cli/hl7-options.ts `hl7StopReport`). */
export function stopReportAccount(
  stdout: string,
  url: string,
): Record<'generated' | 'acknowledged' | 'deadLettered' | 'pending' | 'retransmitted' | 'naks', number> {
  const line = stdout.split('\n').find((l) => l.startsWith(`hl7 ${url}:`))
  const match = line?.match(/generated (\d+) = acknowledged (\d+) \+ dead-lettered (\d+) \+ pending (\d+); retransmitted (\d+), NAKs (\d+)/)
  if (!match) throw new Error(`no stop report for ${url} in:\n${stdout}`)
  const [generated, acknowledged, deadLettered, pending, retransmitted, naks] = match.slice(1).map(Number) as [number, number, number, number, number, number]
  return { generated, acknowledged, deadLettered, pending, retransmitted, naks }
}
