import { mkdirSync, writeFileSync } from 'node:fs'
import { hl7LabOptions, hl7LinkOptions } from '../hl7-options.ts'
import { dirname, extname, join } from 'node:path'
import { loadScenario } from '../../scenarios/load.ts'
import { renderHtmlReport } from '../../scenarios/report-html.ts'
import { formatSummary, progressLine } from '../../scenarios/report-terminal.ts'
import type { RunProgress } from '../../scenarios/runner.ts'
import { EXIT, WardlabError } from '../../util/errors.ts'
import { mqttVersionFlag, mqttVersionOverrideOption } from '../mqtt-version-option.ts'
import { defineCommand } from '../options.ts'
import { paint, useColour } from '../colour.ts'
import { fileLogger } from '../log-file.ts'
import { renderJunit } from '../../scenarios/junit.ts'
import { parseSpeed } from '../speed-option.ts'

export const runCommand = defineCommand({
  name: 'run',
  usage: 'wardlab run <scenario.yaml> [--speed N|max] [--mqtt-version 3.1.1|5] [--report run.json] [--html run.html]',
  positionals: [{ name: 'scenario', required: true, description: 'the scenario YAML file' }],
  options: {
    speed: { type: 'string', placeholder: 'N|max', description: "simulated seconds per wall second, or max (default: the scenario's own)" },
    ...mqttVersionOverrideOption("MQTT version of the simulated devices and the run's clients (default: the scenario's own, else 3.1.1)"),
    report: {
      type: 'string',
      placeholder: 'file.json|file.html',
      description: "write the report here, JSON or self-contained HTML by the file name's extension",
    },
    html: { type: 'string', placeholder: 'file', description: 'write a self-contained HTML report here' },
    output: { type: 'string', placeholder: 'dir', description: "folder for the run's pipeline files (default .wardlab/runs/<scenario>-<time>)" },
    port: { type: 'port', default: 0, description: 'MQTT port to watch the run from (0 picks a free one)' },
    'export-dataset': {
      type: 'string',
      placeholder: 'dir',
      description:
        'write a labelled dataset of the run: packets.pcapng (labels in packet comments), mqttset.csv, packets.csv, messages.jsonl and registry.yaml (for replay --registry)',
    },
    dashboard: { type: 'boolean', description: 'serve the live dashboard during the run (pair with --speed to watch it)' },
    'http-port': { type: 'port', default: 8080, description: 'HTTP port of the dashboard with --dashboard (0 picks a free one)' },
    'ws-port': { type: 'port', default: 8083, description: 'MQTT over WebSocket port the dashboard reads, with --dashboard' },
    broker: {
      type: 'string',
      placeholder: 'url',
      description: 'run against this broker (mqtt://host:port) instead of the embedded one; the pipeline subscribes there',
    },
    'broker-username': { type: 'string', placeholder: 'name', description: "username of wardlab's pipeline client on --broker" },
    'broker-password': { type: 'string', placeholder: 'secret', description: "password of wardlab's pipeline client on --broker" },
    ...hl7LinkOptions,
    junit: { type: 'string', placeholder: 'file', description: 'write JUnit XML here: a test case per expectation, for CI test reports' },
    'log-level': {
      type: 'enum',
      values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: "pino log level of the run's log, <output>/wardlab.log (stdout keeps the summary alone)",
    },
  },
  async run(options, [file]) {
    // Checked before the run: a report that cannot be written must not cost one.
    const reportFormat = options.report === undefined ? undefined : formatOf(options.report)
    const scenario = await loadScenario(file!)
    // Loaded once the input is known good: `wardlab run --help` and a bad file need no lab.
    const { runScenario } = await import('../../scenarios/runner.ts')
    const { openLab } = await import('../../lab/open-lab.ts')
    const speed = parseSpeed('run', options.speed)
    const mqttVersion = options['mqtt-version'] === undefined ? undefined : mqttVersionFlag('run', options['mqtt-version'])
    const outputDir = options.output ?? join('.wardlab', 'runs', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    const logFile = join(outputDir, 'wardlab.log')
    const log = fileLogger(logFile, options['log-level'])
    const tty = Boolean(process.stderr.isTTY)
    let last = { at: performance.now(), received: 0, loggedTenth: -1 }
    const onProgress = (p: RunProgress) => {
      const now = performance.now()
      const rate = ((p.received - last.received) * 1000) / Math.max(1, now - last.at)
      last = { ...last, at: now, received: p.received }
      if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p.simulatedMs, p.durationMs, rate, p.alerts)}`)
      else {
        const tenth = Math.floor((p.simulatedMs / p.durationMs) * 10)
        if (tenth > last.loggedTenth) {
          last.loggedTenth = tenth
          log.info({ progress: `${tenth * 10}%`, received: p.received, alerts: p.alerts }, 'scenario progress')
        }
      }
    }
    const broker = options.broker
      ? {
          url: options.broker,
          ...(options['broker-username'] ? { username: options['broker-username'] } : {}),
          ...(options['broker-password'] ? { password: options['broker-password'] } : {}),
        }
      : undefined
    // The order listener a run opens itself when its timeline sends orders; --hl7 names the receivers.
    const hl7 = hl7LabOptions('run', options, '127.0.0.1')
    const report = await runScenario(scenario, {
      openLab,
      log,
      outputDir,
      ...(speed !== undefined ? { speed } : {}),
      ...(mqttVersion ? { mqttVersion } : {}),
      listen: { host: '127.0.0.1', port: options.port },
      onProgress,
      ...(broker ? { broker } : {}),
      ...(hl7 ? { hl7: { links: hl7.links } } : {}),
      ...(options['export-dataset'] ? { exportDataset: options['export-dataset'] } : {}),
      ...(options.dashboard ? { dashboard: { host: '127.0.0.1', httpPort: options['http-port'], wsPort: options['ws-port'] } } : {}),
      onStarted: (lab) => {
        if (lab.dashboardUrl) process.stderr.write(`dashboard: ${lab.dashboardUrl}\n`)
      },
    })
    if (tty) process.stderr.write('\r\x1b[2K')
    process.stdout.write(formatSummary(report, paint(useColour(process.stdout))))
    process.stdout.write(`log: ${logFile}\n`)
    if (options.report) write(options.report, reportFormat === 'html' ? renderHtmlReport(report) : `${JSON.stringify(report, null, 2)}\n`)
    if (options.junit) write(options.junit, renderJunit(report))
    if (options.html) write(options.html, renderHtmlReport(report))
    return report.passed ? EXIT.passed : EXIT.failed
  },
})

/** `--report run.html` is an HTML report, `run.json` a JSON one; anything else is refused rather than guessed. */
function formatOf(file: string): 'json' | 'html' {
  const extension = extname(file).toLowerCase()
  if (extension === '.json') return 'json'
  if (extension === '.html' || extension === '.htm') return 'html'
  throw new WardlabError('WL_USAGE', `wardlab run: --report ${file}: name a .json or .html file (the format follows the extension)`)
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}
