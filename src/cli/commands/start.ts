import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ListenerSpec } from '../../broker/listeners.ts'
import { DEFAULT_HEARTBEAT_MS, TOPIC_ALIAS_MAXIMUM } from '../../broker/create-broker.ts'
import { OFFLINE_QUEUE_LIMIT } from '../../broker/offline-queue-limit.ts'
import { MAX_PACKET_BYTES, PARTIAL_PACKET_DEADLINE_MS } from '../../broker/packet-size-limit.ts'
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from '../../security/config.ts'
import { PROFILES, type ProfileName } from '../../broker/profile.ts'
import { RETAINED_QUOTA } from '../../broker/retained-quota.ts'
import { DEFAULT_MAX_SESSION_EXPIRY_S } from '../../broker/session-expiry.ts'
import type { Lab } from '../../lab/lab.ts'
import { createLogger, defaultLogLevel } from '../../util/log.ts'
import { useColour } from '../colour.ts'
import { LiveTerminal } from '../live-terminal.ts'
import { EXIT, WardlabError } from '../../util/errors.ts'
import { hl7LabOptions, hl7Options, hl7StopReport } from '../hl7-options.ts'
import { labFileOptions, openLabFiles } from '../lab-files.ts'
import { mqttVersionFlag, mqttVersionOption } from '../mqtt-version-option.ts'
import { defineCommand, type OptionSpecs, type ParsedOptions } from '../options.ts'
import { startStatusLine } from '../status-line.ts'
import { superviseNodes } from '../node-supervisor.ts'
import { ALL_DEVICES_FILTER } from '../../contract/topics.ts'
import { onStopSignals } from '../stop-signals.ts'
import { watchRegistry } from '../registry-watch.ts'
import type { Registry } from '../../registry/schema.ts'

const startOptions = {
  host: { type: 'string', default: '127.0.0.1', placeholder: 'address', description: 'address to listen on (0.0.0.0 to let real devices on the network in)' },
  port: { type: 'port', default: 1883, canBeOff: true, description: 'MQTT/TCP port (0 picks a free one; off: no plaintext MQTT, e.g. with TLS on)' },
  'ws-port': { type: 'port', default: 8083, canBeOff: true, description: 'MQTT over WebSocket port (0 picks a free one; off: none)' },
  'http-port': {
    type: 'port',
    default: 8080,
    canBeOff: true,
    description:
      "HTTP port for /metrics (Prometheus) and the dashboard (0 picks a free one; off: none); in the strict profile it asks for a registry user's credentials",
  },
  'tls-port': { type: 'port', default: 8883, description: 'MQTT over TLS port, opened when --tls-cert and --tls-key are given' },
  'tls-cert': { type: 'string', placeholder: 'file', description: 'PEM certificate for the TLS listener' },
  'tls-key': { type: 'string', placeholder: 'file', description: 'PEM private key for the TLS listener' },
  profile: {
    type: 'enum',
    values: PROFILES,
    default: 'lab',
    description:
      "lab: anonymous read-only observers allowed; strict: every client authenticates; open: lab, and unknown user names connect anonymously (for testing a client's protocol behaviour)",
  },
  'max-session-expiry': {
    type: 'integer',
    default: DEFAULT_MAX_SESSION_EXPIRY_S,
    min: 0,
    description: 'longest a persistent session outlives its connection, in seconds, for MQTT 5 and 3.1.1 clients (0: no limit)',
  },
  'max-queued-messages': {
    type: 'integer',
    default: OFFLINE_QUEUE_LIMIT.messages,
    min: 1,
    description: 'messages one persistent session may have queued; newer ones are not queued for it, and counted (queue-full)',
  },
  'max-queued-bytes': { type: 'integer', default: OFFLINE_QUEUE_LIMIT.bytes, min: 1, description: 'bytes one persistent session may have queued' },
  'max-retained-messages': {
    type: 'integer',
    default: RETAINED_QUOTA.messages,
    min: 1,
    description: 'retained messages one identity may keep (all anonymous clients share one allowance)',
  },
  'max-retained-bytes': { type: 'integer', default: RETAINED_QUOTA.bytes, min: 1, description: 'bytes of retained messages one identity may keep' },
  'max-packet-size': {
    type: 'integer',
    default: MAX_PACKET_BYTES,
    min: 1024,
    max: 268_435_455,
    description: 'largest packet a client may send, in bytes, on every listener; a larger one closes its connection before its bytes arrive',
  },
  'max-connections-per-address': {
    type: 'integer',
    default: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    min: 0,
    description: 'connections one address may hold at once, counted before login; more are refused (0: no limit)',
  },
  'partial-packet-timeout': {
    type: 'number',
    default: PARTIAL_PACKET_DEADLINE_MS / 1000,
    min: 0.1,
    description: 'seconds a client may take to finish a packet it has begun, keep-alive or not',
  },
  heartbeat: {
    type: 'number',
    default: DEFAULT_HEARTBEAT_MS / 1000,
    min: 0.1,
    description:
      "seconds between the broker's heartbeats: a node silent for 3 is dead, and the wills its clients left (or a crashed previous run left) are published every 4",
  },
  'topic-alias-max': {
    type: 'integer',
    default: TOPIC_ALIAS_MAXIMUM,
    min: 0,
    max: 65535,
    description: 'topic aliases an MQTT 5 client may set up towards the broker (0: none)',
  },
  ...labFileOptions,
  pipeline: { type: 'string', placeholder: 'file', description: 'pipeline YAML: stages, sinks and routes (default: the built-in one)' },
  ...hl7Options,
  'pipeline-workers': {
    type: 'integer',
    default: 1,
    min: 0,
    max: 64,
    description: "run the pipeline in N worker threads, messages sharded by patient, so the broker's thread only relays (0: on the broker's thread)",
  },
  output: {
    type: 'string',
    placeholder: 'dir',
    description: "folder for this run's alerts, FHIR NDJSON and quarantine files (default <data-dir>/runs/<start time>)",
  },
  persistence: {
    type: 'string',
    placeholder: 'dir',
    description:
      'keep persistent sessions, their queued QoS 1 messages and retained messages in a LevelDB here, so they survive a restart (default: in memory)',
  },
  seed: { type: 'string', default: 'wardlab', description: 'seed for patients and device telemetry' },
  speed: { type: 'number', default: 1, min: 0.001, description: 'simulated time runs this many times faster than real time' },
  devices: { type: 'integer', min: 0, description: 'simulate only the first N registry devices (0: broker only; default all)' },
  ...mqttVersionOption('MQTT version the simulated devices connect with (the broker serves both)'),
  cluster: {
    type: 'string',
    placeholder: 'redis://host:port',
    description: 'join the broker nodes on this Redis: messages, sessions, retained messages and global detector state are shared',
  },
  'node-id': { type: 'string', placeholder: 'id', description: "this node's id in the cluster (default: random; distinct per node)" },
  nodes: {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'start N cluster nodes on this machine, as child processes on consecutive ports (needs --cluster)',
  },
  'log-level': { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'pino log level (default info)' },
} as const satisfies OptionSpecs

export const startCommand = defineCommand({
  name: 'start',
  usage: 'wardlab start [options]',
  options: startOptions,
  async run(options) {
    // In a terminal, one owner for the status line and the log lines; elsewhere JSON lines for machines.
    const terminal = process.stdout.isTTY ? new LiveTerminal(process.stdout) : null
    const level = options['log-level'] ?? defaultLogLevel()
    const log = terminal ? terminal.logger(level, useColour(process.stdout)) : createLogger({ level, pretty: false })
    const mqttVersion = mqttVersionFlag('start', options['mqtt-version'])
    if (Boolean(options['tls-cert']) !== Boolean(options['tls-key'])) {
      throw new WardlabError('WL_USAGE', 'wardlab start: --tls-cert and --tls-key go together')
    }
    if (options.persistence && options.cluster) {
      throw new WardlabError('WL_USAGE', 'wardlab start: --persistence keeps sessions in a folder on this machine, --cluster keeps them in Redis; choose one')
    }
    if (options.nodes > 1) return startLocalNodes(options, log)
    // Loaded here, not at the top: `wardlab start --help` should not load the broker, simulator and pipeline.
    const [{ Lab }, { mountDashboard }, { loadPipelineConfig }] = await Promise.all([
      import('../../lab/lab.ts'),
      import('../../dashboard/mount.ts'),
      import('../../pipeline/config.ts'),
    ])
    const files = await openLabFiles(options, log, options.seed)
    // --devices limits the simulation of every registry this run loads, the first and each edit.
    const simulated = (r: Registry): Registry => (options.devices === undefined ? r : { ...r, devices: limitSimulated(r.devices, options.devices) })
    const registry = simulated(files.registry)
    const listeners = listenerSpecs(options)
    const outputDir = options.output ?? defaultRunFolder(options['data-dir'])
    const hl7 = hl7LabOptions('start', options, options.host)
    const lab = await withoutEmptyFolderOnFailure(outputDir, () =>
      Lab.start({
        registry,
        provisioningKey: files.provisioningKey,
        profile: options.profile as ProfileName,
        listeners,
        seed: options.seed,
        speed: options.speed,
        simulate: true,
        mqttVersion,
        log,
        outputDir,
        ...(options['http-port'] === null ? {} : { http: { host: options.host, port: options['http-port'] } }),
        ...(options.persistence ? { persistenceDir: options.persistence } : {}),
        ...(options.cluster ? { cluster: { url: options.cluster, ...(options['node-id'] ? { nodeId: options['node-id'] } : {}) } } : {}),
        ...(options.pipeline ? { pipeline: loadPipelineConfig(options.pipeline) } : {}),
        pipelineWorkers: options['pipeline-workers'],
        ...(hl7 ? { hl7 } : {}),
        offlineQueueLimit: { messages: options['max-queued-messages'], bytes: options['max-queued-bytes'] },
        retainedQuota: { messages: options['max-retained-messages'], bytes: options['max-retained-bytes'] },
        packetLimits: { maxBytes: options['max-packet-size'], partialMs: options['partial-packet-timeout'] * 1000 },
        security: { maxConnectionsPerAddress: options['max-connections-per-address'] },
        brokerLimits: {
          sessionExpiryIntervalLimit: options['max-session-expiry'],
          topicAliasMaximum: options['topic-alias-max'],
          heartbeatInterval: options.heartbeat * 1000,
        },
      }),
    )
    if (lab.http) mountDashboard(lab)
    // Watching before the banner: from `wardlab started` on, `wardlab device add` takes effect here.
    const registryWatch = watchRegistry(files.registryFile, (next) => lab.applyRegistry(simulated(next)), log)
    let stopStatus = () => {}
    return new Promise<number>((resolve) => {
      // Taken before the banner: a Ctrl-\ typed the moment the lab says it is up must find the
      // terminal's keys already wardlab's (raw mode), not turn into a SIGQUIT that kills it silently.
      const signals = onStopSignals(
        {
          stop(signal) {
            stopStatus()
            log.info({ signal }, 'shutting down: devices disconnect, sinks flush')
            registryWatch
              .close()
              .then(() => lab.stop())
              .then(
                () => {
                  signals.dispose()
                  if (lab.hl7) process.stdout.write(`${hl7StopReport(lab.hl7.stats()).join('\n')}\n`)
                  resolve(0)
                },
                (err) => {
                  log.error({ err }, 'shutdown failed')
                  resolve(EXIT.runtime)
                },
              )
          },
          force(signal) {
            log.warn({ signal }, signal === 'SIGQUIT' ? 'Ctrl-\\: exiting without a clean shutdown' : 'second signal: exiting without a clean shutdown')
            process.exit(130)
          },
        },
        { keyboard: process.stdin },
      )
      printBanner(lab, options.profile as ProfileName, files.registryFile, outputDir, (text) => (terminal ? terminal.print(text) : process.stdout.write(text)))
      if (options.profile === 'open')
        log.warn(
          'profile open: anyone who can reach these ports may connect, with any user name the registry does not know, and publish outside hospital/ and the outputs',
        )
      log.info({ listeners: lab.bound.map((b) => b.url), profile: options.profile, devices: lab.fleet?.devices.length ?? 0 }, 'wardlab started')
      stopStatus = startStatusLine(() => lab.stats(), { log, terminal })
    })
  },
})

type StartOptions = ParsedOptions<typeof startOptions>

/** The MQTT listeners the flags ask for; none at all is a mistake, since no client could connect. */
function listenerSpecs(options: StartOptions): ListenerSpec[] {
  const listeners: ListenerSpec[] = []
  if (options.port !== null) listeners.push({ kind: 'mqtt', host: options.host, port: options.port, flag: '--port' })
  if (options['ws-port'] !== null) listeners.push({ kind: 'ws', host: options.host, port: options['ws-port'], flag: '--ws-port' })
  if (options['tls-cert'] && options['tls-key']) {
    listeners.push({
      kind: 'mqtts',
      host: options.host,
      port: options['tls-port'],
      flag: '--tls-port',
      tls: { certFile: options['tls-cert'], keyFile: options['tls-key'] },
    })
  }
  if (listeners.length === 0) {
    throw new WardlabError(
      'WL_USAGE',
      'wardlab start: every MQTT listener is off (--port off, --ws-port off, and no --tls-cert/--tls-key): no client could connect. Keep one, or turn TLS on.',
    )
  }
  return listeners
}

/** Ports each node takes: the given ones plus its index, or 0 (any free one) for every node. */
const PORT_OPTIONS = ['port', 'ws-port', 'http-port', 'tls-port'] as const

/**
 * `--nodes N`: N `wardlab start` processes on consecutive ports, all on the same Redis. Each
 * prints its own banner with its ports; only node 1 simulates devices unless --devices says
 * otherwise, so the ward is not simulated N times over.
 */
function startLocalNodes(options: StartOptions, log: ReturnType<typeof createLogger>): Promise<number> {
  if (!options.cluster) throw new WardlabError('WL_USAGE', 'wardlab start --nodes: the nodes share a Redis, give it with --cluster redis://host:port')
  const nodeId = options['node-id'] ?? 'wardlab'
  const runFolder = options.output ?? defaultRunFolder(options['data-dir'])
  const nodes = Array.from({ length: options.nodes }, (_, index) => {
    const name = `${nodeId}-${index + 1}`
    // One run folder, a subfolder per node: their sinks must not write the same files.
    const nodeOptions: Record<string, unknown> = { ...options, nodes: undefined, 'node-id': name, output: join(runFolder, name) }
    for (const name of PORT_OPTIONS) {
      const port = options[name]
      if (port !== 0 && port !== null) nodeOptions[name] = port + index
    }
    if (index > 0 && options.devices === undefined) nodeOptions.devices = 0
    const ports = PORT_OPTIONS.map((name) => `${name} ${nodeOptions[name] === 0 ? 'any free' : (nodeOptions[name] ?? 'off')}`).join(', ')
    return { name, ports, args: ['start', ...optionArgs(nodeOptions)] }
  })
  for (const node of nodes) process.stdout.write(`starting ${node.name}: ${node.ports}\n`)
  return superviseNodes(nodes, log)
}

/**
 * A start that fails (a port in use, a bad certificate) must not leave a run folder behind for
 * every attempt. The sinks open their files before the listeners bind, so the folder goes again
 * if this start made it and every file in it is still empty.
 */
async function withoutEmptyFolderOnFailure<T>(folder: string, start: () => Promise<T>): Promise<T> {
  const existed = existsSync(folder)
  try {
    return await start()
  } catch (err) {
    if (!existed && existsSync(folder) && holdsNothing(folder)) rmSync(folder, { recursive: true })
    throw err
  }
}

function holdsNothing(folder: string): boolean {
  return readdirSync(folder, { withFileTypes: true }).every((entry) => {
    const path = join(folder, entry.name)
    return entry.isDirectory() ? holdsNothing(path) : statSync(path).size === 0
  })
}

function defaultRunFolder(dataDir: string): string {
  return join(dataDir, 'runs', new Date().toISOString().replace(/[:.]/g, '-'))
}

/** Parsed options back to command-line arguments, as startCommand declares them. */
function optionArgs(values: Record<string, unknown>): string[] {
  const args: string[] = []
  for (const [name, spec] of Object.entries(startOptions) as [string, OptionSpecs[string]][]) {
    const value = values[name]
    if (value === undefined || value === false) continue
    if (spec.type === 'boolean') args.push(`--${name}`)
    else args.push(`--${name}`, value === null ? 'off' : String(value))
  }
  return args
}

/** Keeps every real device and the first `count` simulated ones. */
function limitSimulated<D extends { simulated: boolean }>(devices: D[], count: number): D[] {
  let simulated = 0
  return devices.filter((d) => !d.simulated || simulated++ < count)
}

function printBanner(lab: Lab, profileName: ProfileName, registryFile: string, outputDir: string, write: (text: string) => void): void {
  const tcp = lab.bound.find((b) => b.kind === 'mqtt')
  const lines = ['', `wardlab is running: ${lab.registry.data.site} (profile ${profileName})`]
  for (const b of lab.bound) lines.push(`  ${b.kind.padEnd(6)} ${b.url}   MQTT 5.0, 3.1.1, 3.1`)
  if (lab.http) lines.push(`  http   ${lab.http.url}/metrics`, `  dashboard ${lab.http.url}/`)
  for (const link of lab.hl7?.gateway.links ?? []) lines.push(`  hl7    ${link.config.url}   IHE PCD-01/PCD-04, HL7 v2.6 over MLLP`)
  if (lab.hl7?.ordersPort)
    lines.push(
      `  hl7-listen mllp://${lab.bound[0] ? new URL(lab.bound[0].url).hostname : '127.0.0.1'}:${lab.hl7.ordersPort}   IHE PCD-03 RGV^O15 infusion orders`,
    )
  lines.push(`  devices ${lab.fleet?.devices.length ?? 0} simulated, registry ${registryFile} (followed: device/user add and remove take effect now)`)
  lines.push(`  outputs alerts/#, fhir/#, ops/#, quarantine/#, security/alerts/# on the broker; files in ${outputDir}`)
  if (profileName !== 'strict') {
    lines.push('  observers: anonymous clients may subscribe read-only, no credentials needed. Try:')
    lines.push(`    mosquitto_sub -h ${tcp ? new URL(tcp.url).hostname : '127.0.0.1'} -p ${tcp?.port ?? 1883} -t '${ALL_DEVICES_FILTER}' -v`)
    lines.push('    (add -V 5 for MQTT 5: every listener serves 5.0, 3.1.1 and 3.1 side by side)')
  } else {
    lines.push('  observers: strict profile, every client needs credentials (wardlab user add --role observer),')
    lines.push('    and so do the dashboard and /metrics (HTTP Basic, a registry user: observer, operator or admin)')
  }
  lines.push('  Ctrl-C stops cleanly.', '')
  write(`${lines.join('\n')}\n`)
}
