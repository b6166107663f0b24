import { once } from 'node:events'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { WardlabError } from '../util/errors.ts'
import type { TcpFlow } from './tcp-flows.ts'

/** One flow's connection to the broker under test: the stream to write to, and when it can take bytes. */
export interface FlowConnection {
  stream: Duplex
  ready(signal: AbortSignal): Promise<unknown>
}

/** Opens each flow's connection. The default is TCP to host:port; an embedded broker can take streams directly. */
export type FlowConnector = (flow: TcpFlow) => FlowConnection

export interface ReplayOptions {
  /** The broker under test; loopback only (127.0.0.0/8, ::1, localhost). Ignored when `connector` is given. */
  host: string
  port: number
  /**
   * Opens connections some other way than TCP: an in-memory stream into an embedded broker keeps
   * each flow's captured client address (loopback TCP would make every flow 127.0.0.1).
   */
  connector?: FlowConnector
  /**
   * Time compression: 1 keeps the capture's pacing, 10 runs ten times faster, Infinity sends as fast
   * as the sockets take it. Must be greater than 0.
   */
  speed: number
  /** Sockets open at once (default 1,000); a flow whose start comes while all are busy waits. */
  maxConcurrent?: number
  /** Bound on the whole replay; flows still running then are destroyed (default: the scheduled duration + 30 s). */
  timeoutMs?: number
  /** How long to wait for the server to close after our half-close before destroying (default 1,000 ms). */
  graceMs?: number
  /**
   * Keep a flow the capture never saw close (no FIN or RST) open until the capture's last packet,
   * as it still was when the capture ended, instead of closing it after its own last packet. A
   * capture cut short, or SlowITe's held connections, then look as they did.
   */
  holdUnclosed?: boolean
  /** Called as each flow finishes, in finishing order; it must not throw. */
  onFlowDone?: (result: FlowResult) => void
}

export type FlowOutcome =
  /** Every client chunk was written. */
  | 'completed'
  /** The server closed or reset the connection before the last chunk. */
  | 'server-closed'
  /** The connection failed (refused, reset before connecting, ...). */
  | 'error'
  /** The global timeout ended the flow while it ran. */
  | 'timeout'
  /** The global timeout came before the flow's turn. */
  | 'not-started'

export interface FlowResult {
  flowId: string
  outcome: FlowOutcome
  /** ms since the replay started, when the connection was opened; null if it never was. */
  startedAtMs: number | null
  /** How much later than scheduled it was opened, because every socket slot was busy. */
  startLagMs: number
  connected: boolean
  chunksSent: number
  bytesSent: number
  bytesReceived: number
  /** ms since the connection was opened, when the server sent FIN or RST; null if it did not. */
  serverClosedAtMs: number | null
  /** The socket error, if any: ECONNRESET, EPIPE and ECONNREFUSED are results, not exceptions. */
  error: { code: string; message: string } | null
  durationMs: number
}

export const DEFAULT_MAX_CONCURRENT = 1_000
/**
 * The process may hold 20,000 file descriptors, and a broker in the same process spends one more per
 * accepted connection: 8,000 client sockets leave room for both and for the process's own files.
 */
export const MAX_CONCURRENT_LIMIT = 8_000
const DEFAULT_GRACE_MS = 1_000
/** Node timers take at most 2^31 - 1 ms (about 24.8 days) and fire at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1
const TIMEOUT_SLACK_MS = 30_000

/**
 * Replays the client side of each flow as its own TCP connection, opened at the flow's start
 * offset / speed (the first flow at once), each chunk written at its offset / speed. The socket is
 * half-closed (or reset, when the client reset it in the capture) at the flow's original end, then
 * destroyed when the server closes or after the grace period. Writes wait for 'drain', so a huge
 * flow is paced by the socket instead of piling up in memory. Results keep the order of `flows`.
 */
export async function replayFlows(flows: readonly TcpFlow[], options: ReplayOptions): Promise<FlowResult[]> {
  const settings = validated(options)
  const firstStart = flows.reduce((min, f) => Math.min(min, f.startMs), Infinity)
  const lastEnd = flows.reduce((max, f) => Math.max(max, f.endMs - firstStart), 0)
  const timeoutMs = options.timeoutMs ?? lastEnd / settings.speed + settings.graceMs + TIMEOUT_SLACK_MS
  const deadline = AbortSignal.timeout(Math.min(Math.ceil(timeoutMs), MAX_TIMER_MS))
  const slots = new SocketSlots(settings.maxConcurrent)
  const replayStart = performance.now()
  const results: FlowResult[] = new Array(flows.length)
  const finish = (index: number, result: FlowResult) => {
    results[index] = result
    options.onFlowDone?.(result)
  }

  const order = flows.map((_, index) => index).sort((a, b) => flows[a]!.startMs - flows[b]!.startMs)
  const running: Promise<void>[] = []
  for (const index of order) {
    const flow = flows[index]!
    const scheduledAt = replayStart + (flow.startMs - firstStart) / settings.speed
    try {
      await waitUntil(scheduledAt, deadline)
      await slots.acquire(deadline)
    } catch {
      finish(index, emptyResult(flow.id, 'not-started'))
      continue
    }
    const endAtMs = options.holdUnclosed && flow.closedBy === 'none' ? lastEnd + firstStart - flow.startMs : flow.endMs - flow.startMs
    const replay = replayOneFlow(flow, settings, deadline, replayStart, performance.now() - scheduledAt, endAtMs)
    running.push(replay.then((result) => finish(index, result)).finally(() => slots.release()))
  }
  await Promise.all(running)
  return results
}

interface ReplaySettings {
  connector: FlowConnector
  speed: number
  maxConcurrent: number
  graceMs: number
}

function validated(options: ReplayOptions): ReplaySettings {
  const { host, port, speed } = options
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT
  if (!options.connector && !isLoopback(host)) throw new WardlabError('WL_USAGE', `replay target ${host} is not a loopback address`)
  if (!(speed > 0)) throw new WardlabError('WL_USAGE', `replay speed must be greater than 0 (Infinity: as fast as possible), got ${speed}`)
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_CONCURRENT_LIMIT) {
    throw new WardlabError('WL_USAGE', `maxConcurrent must be an integer from 1 to ${MAX_CONCURRENT_LIMIT}, got ${maxConcurrent}`)
  }
  return { connector: options.connector ?? tcpConnector(host, port), speed, maxConcurrent, graceMs: options.graceMs ?? DEFAULT_GRACE_MS }
}

function tcpConnector(host: string, port: number): FlowConnector {
  return () => {
    const socket = net.connect({ host, port })
    socket.setNoDelay(true) // one write per captured chunk, not merged by Nagle
    return { stream: socket, ready: (signal) => once(socket, 'connect', { signal }) }
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host
  return net.isIPv4(v4) && v4.startsWith('127.')
}

async function replayOneFlow(
  flow: TcpFlow,
  settings: ReplaySettings,
  deadline: AbortSignal,
  replayStart: number,
  startLagMs: number,
  /** Flow ms at which the client side ends (its last packet, or later for a held flow). */
  endAtMs: number,
): Promise<FlowResult> {
  const opened = performance.now()
  const result = emptyResult(flow.id, 'completed')
  result.startedAtMs = opened - replayStart
  result.startLagMs = Math.max(0, startLagMs)
  const connection = settings.connector(flow)
  const socket = connection.stream
  const closed = new AbortController()
  const stop = AbortSignal.any([deadline, closed.signal])
  const serverClosed = () => (result.serverClosedAtMs ??= performance.now() - opened)
  let answered: () => void = () => undefined
  socket.on('data', (data: Buffer) => {
    result.bytesReceived += data.length
    answered()
  })
  socket.on('end', serverClosed)
  socket.on('error', (error: NodeJS.ErrnoException) => {
    result.error ??= { code: error.code ?? 'ERR_SOCKET', message: error.message }
    if (result.connected && error.code === 'ECONNRESET') serverClosed()
  })
  let closing = false
  socket.on('close', () => {
    // A stream that is not TCP has no FIN to tell: closed under us after connecting, the server closed it.
    if (result.connected && !closing) serverClosed()
    closed.abort()
  })

  const at = (flowMs: number) => opened + flowMs / settings.speed
  try {
    await connection.ready(stop)
    result.connected = true
    for (const chunk of flow.clientChunks) {
      await waitUntil(at(chunk.atMs), stop)
      if (result.serverClosedAtMs !== null) break
      const { bytes } = chunk
      const accepted = socket.write(bytes, (error) => {
        if (!error) result.bytesSent += bytes.length
      })
      result.chunksSent++
      if (!accepted) await once(socket, 'drain', { signal: stop })
      if (chunk.awaitsAnswer && result.bytesReceived === 0) await answer(stop, (resolve) => (answered = resolve))
    }
    await waitUntil(at(endAtMs), stop)
  } catch {
    // Aborted: either the socket closed (the outcome below says why) or the deadline passed.
  }
  closing = true
  if (!socket.destroyed && !deadline.aborted) {
    if (flow.closedBy === 'client' && flow.closedWith === 'rst') resetStream(socket)
    else socket.end()
    await sleep(settings.graceMs, undefined, { signal: stop }).catch(() => undefined)
  }
  socket.destroy()
  if (!socket.closed) await once(socket, 'close')
  result.outcome = outcomeOf(result, flow, deadline)
  result.durationMs = performance.now() - opened
  return result
}

/** A TCP reset where there is TCP; any other stream is simply destroyed. */
function resetStream(stream: Duplex): void {
  if (stream instanceof net.Socket) stream.resetAndDestroy()
  else stream.destroy()
}

function outcomeOf(result: FlowResult, flow: TcpFlow, deadline: AbortSignal): FlowOutcome {
  if (result.chunksSent === flow.clientChunks.length && result.connected) return 'completed'
  if (deadline.aborted) return 'timeout'
  if (result.serverClosedAtMs !== null) return 'server-closed'
  return 'error'
}

function emptyResult(flowId: string, outcome: FlowOutcome): FlowResult {
  return {
    flowId,
    outcome,
    startedAtMs: null,
    startLagMs: 0,
    connected: false,
    chunksSent: 0,
    bytesSent: 0,
    bytesReceived: 0,
    serverClosedAtMs: null,
    error: null,
    durationMs: 0,
  }
}

/** Resolves at the server's first bytes (the hook hands over the resolver), rejects on abort. */
function answer(signal: AbortSignal, hook: (resolve: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    signal.throwIfAborted()
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    hook(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
  })
}

async function waitUntil(time: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  for (let delay = time - performance.now(); delay > 0; delay = time - performance.now()) {
    await sleep(Math.min(Math.ceil(delay), MAX_TIMER_MS), undefined, { signal })
  }
}

/** A counting semaphore on open sockets; waiters are served in order and leave on abort. */
class SocketSlots {
  private readonly waiters: Array<() => void> = []

  constructor(private free: number) {}

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.free > 0) {
      this.free--
      return
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(grant), 1)
        reject(signal.reason)
      }
      this.waiters.push(grant)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.free++
  }
}
