import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BenchOptions, Variant } from '../../bench/bench.ts'
import { formatHl7Bench, runHl7Bench } from '../../bench/hl7-bench.ts'
import { linkConfigSchema } from '../../hl7/link-config.ts'
import { assertSocketsFit, openFileLimit } from '../../bench/fd-budget.ts'
import { ENGINES, type EngineName } from '../../bench/generator-plan.ts'
import { MIN_SYNTHETIC_BYTES, type PayloadSpec } from '../../bench/payloads.ts'
import { formatBreakdown, formatLayerBreakdown } from '../../bench/profile-summary.ts'
import { BARE_AEDES_PROFILES } from '../../bench/bare-aedes.ts'
import type { BenchReport } from '../../bench/result.ts'
import { formatTable } from '../../bench/report-table.ts'
import { renderCsv } from '../../bench/csv.ts'
import { checkThresholds, formatOutcomes, parseThreshold, THRESHOLD_HELP } from '../../bench/thresholds.ts'
import { renderSvg } from '../../bench/report-svg.ts'
import { describeTarget, parseTarget } from '../../bench/targets.ts'
import { PIPELINE_MODES, type PipelineMode, type TargetSpec } from '../../bench/target-spec.ts'
import { DEFAULT_MQTT_VERSION, isMqttVersion, MQTT_VERSIONS, type MqttVersion } from '../../simulation/mqtt-version.ts'
import { EXIT, WardlabError } from '../../util/errors.ts'
import { mqttVersionFlag, mqttVersionOption } from '../mqtt-version-option.ts'
import { defineCommand } from '../options.ts'
import { AGENT_OPTIONS, coordinatedAgents, serveAgent } from './bench-agents.ts'

/** `--hl7`: the receiver's PCD-01 throughput and ACK latency (src/bench/hl7-bench.ts). */
async function benchHl7(url: string, beds: number, rounds: number, json: string | undefined): Promise<number> {
  const parsed = linkConfigSchema.shape.url.safeParse(url)
  if (!parsed.success) throw usage(`--hl7 takes mllp://host:port or mllps://host:port, got "${url}"`)
  const result = await runHl7Bench({ url, beds, rounds })
  process.stdout.write(`${formatHl7Bench(result)}\n`)
  if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`)
  return result.drained && result.acknowledged === result.messages ? 0 : 1
}

const usage = (message: string) => new WardlabError('WL_USAGE', `wardlab bench: ${message}\nRun \`wardlab bench --help\` for the flags it takes.`)

export const benchCommand = defineCommand({
  name: 'bench',
  usage:
    'wardlab bench [--devices n] [--rate r|max] [--qos 0|1] [--target embedded|cluster:N|mosquitto|aedes|mqtt://host:port[,...]] [--mqtt-version 3.1.1|5] [--compare pipeline=off,on|nodes=1,2|mqtt-version=3.1.1,5] [options]',
  options: {
    devices: { type: 'integer', default: 100, min: 1, description: 'simulated devices (an ICU mix: monitor, pump, ventilator per bed, sensors per ward)' },
    rate: {
      type: 'string',
      default: '1',
      placeholder: 'msg/s|max',
      description: 'messages per second per device, or "max" for as fast as the broker takes them',
    },
    'total-rate': { type: 'number', min: 0.001, description: 'messages per second for the whole fleet (overrides --rate)' },
    qos: { type: 'enum', values: ['0', '1'], default: '0', description: 'QoS of every publish and of the subscription' },
    payload: {
      type: 'string',
      default: 'fleet',
      placeholder: 'fleet|synthetic:<bytes>',
      description: 'real device payloads from the kinds, or fixed-size opaque ones',
    },
    duration: { type: 'number', default: 10, min: 1, description: 'seconds of load at full rate (measured)' },
    'ramp-up': { type: 'number', default: 0, min: 0, description: 'seconds over which the rate grows from 0 (not measured)' },
    'connect-rate': { type: 'integer', default: 1000, min: 1, description: 'connections opened per second before the load' },
    target: {
      type: 'string',
      default: 'embedded',
      placeholder: 'list',
      description:
        'embedded, cluster:N (N embedded brokers on a throw-away redis-server), mosquitto (started on a free port), aedes (a bare Aedes of the version wardlab runs: the cost of the wardlab broker layer) or mqtt://host:port; comma-separate several to compare them',
    },
    pipeline: {
      type: 'enum',
      values: PIPELINE_MODES,
      default: 'on',
      description: "the embedded broker's pipeline: on (in worker threads, as wardlab start runs it), inline (on the broker's thread) or off",
    },
    'pipeline-workers': {
      type: 'integer',
      default: 1,
      min: 1,
      max: 64,
      description: 'worker threads for the pipeline when it is on, sharded by patient (as wardlab start --pipeline-workers)',
    },
    generator: { type: 'enum', values: ENGINES, default: 'wardlab', description: "wardlab's batched generator, or a plain mqtt.js loop" },
    ...mqttVersionOption("MQTT version of the generators' and the subscriber's connections"),
    compare: {
      type: 'string',
      placeholder: 'pipeline=off,on|generator=wardlab,mqttjs|nodes=1,2|mqtt-version=3.1.1,5',
      description: 'run these variants side by side; the first is the baseline of the ratios',
    },
    rounds: { type: 'integer', default: 1, min: 1, description: 'repeat the comparison, alternating the order (ABBA)' },
    workers: { type: 'integer', default: 1, min: 1, description: 'generator processes the connections are spread over' },
    gateway: { type: 'integer', default: 1, min: 1, description: 'devices per connection (bedside gateways); 1 = one connection each' },
    inflight: { type: 'integer', default: 32, min: 1, max: 65535, description: 'QoS 1 publishes a connection may have unacknowledged' },
    'subscriber-stall': {
      type: 'integer',
      min: 0,
      placeholder: 's',
      description:
        'the subscriber stops reading this many seconds into the load, until the drain ends: what the broker does with a hung consumer (see the undelivered table)',
    },
    'consume-outputs': { type: 'boolean', description: "the subscriber also takes the pipeline's outputs (fhir/#, alerts/#, ops/#, quarantine/#)" },
    seed: { type: 'string', default: 'bench', description: 'seed of the device payloads' },
    json: { type: 'string', placeholder: 'file', description: 'write every figure and the per-second timeline as JSON' },
    svg: { type: 'string', placeholder: 'file', description: 'write the per-second timeline chart' },
    csv: { type: 'string', placeholder: 'file', description: 'write the per-second timeline as CSV (a row per run and second)' },
    threshold: { type: 'list', placeholder: 'metric<value', description: `fail the run (exit 1) unless every run meets this: ${THRESHOLD_HELP}` },
    output: { type: 'string', placeholder: 'dir', description: "keep the embedded pipeline's files here (default: a temporary folder, removed)" },
    'cpu-prof': { type: 'string', placeholder: 'dir', description: 'profile the embedded broker and a bare Aedes target (node --cpu-prof) into this folder' },
    hl7: {
      type: 'string',
      placeholder: 'mllp://host:port',
      description: 'measure IHE PCD-01 (HL7 v2 over MLLP) to this receiver instead: --devices beds, one monitor each, charting --hl7-rounds times, one link',
    },
    'hl7-rounds': { type: 'integer', default: 10, min: 1, description: 'charting rounds of every bed with --hl7 (all queued at once)' },
    ...AGENT_OPTIONS,
  },
  async run(options) {
    if (options.agent) return serveAgent(options)
    if (options.hl7) return benchHl7(options.hl7, options.devices, options['hl7-rounds'], options.json)
    // Parsed before any load: a typo in a threshold must not cost a whole run.
    const thresholds = options.threshold.map(parseThreshold)
    const payload = parsePayload(options.payload)
    const ratePerDevice = options['total-rate'] !== undefined ? options['total-rate'] / options.devices : parseRate(options.rate)
    const variants = parseVariants(
      options.target,
      options.pipeline as PipelineMode,
      options.generator as EngineName,
      options.compare,
      mqttVersionFlag('bench', options['mqtt-version']),
    )
    const agents = coordinatedAgents(options, variants)
    if (agents && options['subscriber-stall'] !== undefined)
      throw usage("--subscriber-stall stalls this machine's subscriber; with --coordinator the agents run the subscribers")
    const local = variants.some((v) => v.target.type !== 'url')
    if (options['cpu-prof'] && variants.some((v) => v.target.type === 'cluster'))
      throw usage('--cpu-prof profiles the one embedded broker; it does not take cluster targets')
    // With agents, each machine's generators hold their share's sockets (each agent checks its own limit).
    assertSocketsFit({
      devices: options.devices,
      gateway: options.gateway,
      workers: options.workers * (agents?.length ?? 1),
      brokerIsLocalProcess: local,
      subscribers: 1,
      limit: openFileLimit(),
    })
    const outputDir = options.output ? resolve(options.output) : mkdtempSync(join(tmpdir(), 'wardlab-bench-'))
    // Loaded here, not at the top: `wardlab bench --help` and usage errors need none of the bench's machinery.
    const [{ runBench }, { runCoordinated }] = await Promise.all([import('../../bench/bench.ts'), import('../../bench/coordinator.ts')])
    const run = agents ? (o: BenchOptions) => runCoordinated(o, agents) : runBench
    try {
      const report = await run({
        load: {
          devices: options.devices,
          ratePerDevice,
          qos: Number(options.qos) as 0 | 1,
          payload,
          durationS: options.duration,
          rampUpS: options['ramp-up'],
          connectRate: options['connect-rate'],
          gateway: options.gateway,
          workers: options.workers,
          inflight: options.inflight,
          seed: options.seed,
          key: randomBytes(32),
          consumeOutputs: options['consume-outputs'],
          ...(options['subscriber-stall'] !== undefined ? { subscriberStallS: options['subscriber-stall'] } : {}),
        },
        variants,
        rounds: options.rounds,
        outputDir,
        command: `wardlab bench ${process.argv.slice(3).join(' ')}`.trim(),
        pipelineWorkers: options['pipeline-workers'],
        ...(options['cpu-prof'] ? { brokerExecArgv: ['--cpu-prof', `--cpu-prof-dir=${resolve(options['cpu-prof'])}`] } : {}),
        progress: (line) => process.stderr.write(`${line}\n`),
      })
      process.stdout.write(`${formatTable(report)}\n`)
      if (options['cpu-prof']) process.stdout.write(profileReport(resolve(options['cpu-prof']), report))
      if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
      if (options.svg) writeFileSync(options.svg, renderSvg(report))
      if (options.csv) writeFileSync(options.csv, renderCsv(report))
      if (thresholds.length === 0) return EXIT.passed
      const outcomes = checkThresholds(report, thresholds)
      process.stdout.write(`\nthresholds:\n${formatOutcomes(outcomes)}\n`)
      return outcomes.every((o) => o.passed) ? EXIT.passed : EXIT.failed
    } finally {
      if (!options.output) rmSync(outputDir, { recursive: true, force: true })
    }
  },
})

function parseRate(text: string): number | null {
  if (text === 'max') return null
  const rate = Number(text)
  if (!Number.isFinite(rate) || rate <= 0) throw usage(`--rate must be messages per second per device (> 0) or "max", got "${text}"`)
  return rate
}

function parsePayload(text: string): PayloadSpec {
  if (text === 'fleet') return { type: 'fleet' }
  const match = /^synthetic:(\d+)$/.exec(text)
  if (!match) throw usage(`--payload must be fleet or synthetic:<bytes>, got "${text}"`)
  const bytes = Number(match[1])
  if (bytes < MIN_SYNTHETIC_BYTES || bytes > 256 * 1024) throw usage(`--payload synthetic:<bytes> takes ${MIN_SYNTHETIC_BYTES} to 262144 bytes, got ${bytes}`)
  return { type: 'synthetic', bytes }
}

/** The runs to make: several targets, a pipeline, generator, node count or MQTT version comparison, or a single run. */
export function parseVariants(
  targetList: string,
  pipeline: PipelineMode,
  engine: EngineName,
  compare: string | undefined,
  mqttVersion: MqttVersion = DEFAULT_MQTT_VERSION,
): Variant[] {
  const targets = targetList.split(',').map((t) => parseTarget(t.trim(), pipeline))
  // A variant without a version runs 3.1.1: default runs are described exactly as before versions existed.
  const version = mqttVersion === DEFAULT_MQTT_VERSION ? {} : { mqttVersion }
  if (!compare) return targets.map((target) => ({ label: describeTarget(target), target, engine, ...version }))
  if (targets.length > 1) throw usage('--compare runs on one --target; compare targets by listing them in --target instead')
  const match = /^(pipeline|generator|nodes|mqtt-version)=([a-z0-9.]+(?:,[a-z0-9.]+)+)$/.exec(compare)
  if (!match) throw usage(`--compare takes pipeline=off,on, generator=wardlab,mqttjs, nodes=1,2 or mqtt-version=3.1.1,5, got "${compare}"`)
  const values = match[2]!.split(',')
  if (match[1] === 'mqtt-version') {
    if (!values.every(isMqttVersion)) throw usage(`--compare mqtt-version= takes ${MQTT_VERSIONS.join(' and ')}, got "${match[2]}"`)
    // --mqtt-version gives way: the compared versions are the point of the run.
    return values.map((v) => ({ label: `MQTT ${v}`, target: targets[0]!, engine, mqttVersion: v }))
  }
  if (match[1] === 'nodes') {
    // Every count runs as a cluster on Redis, one node included, so the node count is all that differs.
    const target = targets[0]!
    if (target.type !== 'embedded' && target.type !== 'cluster')
      throw usage('--compare nodes=... needs --target embedded or cluster:N: the bench starts the nodes itself')
    return values.map((v) => ({ label: `nodes ${v}`, target: parseTarget(`cluster:${v}`, target.pipeline), engine, ...version }))
  }
  if (match[1] === 'pipeline') {
    if (targets[0]!.type !== 'embedded') throw usage('--compare pipeline=... needs --target embedded: only the embedded broker has a pipeline')
    if (values.some((v) => !(PIPELINE_MODES as readonly string[]).includes(v)))
      throw usage(`--compare pipeline= takes ${PIPELINE_MODES.join(', ')}, got "${match[2]}"`)
    return values.map((v) => ({ label: `pipeline ${v}`, target: { type: 'embedded', pipeline: v as PipelineMode } satisfies TargetSpec, engine, ...version }))
  }
  if (values.some((v) => !(ENGINES as readonly string[]).includes(v))) throw usage(`--compare generator= takes ${ENGINES.join(' and ')}, got "${match[2]}"`)
  return values.map((v) => ({ label: `generator ${v}`, target: targets[0]!, engine: v as EngineName, ...version }))
}

/**
 * The broker profiles of this run, main threads only (`CPU.<date>.<time>.<pid>.0.<n>.cpuprofile`),
 * in the order the runs were made, each with its breakdown.
 */
function profileReport(dir: string, report: BenchReport): string {
  // Each broker's main thread (CPU.….0.n.cpuprofile; pipeline workers and tsx's loader are other threads).
  const pick = (folder: string, target: (r: BenchReport['runs'][number]) => boolean) => {
    const runs = report.runs.filter((r) => r.broker && target(r))
    const files = existsSync(folder) ? readdirSync(folder) : []
    const profiles = files
      .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
      .sort()
      .slice(-runs.length)
    // Over the measured window when the run says where it was (the broker's start-up left out), else the whole profile.
    return profiles.map((file, i) => {
      const window = runs[i]?.measuredWindow
      return { file: join(folder, file), run: runs[i], messages: window ? window.delivered : (runs[i]?.totals.sent ?? 0), window }
    })
  }
  const title = (file: string, run: BenchReport['runs'][number] | undefined) =>
    `\n${run ? `${run.variant}${report.settings.rounds > 1 ? ` #${run.round + 1}` : ''}` : file} — ${file}\n`
  return [
    ...pick(dir, (r) => r.target.startsWith('embedded')).map(
      ({ file, run, messages, window }) => `${title(file, run)}${formatBreakdown(file, messages, window)}\n${formatLayerBreakdown(file, messages, window)}\n`,
    ),
    ...pick(join(dir, BARE_AEDES_PROFILES), (r) => r.target === 'aedes').map(
      ({ file, run, messages, window }) => `${title(file, run)}${formatLayerBreakdown(file, messages, window)}\n`,
    ),
  ].join('')
}
