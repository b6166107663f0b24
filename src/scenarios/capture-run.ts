import { basename } from 'node:path'
import type { Logger } from 'pino'
import { MAX_CONCURRENT_LIMIT, replayFlows, type FlowOutcome } from '../capture/replay-flows.ts'
import { loadCaptureFlows, type TcpFlow } from '../capture/tcp-flows.ts'
import { resyncFlow, type FlowSession } from '../capture/resync-flow.ts'
import type { Registry } from '../registry/schema.ts'
import { createSimClock } from '../simulation/clock.ts'
import { openInProcessStream } from '../simulation/connector.ts'
import type { AlertType, Finding, SecurityAlert } from '../security/alert.ts'
import type { SecurityConfigInput } from '../security/config.ts'
import type { OpenLab } from './lab-handle.ts'

export interface CaptureReplayOptions {
  /** Starts the embedded lab the capture is replayed into: the wiring's `openLab` (src/lab/open-lab.ts). */
  openLab: OpenLab
  file: string
  /** Capture time runs this many times faster; the lab's simulated clock runs at the same speed, so detector windows see the capture's own rates. */
  speed: number
  /** Replay only the capture's first `windowMs`: flows that start in it, cut at its end. */
  windowMs?: number
  /** What to expect: these alert types raised, or `none` — no attack alert at all (auth-failure is informational). */
  expect?: readonly AlertType[] | 'none'
  /** The hospital the lab runs; captures of generic MQTT traffic need none (the default is an empty one). */
  registry?: Registry
  security?: SecurityConfigInput
  log: Logger
  /** Where the lab's pipeline files go. */
  outputDir: string
}

export interface FlowReport {
  id: string
  client: string
  /** Client ids the flow's connection used, as the broker knew them. */
  clientIds: string[]
  /** Capture seconds from the first packet to the flow's start. */
  startSeconds: number
  outcome: FlowOutcome
  chunksSent: number
  bytesSent: number
  /** Alert types whose findings this flow's connection caused. */
  alerts: AlertType[]
  /**
   * How the session began (its CONNECT captured, or resynchronised mid-connection under a
   * synthetic anonymous identity) and ended, and what the capture lost of it.
   */
  session: FlowSession
}

/** The report `wardlab replay --report` writes, in the shape of `wardlab run`'s (scenario, seed, passed, alerts, expectations). */
export interface CaptureReplayReport {
  scenario: string
  seed: string
  passed: boolean
  capture: { file: string; format: string; flows: number; replayedFlows: number; windowSeconds: number | null }
  speed: number
  simulatedSeconds: number
  wallSeconds: number
  /** Each alert in its final state, in the order they opened. */
  alerts: SecurityAlert[]
  alertCounts: Partial<Record<AlertType, number>>
  expectations: { name: string; passed: boolean; detail: string }[]
  flows: FlowReport[]
}

const EMPTY_HOSPITAL: Registry = { version: 1, site: 'capture replay', wards: [{ id: 'lab', name: 'Capture replay', beds: [] }], patients: [], devices: [], users: [] }

/**
 * Replays the client side of every TCP flow in a capture into an embedded lab (lab profile), each
 * flow as its own in-memory connection labelled with the flow's captured client address — so the
 * per-address detectors see the attacker's address, not loopback — and reports which alerts each
 * flow raised. The lab's clock starts at the capture's first packet and runs at the replay's speed.
 */
export async function replayCapture(options: CaptureReplayOptions): Promise<CaptureReplayReport> {
  const { capture, flows: allFlows } = await loadCaptureFlows(options.file)
  const prepared = (options.windowMs === undefined ? allFlows : windowed(allFlows, options.windowMs)).map(resyncFlow)
  const flows = prepared.map((p) => p.flow)
  const captureStart = Math.round(capture.packets[0]?.tsMs ?? Date.now())
  const clock = createSimClock({ start: captureStart, speed: options.speed, paused: true })
  const lab = await options.openLab({
    registry: options.registry ?? EMPTY_HOSPITAL,
    provisioningKey: Buffer.alloc(32),
    profile: 'lab',
    listeners: [],
    seed: 'capture-replay',
    speed: options.speed,
    simulate: false,
    log: options.log,
    outputDir: options.outputDir,
    clock,
    ...(options.security ? { security: options.security } : {}),
  })
  const broker = lab.embedded?.broker
  if (!broker) throw new Error('a capture is replayed into the embedded broker, but openLab gave a lab without one')

  const flowOfConnection = new Map<number, number>()
  const clientIds = flows.map(() => new Set<string>())
  const findings: Finding[] = []
  const latest = new Map<string, SecurityAlert>()
  let opening = -1
  lab.signals.on((signal) => {
    if (signal.type === 'connection-opened' && opening >= 0) flowOfConnection.set(signal.connectionId, opening)
    const flow = flowOfConnection.get(signal.connectionId)
    if (flow !== undefined && signal.clientId && (signal.type === 'connect-attempt' || signal.type === 'connected' || signal.type === 'connack-refused')) clientIds[flow]!.add(signal.clientId)
  })
  lab.monitor.onFinding((finding) => findings.push(finding))
  lab.monitor.onAlert((alert) => latest.set(alert.id, alert))

  const wallStart = performance.now()
  clock.resume()
  const results = await replayFlows(flows, {
    host: 'embedded',
    port: 0,
    speed: options.speed,
    // What the capture shows still open at its end stays open: SlowITe's point is to hold connections.
    holdUnclosed: true,
    // In-memory connections cost no file descriptor: let every flow of a capture be open at once.
    maxConcurrent: MAX_CONCURRENT_LIMIT,
    connector: (flow) => {
      // The broker's handle runs synchronously, so the connection it opens is this flow's.
      opening = flows.indexOf(flow)
      // Straight to the broker, not through the listeners' gate: a capture's many flows from one address are what is being judged.
      const stream = openInProcessStream((s) => broker.handle(s), flow.client.address)
      opening = -1
      return { stream, ready: async () => undefined }
    },
  })
  const simulatedSeconds = (clock.now() - captureStart) / 1000
  const wallSeconds = (performance.now() - wallStart) / 1000
  await lab.stop()

  const flowReports = flows.map((flow, index): FlowReport => {
    const result = results[index]!
    const ids = clientIds[index]!
    const mine = findings.filter((f) => (f.connectionId !== undefined ? flowOfConnection.get(f.connectionId) === index : f.source.address === flow.client.address && ids.has(f.source.clientId)))
    return {
      id: flow.id,
      client: flow.client.address,
      clientIds: [...ids],
      startSeconds: flow.startMs / 1000,
      outcome: result.outcome,
      chunksSent: result.chunksSent,
      bytesSent: result.bytesSent,
      alerts: [...new Set(mine.map((f) => f.type))],
      session: prepared[index]!.session,
    }
  })
  const alerts = [...latest.values()]
  const alertCounts: Partial<Record<AlertType, number>> = {}
  for (const alert of alerts) alertCounts[alert.type] = (alertCounts[alert.type] ?? 0) + 1
  const expectations = expectationsOf(options.expect, alerts, flowReports)
  return {
    scenario: `replay ${basename(options.file)}`,
    seed: 'capture-replay',
    passed: expectations.every((e) => e.passed),
    capture: { file: options.file, format: capture.format, flows: allFlows.length, replayedFlows: flows.length, windowSeconds: options.windowMs === undefined ? null : options.windowMs / 1000 },
    speed: options.speed,
    simulatedSeconds: Math.round(simulatedSeconds * 1000) / 1000,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    alerts,
    alertCounts,
    expectations,
    flows: flowReports,
  }
}

/** The flows that start within the capture's first `windowMs`, without what they sent after it. */
function windowed(flows: readonly TcpFlow[], windowMs: number): TcpFlow[] {
  return flows
    .filter((flow) => flow.startMs < windowMs)
    .map((flow) => {
      if (flow.endMs <= windowMs) return flow
      const clientChunks = flow.clientChunks.filter((chunk) => chunk.captureMs < windowMs)
      // Cut by the window, the flow did not close in what is replayed.
      return { ...flow, clientChunks, endMs: windowMs, closedBy: 'none' as const, closedWith: 'none' as const, clientBytes: clientChunks.reduce((n, c) => n + c.bytes.length, 0) }
    })
}

function expectationsOf(expect: CaptureReplayOptions['expect'], alerts: readonly SecurityAlert[], flows: readonly FlowReport[]): CaptureReplayReport['expectations'] {
  const unstarted = flows.filter((f) => f.outcome === 'not-started' || f.outcome === 'timeout').length
  const all = [{ name: 'every flow replayed', passed: unstarted === 0, detail: unstarted === 0 ? `${flows.length} flows` : `${unstarted} of ${flows.length} flows did not finish` }]
  if (expect === 'none') {
    const attacks = alerts.filter((a) => a.type !== 'auth-failure')
    all.push({ name: 'no attack alert', passed: attacks.length === 0, detail: attacks.length === 0 ? 'none raised' : `raised ${[...new Set(attacks.map((a) => a.type))].join(', ')}` })
  } else {
    for (const type of expect ?? []) {
      const raised = alerts.filter((a) => a.type === type).length
      all.push({ name: `raises ${type}`, passed: raised > 0, detail: raised > 0 ? `${raised} alert(s)` : 'not raised' })
    }
  }
  return all
}
