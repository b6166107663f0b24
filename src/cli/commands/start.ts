import { join } from 'node:path'
import type { ListenerSpec } from '../../broker/listeners.ts'
import { loadPipelineConfig } from '../../pipeline/config.ts'
import { PROFILES, type ProfileName } from '../../broker/profile.ts'
import { mountDashboard } from '../../dashboard/mount.ts'
import { Lab } from '../../lab/lab.ts'
import { createLogger } from '../../util/log.ts'
import { WardlabError } from '../../util/errors.ts'
import { labFileOptions, openLabFiles } from '../lab-files.ts'
import { defineCommand } from '../options.ts'
import { startStatusLine } from '../status-line.ts'

export const startCommand = defineCommand({
  name: 'start',
  summary: 'run the broker, the simulated ward and the pipeline until Ctrl-C',
  usage: 'wardlab start [options]',
  options: {
    host: { type: 'string', default: '127.0.0.1', placeholder: 'address', description: 'address to listen on (0.0.0.0 to let real devices on the network in)' },
    port: { type: 'port', default: 1883, description: 'MQTT/TCP port (0 picks a free one)' },
    'ws-port': { type: 'port', default: 8083, description: 'MQTT over WebSocket port (0 picks a free one)' },
    'http-port': { type: 'port', default: 8080, description: 'HTTP port for /metrics (Prometheus) and the dashboard (0 picks a free one)' },
    'tls-port': { type: 'port', default: 8883, description: 'MQTT over TLS port, opened when --tls-cert and --tls-key are given' },
    'tls-cert': { type: 'string', placeholder: 'file', description: 'PEM certificate for the TLS listener' },
    'tls-key': { type: 'string', placeholder: 'file', description: 'PEM private key for the TLS listener' },
    profile: { type: 'enum', values: PROFILES, default: 'lab', description: 'lab: anonymous read-only observers allowed; strict: every client authenticates' },
    ...labFileOptions,
    pipeline: { type: 'string', placeholder: 'file', description: 'pipeline YAML: stages, sinks and routes (default: the built-in one)' },
    output: { type: 'string', placeholder: 'dir', description: "folder for this run's alerts, FHIR NDJSON and quarantine files (default <data-dir>/runs/<start time>)" },
    seed: { type: 'string', default: 'wardlab', description: 'seed for patients and device telemetry' },
    speed: { type: 'number', default: 1, min: 0.001, description: 'simulated time runs this many times faster than real time' },
    devices: { type: 'integer', min: 0, description: 'simulate only the first N registry devices (0: broker only; default all)' },
    'log-level': { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'pino log level (default info)' },
  },
  async run(options) {
    const log = createLogger(options['log-level'] ? { level: options['log-level'] } : {})
    if (Boolean(options['tls-cert']) !== Boolean(options['tls-key'])) {
      throw new WardlabError('WL_USAGE', 'wardlab start: --tls-cert and --tls-key go together')
    }
    const files = await openLabFiles(options, log, options.seed)
    const registry = options.devices === undefined ? files.registry : { ...files.registry, devices: limitSimulated(files.registry.devices, options.devices) }
    const listeners: ListenerSpec[] = [
      { kind: 'mqtt', host: options.host, port: options.port, flag: '--port' },
      { kind: 'ws', host: options.host, port: options['ws-port'], flag: '--ws-port' },
    ]
    if (options['tls-cert'] && options['tls-key']) {
      listeners.push({ kind: 'mqtts', host: options.host, port: options['tls-port'], flag: '--tls-port', tls: { certFile: options['tls-cert'], keyFile: options['tls-key'] } })
    }
    const outputDir = options.output ?? join(options['data-dir'], 'runs', new Date().toISOString().replace(/[:.]/g, '-'))
    const lab = await Lab.start({
      registry,
      provisioningKey: files.provisioningKey,
      profile: options.profile as ProfileName,
      listeners,
      seed: options.seed,
      speed: options.speed,
      simulate: true,
      log,
      outputDir,
      http: { host: options.host, port: options['http-port'] },
      ...(options.pipeline ? { pipeline: loadPipelineConfig(options.pipeline) } : {}),
    })
    mountDashboard(lab)
    printBanner(lab, options.profile as ProfileName, files.registryFile, outputDir)
    log.info({ listeners: lab.bound.map((b) => b.url), profile: options.profile, devices: lab.fleet?.devices.length ?? 0 }, 'wardlab started')
    const stopStatus = startStatusLine(() => lab.stats(), { log, tty: Boolean(process.stderr.isTTY) })
    return new Promise<number>((resolve) => {
      let stopping = false
      const shutdown = (signal: string) => {
        if (stopping) {
          log.warn('second signal: exiting without a clean shutdown')
          process.exit(130)
        }
        stopping = true
        stopStatus()
        log.info({ signal }, 'shutting down: devices disconnect, sinks flush')
        lab.stop().then(
          () => resolve(0),
          (err) => {
            log.error({ err }, 'shutdown failed')
            resolve(1)
          },
        )
      }
      process.on('SIGINT', () => shutdown('SIGINT'))
      process.on('SIGTERM', () => shutdown('SIGTERM'))
    })
  },
})

/** Keeps every real device and the first `count` simulated ones. */
function limitSimulated<D extends { simulated: boolean }>(devices: D[], count: number): D[] {
  let simulated = 0
  return devices.filter((d) => !d.simulated || simulated++ < count)
}

function printBanner(lab: Lab, profileName: ProfileName, registryFile: string, outputDir: string): void {
  const tcp = lab.bound.find((b) => b.kind === 'mqtt')
  const lines = ['', `wardlab is running: ${lab.registry.data.site} (profile ${profileName})`]
  for (const b of lab.bound) lines.push(`  ${b.kind.padEnd(6)} ${b.url}`)
  if (lab.http) lines.push(`  http   ${lab.http.url}/metrics`, `  dashboard ${lab.http.url}/`)
  lines.push(`  devices ${lab.fleet?.devices.length ?? 0} simulated, registry ${registryFile}`)
  lines.push(`  outputs alerts/#, fhir/#, ops/#, quarantine/#, security/alerts/# on the broker; files in ${outputDir}`)
  if (profileName === 'lab') {
    lines.push('  observers: anonymous clients may subscribe read-only, no credentials needed. Try:')
    lines.push(`    mosquitto_sub -h ${tcp ? new URL(tcp.url).hostname : '127.0.0.1'} -p ${tcp?.port ?? 1883} -t 'hospital/#' -v`)
  } else {
    lines.push('  observers: strict profile, every client needs credentials (wardlab user add --role observer)')
  }
  lines.push('  Ctrl-C stops cleanly.', '')
  process.stdout.write(lines.join('\n') + '\n')
}
