import { randomBytes } from 'node:crypto'
import { connectAsync, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { Duplex } from 'node:stream'
import type { Envelope } from '../contract/envelope.ts'
import { combineObservers } from '../pipeline/pipeline.ts'
import { DatasetRecorder } from './dataset.ts'
import { GroundTruth, runAttack } from '../attacks/index.ts'
import { scoreDetection } from '../attacks/scoring.ts'
import { scoreRun } from './run-scoring.ts'
import type { AlertType } from '../contract/security-alert.ts'
import type { Hl7Request, LabHandle, OpenLab } from './lab-handle.ts'
import type { LinkConfigInput } from '../hl7/link-config.ts'
import { Hl7Receiver } from '../hl7/receiver.ts'
import { WardlabError } from '../util/errors.ts'
import { deriveDevicePassword } from '../registry/passwords.ts'
import { createSimClock, createVirtualClock, type PacedClock, type VirtualClock } from '../simulation/clock.ts'
import { protocolLevel, type MqttVersion } from '../simulation/mqtt-version.ts'
import { evaluateExpectations } from './expectations.ts'
import { runSettled } from './settle.ts'
import { buildScenarioRegistry } from './hospital.ts'
import { RunRecorder } from './recorder.ts'
import { buildReport, type RunReport, type TimelineNote } from './report.ts'
import type { Scenario } from './schema.ts'
import type { TimelineContext } from './events/event-type.ts'
import { TIMELINE_EVENTS } from './events/index.ts'
import { RUN_SENTINEL_TOPIC } from '../contract/topics.ts'

export interface RunProgress {
  simulatedMs: number
  durationMs: number
  received: number
  alerts: number
}

export interface RunOptions {
  /** Starts the lab the run drives: the wiring's `openLab` (src/lab/open-lab.ts). */
  openLab: OpenLab
  log: Logger
  /** Where the pipeline's files (alerts, FHIR, quarantine) go. */
  outputDir: string
  /** Overrides the scenario's own speed. */
  speed?: number | 'max'
  /** Overrides the scenario's own MQTT version (`wardlab run --mqtt-version`). */
  mqttVersion?: MqttVersion
  /** MQTT listener for watching the run with real clients; a free port by default. */
  listen?: { host: string; port: number }
  /** Serve the live dashboard while the run goes (embedded broker only). */
  dashboard?: { host: string; httpPort: number; wsPort: number }
  onProgress?: (progress: RunProgress) => void
  /** Called once the lab is up (the dashboard mounts here). */
  onStarted?: (lab: LabHandle) => void | Promise<void>
  /** Run against this broker instead of the embedded one. */
  broker?: { url: string; username?: string; password?: string }
  /** Write a labelled packet- and message-level dataset of the run here (embedded broker only). */
  exportDataset?: string
  /** HL7 receivers the run's devices are charted to (`wardlab run --hl7`); the order listener opens when the timeline sends orders. */
  hl7?: { links: LinkConfigInput[] }
}

const SAMPLE_EVERY_MS = 10_000

/**
 * Runs one scenario against the embedded broker: builds its hospital, schedules its timeline on a
 * simulated clock (virtual at speed `max`), records what a subscriber sees, and judges the
 * expectations. Same seed and file → same telemetry and the same verdicts, at any speed.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunReport> {
  const wallStart = performance.now()
  const key = randomBytes(32)
  const { registry, loadDevices } = await buildScenarioRegistry(scenario, key)
  const start = Date.parse(scenario.start)
  const end = start + scenario.duration
  const speed = options.speed ?? scenario.speed
  const mqttVersion = options.mqttVersion ?? scenario.mqttVersion
  // Both clocks hold simulated time at the start until the run begins, so every device powers on
  // at the same simulated instant however long the lab takes to come up.
  const clock: VirtualClock | PacedClock = speed === 'max' ? createVirtualClock(start) : createSimClock({ start, speed, paused: true, until: end })
  const recorder = new RunRecorder({ start, watchPatients: registry.patients.filter((p) => p.trajectory !== 'stable').map((p) => p.id) })
  const deferred = new Set([...loadDevices.values()].flat())
  if (options.exportDataset && options.broker)
    throw new WardlabError('WL_USAGE', '--export-dataset captures packets at the embedded broker; it cannot be used with --broker')
  const dataset = options.exportDataset ? new DatasetRecorder({ dir: options.exportDataset, now: () => clock.now(), registry }) : null

  const hl7Receiver = usesHl7(scenario) && !options.hl7 ? new Hl7Receiver() : null
  const receiverPort = hl7Receiver ? await hl7Receiver.start() : 0
  const hl7 = hl7Request(scenario, options.hl7 ?? (hl7Receiver ? { links: [{ url: `mllp://127.0.0.1:${receiverPort}` }] } : undefined))
  const lab = await options.openLab({
    registry,
    provisioningKey: key,
    seed: scenario.seed,
    log: options.log,
    outputDir: options.outputDir,
    clock,
    mqttVersion,
    deferredDevices: deferred,
    observer: dataset ? combineObservers(recorder.pipelineObserver(), { accepted: (m) => dataset.message(m) }) : recorder.pipelineObserver(),
    onDevicePublish: (_topic: string, envelope: Envelope) => recorder.sent(envelope),
    onDeviceGenerate: (envelope: Envelope) => recorder.generated(envelope),
    simulate: true,
    ...(options.broker ? { broker: options.broker } : {}),
    profile: scenario.profile,
    listeners: [
      { kind: 'mqtt', host: options.listen?.host ?? '127.0.0.1', port: options.listen?.port ?? 0, flag: '--port' },
      ...(options.dashboard ? [{ kind: 'ws' as const, host: options.dashboard.host, port: options.dashboard.wsPort, flag: '--ws-port' }] : []),
    ],
    speed: typeof speed === 'number' ? speed : 1,
    ...(options.dashboard ? { dashboard: { host: options.dashboard.host, port: options.dashboard.httpPort } } : {}),
    ...(dataset ? { onConnection: (stream: Duplex) => dataset.tap(stream) } : {}),
    ...(hl7 ? { hl7 } : {}),
  })
  const clients = new Map<string, Promise<MqttClient>>()
  const url = lab.bound[0]!.url
  const client = (role: 'operator' | 'observer') => {
    const username = `scenario-${role}`
    if (!clients.has(username)) {
      clients.set(
        username,
        connectAsync(url, {
          protocolVersion: protocolLevel(mqttVersion),
          clientId: `${username}-${process.pid}`,
          username,
          password: deriveDevicePassword(key, username),
          reconnectPeriod: 1000,
        }),
      )
    }
    return clients.get(username)!
  }
  const notes: TimelineNote[] = []
  try {
    const observer = await client('observer')
    recorder.attach(observer)
    await observer.subscribeAsync([...RunRecorder.TOPICS], { qos: 1 })
    await options.onStarted?.(lab)

    const groundTruth = new GroundTruth()
    const attacks: Promise<unknown>[] = []
    const embedded = lab.embedded
    const launchAttack = embedded
      ? (type: string, params: Record<string, unknown>, durationMs: number) => {
          const attackCtx = {
            broker: { handle: (stream: Duplex) => embedded.handleConnection(stream) },
            clock,
            registry: lab.registry,
            groundTruth,
            provisioningKey: key,
          }
          attacks.push(runAttack(attackCtx, type as AlertType, { durationMs, params }).catch((err: Error) => options.log.error({ err, type }, 'attack failed')))
        }
      : null
    const ctx: TimelineContext = { lab, registry, start, loadDevices, client, note: (n) => notes.push(n), launchAttack, hl7Receiver }
    const eventTimes = new Map<string, number>()
    scenario.timeline.forEach((event, index) => {
      if (event.id) eventTimes.set(event.id, start + event.at)
      const type = TIMELINE_EVENTS.find((t) => t.event === event.event)!
      ;(type.schedule as (e: typeof event, c: TimelineContext, i: number) => void)(event, ctx, index)
    })
    const sample = () => {
      recorder.sample(clock.now(), lab.pipeline.counters, lab.monitor.totalAlerts(), lab.signals)
      options.onProgress?.({
        simulatedMs: clock.now() - start,
        durationMs: scenario.duration,
        received: lab.pipeline.counters.received,
        alerts: lab.monitor.totalAlerts(),
      })
      if (clock.now() + SAMPLE_EVERY_MS <= end) clock.at(clock.now() + SAMPLE_EVERY_MS, sample)
    }
    clock.at(start, sample)

    if ('runUntil' in clock) await runSettled(clock, lab, end)
    else await runPaced(clock, end)

    recorder.sample(end, lab.pipeline.counters, lab.monitor.totalAlerts(), lab.signals)
    await Promise.race([Promise.all(attacks), new Promise((resolve) => setTimeout(resolve, 10_000))])
    await lab.quiesce()
    await settleObserver(lab, recorder)
    // Every HL7 message is generated once the pipeline has drained; give the links time to deliver.
    if (lab.hl7) await lab.hl7.gateway.drain(HL7_DRAIN_MS)
    const hl7Facts = lab.hl7 ? { links: lab.hl7.gateway.stats(), orders: [...lab.hl7.orders] } : null
    const published = lab.fleet!.totals().published
    const datasetRows = dataset ? await dataset.finish(groundTruth.entries) : undefined
    const detection = scoreDetection(groundTruth.entries, recorder.alertStream)
    const scoring =
      groundTruth.entries.length > 0
        ? scoreRun(
            groundTruth.entries,
            recorder.alertStream,
            lab.registry.data.devices.map((d) => d.id),
          )
        : undefined
    const counters = lab.pipeline.counters
    const expectations = evaluateExpectations({
      detection,
      scenario,
      start,
      recorder,
      eventTimes,
      isAttackType: (type) => type !== 'auth-failure',
      received: counters.received,
      quarantined: counters.quarantined,
      hl7: hl7Facts,
    })
    return buildReport({
      scenario,
      recorder,
      expectations,
      notes,
      published,
      counters,
      wallSeconds: (performance.now() - wallStart) / 1000,
      outputDir: options.outputDir,
      target: { broker: options.broker?.url ?? 'embedded', mqttVersion, detectors: [...lab.activeDetectors] },
      detection,
      groundTruth: groundTruth.entries,
      ...(scoring ? { scoring } : {}),
      ...(datasetRows ? { dataset: { dir: options.exportDataset!, packetsByLabel: datasetRows } } : {}),
    })
  } finally {
    await Promise.all(
      [...clients.values()].map((c) =>
        c.then(
          (mqtt) => mqtt.endAsync(),
          () => undefined,
        ),
      ),
    )
    await lab.stop()
    await hl7Receiver?.close()
  }
}

/** How long the end of a run waits for the HL7 links to empty their backlogs (wall ms). */
const HL7_DRAIN_MS = 30_000

/** Whether the scenario has HL7 events or expectations: then it needs a receiver, its own when given none. */
function usesHl7(scenario: Scenario): boolean {
  return scenario.timeline.some((event) => event.event.startsWith('hl7-')) || scenario.expect.some((e) => 'hl7Delivery' in e)
}

/** HL7 links when asked for; the order listener (on a free port) when the timeline sends orders. */
function hl7Request(scenario: Scenario, given: RunOptions['hl7']): Hl7Request | undefined {
  const orders = scenario.timeline.some((event) => event.event === 'hl7-order')
  if (!given && !orders) return undefined
  return { links: given?.links ?? [], ...(orders ? { listen: { host: '127.0.0.1', port: 0 } } : {}) }
}

async function runPaced(clock: PacedClock, end: number): Promise<void> {
  clock.resume()
  while (clock.now() < end) await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(1, (end - clock.now()) / clock.speed))))
  // A timer may lag the simulated time it serves: whatever was due by the end still happens.
  clock.runDue(end)
}

/** A last message from the broker on a topic the observer follows: when it arrives, so has everything before it. */
async function settleObserver(lab: LabHandle, recorder: RunRecorder): Promise<void> {
  const seen = recorder.untilSentinel()
  lab.publishAsBroker(RUN_SENTINEL_TOPIC, Buffer.from('{}'))
  await Promise.race([seen, new Promise((resolve) => setTimeout(resolve, 5000))])
}
