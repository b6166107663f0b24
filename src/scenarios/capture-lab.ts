import { basename } from 'node:path'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { FlowOutcome } from '../capture/replay-flows.ts'
import type { FlowSession } from '../capture/resync-flow.ts'
import type { Registry } from '../registry/schema.ts'
import type { AlertType, SecurityAlert } from '../contract/security-alert.ts'
import type { SecurityConfigInput } from '../security/config.ts'
import type { SimClock } from '../simulation/clock.ts'
import type { LabHandle, OpenLab } from './lab-handle.ts'

/** What a capture replay is given and what it reports, whichever clock drives it (capture-run.ts, capture-stream-run.ts). */
export interface CaptureReplayOptions {
  /** Starts the embedded lab the capture is replayed into: the wiring's `openLab` (src/lab/open-lab.ts). */
  openLab: OpenLab
  file: string
  /**
   * Capture time runs this many times faster; the lab's simulated clock runs at the same speed, so
   * detector windows see the capture's own rates. `max`: a virtual clock follows the capture's
   * timestamps while the capture is streamed as fast as the machine allows (capture-stream-run.ts).
   */
  speed: number | 'max'
  /** The broker's TCP port in the capture: its flows are replayed (default 1883, MQTT 3.1.1 §4.2's IANA port). */
  serverPort?: number
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
  speed: number | 'max'
  /** Capture file bytes read (streamed replays). */
  bytesRead?: number
  simulatedSeconds: number
  wallSeconds: number
  /** Each alert in its final state, in the order they opened. */
  alerts: SecurityAlert[]
  alertCounts: Partial<Record<AlertType, number>>
  expectations: { name: string; passed: boolean; detail: string }[]
  flows: FlowReport[]
}

const EMPTY_HOSPITAL: Registry = {
  version: 1,
  site: 'capture replay',
  wards: [{ id: 'lab', name: 'Capture replay', beds: [] }],
  patients: [],
  devices: [],
  users: [],
}

/** The embedded lab a capture is replayed into (lab profile, no listeners, no simulated devices), and its broker's connection handler. */
export async function openCaptureLab(options: CaptureReplayOptions, clock: SimClock): Promise<{ lab: LabHandle; handle: (stream: Duplex) => void }> {
  const lab = await options.openLab({
    registry: options.registry ?? EMPTY_HOSPITAL,
    provisioningKey: Buffer.alloc(32),
    profile: 'lab',
    listeners: [],
    seed: 'capture-replay',
    speed: typeof options.speed === 'number' ? options.speed : 1,
    simulate: false,
    log: options.log,
    outputDir: options.outputDir,
    clock,
    ...(options.security ? { security: options.security } : {}),
  })
  const broker = lab.embedded?.broker
  if (!broker) throw new Error('a capture is replayed into the embedded broker, but openLab gave a lab without one')
  return { lab, handle: (stream) => broker.handle(stream) }
}

/** The report from the flows' verdicts and the alerts, with the expectations judged. */
export function captureReport(
  options: CaptureReplayOptions,
  run: {
    format: string
    flowCount: number
    windowSeconds: number | null
    simulatedSeconds: number
    wallSeconds: number
    alerts: SecurityAlert[]
    flows: FlowReport[]
  },
): CaptureReplayReport {
  const alertCounts: Partial<Record<AlertType, number>> = {}
  for (const alert of run.alerts) alertCounts[alert.type] = (alertCounts[alert.type] ?? 0) + 1
  const expectations = expectationsOf(options.expect, run.alerts, run.flows)
  return {
    scenario: `replay ${basename(options.file)}`,
    seed: 'capture-replay',
    passed: expectations.every((e) => e.passed),
    capture: { file: options.file, format: run.format, flows: run.flowCount, replayedFlows: run.flows.length, windowSeconds: run.windowSeconds },
    speed: options.speed,
    simulatedSeconds: Math.round(run.simulatedSeconds * 1000) / 1000,
    wallSeconds: Math.round(run.wallSeconds * 100) / 100,
    alerts: run.alerts,
    alertCounts,
    expectations,
    flows: run.flows,
  }
}

function expectationsOf(
  expect: CaptureReplayOptions['expect'],
  alerts: readonly SecurityAlert[],
  flows: readonly FlowReport[],
): CaptureReplayReport['expectations'] {
  const unstarted = flows.filter((f) => f.outcome === 'not-started' || f.outcome === 'timeout').length
  const all = [
    {
      name: 'every flow replayed',
      passed: unstarted === 0,
      detail: unstarted === 0 ? `${flows.length} flows` : `${unstarted} of ${flows.length} flows did not finish`,
    },
  ]
  if (expect === 'none') {
    const attacks = alerts.filter((a) => a.type !== 'auth-failure')
    all.push({
      name: 'no attack alert',
      passed: attacks.length === 0,
      detail: attacks.length === 0 ? 'none raised' : `raised ${[...new Set(attacks.map((a) => a.type))].join(', ')}`,
    })
  } else {
    for (const type of expect ?? []) {
      const raised = alerts.filter((a) => a.type === type).length
      all.push({ name: `raises ${type}`, passed: raised > 0, detail: raised > 0 ? `${raised} alert(s)` : 'not raised' })
    }
  }
  return all
}
