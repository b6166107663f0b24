import type { Socket } from 'node:net'
import { z } from 'zod'
import { ENGINES, type EngineName } from './generator-plan.ts'
import { MIN_SYNTHETIC_BYTES } from './payloads.ts'
import type { ConnectionShare } from './fleet-share.ts'
import type { RunResult } from './result.ts'
import type { LoadOptions } from './load-options.ts'
import { MQTT_VERSIONS, type MqttVersion } from '../simulation/mqtt-version.ts'

/**
 * The control channel between `wardlab bench --coordinator` and its `--agent`s: one TCP connection
 * per agent carrying newline-delimited JSON, one message per line, in this order:
 *
 *   coordinator → agent   plan       protocol version, the target, the load and this agent's share
 *   agent → coordinator   connected  its generators and subscriber are connected, it waits
 *   coordinator → agent   ping       (several) answered at once with pong: the round trip
 *   coordinator → agent   start      start the load `inMs` after this line arrives
 *   agent → coordinator   starting   sent on receipt of start: bounds the start's one-way delay
 *   agent → coordinator   result     figures, counters and encoded histograms of its share
 *
 * Either side may send `error` with a message instead, and then closes. The channel carries no
 * authentication: an agent generates load at whatever MQTT target its coordinator names, so it
 * listens on loopback unless told otherwise, and belongs on a bench network only.
 */
/** 2: the plan names the MQTT version; an agent of version 1 would ignore it and run 3.1.1 unasked. */
export const PROTOCOL_VERSION = 2
export const DEFAULT_AGENT_PORT = 7883

/** The load as it crosses the wire: the bench key, which device passwords derive from, in base64. */
export type WireLoad = Omit<LoadOptions, 'key'> & { key: string }

export interface AgentPlan {
  type: 'plan'
  protocol: number
  /** This agent's place among the coordinator's (0-based), for names in its figures. */
  agent: number
  agents: number
  target: { host: string; port: number }
  load: WireLoad
  engine: EngineName
  mqttVersion: MqttVersion
  share: ConnectionShare
}

/** What an agent measured, with the histograms behind its percentiles so they can be merged, not averaged. */
export interface AgentReport {
  result: RunResult
  deliveredInWindow: number
  histograms: { connect: string; latency: string | null; seconds: (string | null)[] }
}

export type ToAgent = AgentPlan | { type: 'ping'; id: number } | { type: 'start'; inMs: number }
export type FromAgent =
  | { type: 'connected'; connections: number; failures: number }
  | { type: 'pong'; id: number }
  | { type: 'starting' }
  | { type: 'result'; report: AgentReport }
  | { type: 'error'; message: string }

const count = z.number().int().min(1)
const loadSchema = z.object({
  devices: count,
  ratePerDevice: z.number().positive().nullable(),
  qos: z.union([z.literal(0), z.literal(1)]),
  payload: z.discriminatedUnion('type', [
    z.object({ type: z.literal('fleet') }),
    z.object({
      type: z.literal('synthetic'),
      bytes: z
        .number()
        .int()
        .min(MIN_SYNTHETIC_BYTES)
        .max(256 * 1024),
    }),
  ]),
  durationS: z.number().positive(),
  rampUpS: z.number().min(0),
  connectRate: z.number().positive(),
  gateway: count,
  workers: count,
  inflight: count.max(65535),
  seed: z.string(),
  key: z.base64(),
  consumeOutputs: z.boolean(),
})

const toAgentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('plan'),
    protocol: z.number(),
    agent: z.number().int().min(0),
    agents: count,
    target: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
    load: loadSchema,
    engine: z.enum(ENGINES),
    mqttVersion: z.enum(MQTT_VERSIONS),
    share: z.object({ firstConnection: z.number().int().min(0), connections: count }),
  }),
  z.object({ type: z.literal('ping'), id: z.number() }),
  z.object({ type: z.literal('start'), inMs: z.number().min(0) }),
])

// The agent's figures are the bench's own RunResult, checked for shape where the merge reads them.
const fromAgentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connected'), connections: z.number(), failures: z.number() }),
  z.object({ type: z.literal('pong'), id: z.number() }),
  z.object({ type: z.literal('starting') }),
  z.object({
    type: z.literal('result'),
    report: z.object({
      result: z.custom<RunResult>((v) => typeof v === 'object' && v !== null && 'totals' in v && 'timeline' in v),
      deliveredInWindow: z.number(),
      histograms: z.object({ connect: z.string(), latency: z.string().nullable(), seconds: z.array(z.string().nullable()) }),
    }),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
])

export const parseToAgent = (value: unknown): ToAgent => toAgentSchema.parse(value)
export const parseFromAgent = (value: unknown): FromAgent => fromAgentSchema.parse(value)

export function toWireLoad(load: LoadOptions): WireLoad {
  return { ...load, key: load.key.toString('base64') }
}

export function fromWireLoad(load: WireLoad): LoadOptions {
  return { ...load, key: Buffer.from(load.key, 'base64') }
}

/** Far above any message the protocol sends (a result with a few thousand seconds of timeline is under 1 MB). */
const MAX_LINE_CHARS = 16 * 1024 * 1024

/**
 * One end of the control channel. Messages that arrive before anyone waits for them are kept, so
 * the order of `next` calls need not race the network. An `error` message, a malformed line, an
 * error or the close of the socket fails every wait with a message naming the peer.
 */
export class LineChannel<In extends { type: string }, Out extends { type: string }> {
  private buffered = ''
  private readonly inbox: In[] = []
  private readonly waiters: { type: string; resolve: (m: In) => void; reject: (err: Error) => void }[] = []
  private readonly handlers = new Map<string, (m: In) => void>()
  private failure: Error | null = null

  constructor(
    readonly socket: Socket,
    readonly peer: string,
    private readonly parse: (value: unknown) => In,
  ) {
    socket.setEncoding('utf8')
    socket.setNoDelay(true)
    socket.on('data', (text: string) => this.receive(text))
    socket.on('error', (err) => this.fail(new Error(`${peer}: ${err.message}`)))
    socket.on('close', () => this.fail(new Error(`${peer} closed the connection`)))
  }

  send(message: Out): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`)
  }

  /** Handles every message of `type` as its line arrives, instead of queueing it (pings). */
  on<T extends In['type']>(type: T, handler: (message: Extract<In, { type: T }>) => void): void {
    this.handlers.set(type, handler as (m: In) => void)
  }

  /** The next message of `type`; rejects on the peer's error or loss, or after `timeoutMs`. */
  next<T extends In['type']>(type: T, timeoutMs?: number): Promise<Extract<In, { type: T }>> {
    const i = this.inbox.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<In, { type: T }>)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve: resolve as (m: In) => void, reject }
      this.waiters.push(waiter)
      if (timeoutMs === undefined) return
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`${this.peer} sent no ${type} within ${Math.round(timeoutMs / 1000)} s`))
      }, timeoutMs)
      waiter.resolve = (m) => {
        clearTimeout(timer)
        resolve(m as Extract<In, { type: T }>)
      }
      waiter.reject = (err) => {
        clearTimeout(timer)
        reject(err)
      }
    })
  }

  /** Ends the connection once what was sent has been written. */
  close(): void {
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }

  private receive(text: string): void {
    this.buffered += text
    if (this.buffered.length > MAX_LINE_CHARS)
      return this.fail(new Error(`${this.peer} sent a line over ${MAX_LINE_CHARS} characters: not the bench agent protocol`))
    let end: number
    while ((end = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, end)
      this.buffered = this.buffered.slice(end + 1)
      let message: In
      try {
        message = this.parse(JSON.parse(line))
      } catch (err) {
        return this.fail(new Error(`${this.peer} sent a message outside the bench agent protocol: ${(err as Error).message.slice(0, 300)}`))
      }
      this.dispatch(message)
    }
  }

  private dispatch(message: In): void {
    const handler = this.handlers.get(message.type)
    if (handler) return handler(message)
    if (message.type === 'error') return this.fail(new Error(`${this.peer}: ${(message as unknown as { message: string }).message}`))
    const i = this.waiters.findIndex((w) => w.type === message.type)
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message)
    else this.inbox.push(message)
  }

  private fail(err: Error): void {
    if (this.failure) return
    this.failure = err
    for (const w of this.waiters.splice(0)) w.reject(err)
    this.socket.destroy()
  }
}

export interface HostPort {
  host: string
  port: number
}

/** `host:port`, `[v6]:port`, or a bare host with `defaultPort`; null when it is none of these. */
export function parseHostPort(text: string, defaultPort: number): HostPort | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim())
  if (!match) return null
  const port = match[3] === undefined ? defaultPort : Number(match[3])
  return port <= 65535 ? { host: (match[1] ?? match[2])!, port } : null
}

export function formatAddress(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
