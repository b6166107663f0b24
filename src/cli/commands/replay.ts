import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ALERT_TYPES, type AlertType } from '../../contract/security-alert.ts'
import type { CaptureReplayReport } from '../../scenarios/capture-run.ts'
import { createLogger } from '../../util/log.ts'
import { EXIT, WardlabError } from '../../util/errors.ts'
import { loadRegistry } from '../../registry/load.ts'
import { formatScore, readLabels, scoreFlows } from '../../scenarios/label-scoring.ts'
import { defineCommand } from '../options.ts'
import { parseSpeed } from '../speed-option.ts'

/** Flows listed one per line at the most; the rest are counted (all are in the --report file). */
const FLOWS_SHOWN = 40

export const replayCommand = defineCommand({
  name: 'replay',
  usage: 'wardlab replay <file.pcap|file.pcapng> [--speed N|max] [--port N] [--window seconds] [--expect types|none] [--labels flows.csv] [--report out.json]',
  positionals: [{ name: 'capture', required: true, description: 'a pcap or pcapng capture; every TCP flow to port 1883 (or --port) is replayed' }],
  options: {
    speed: {
      type: 'string',
      default: '1',
      placeholder: 'N|max',
      description:
        'capture time runs this many times faster (the lab clock follows, so rates are the capture’s); max: a virtual clock on the capture’s timestamps, streamed as fast as the machine allows',
    },
    window: { type: 'number', min: 0.001, description: "replay only the capture's first N seconds" },
    port: {
      type: 'integer',
      min: 1,
      max: 65535,
      default: 1883,
      description: "the broker's TCP port in the capture: flows to it are replayed (a broker recorded on another port)",
    },
    expect: {
      type: 'string',
      placeholder: 'types|none',
      description: 'exit 1 unless these alert types (comma-separated) are raised; none: unless no attack alert is',
    },
    labels: {
      type: 'string',
      placeholder: 'flows.csv',
      description:
        'score against labels: a CSV with a flow or address column and a class (label, target) column; prints per-class precision, recall and a confusion matrix',
    },
    report: { type: 'string', placeholder: 'file', description: 'write the JSON report here (same shape as wardlab run: scenario, passed, alerts, …, flows)' },
    registry: {
      type: 'string',
      placeholder: 'file',
      description: 'hospital registry for the lab (default: an empty hospital; captures of generic MQTT need none)',
    },
    output: { type: 'string', placeholder: 'dir', description: "folder for the lab's pipeline files, kept (default: a temporary folder, removed at the end)" },
    'log-level': {
      type: 'enum',
      values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'error',
      description: 'pino log level (each alert is logged at warn)',
    },
  },
  async run(options, [file]) {
    const { replayCapture } = await import('../../scenarios/capture-run.ts')
    const { openLab } = await import('../../lab/open-lab.ts')
    // Without --output the lab's files are scratch: the report and the alerts on stdout are the result.
    const outputDir = options.output ?? mkdtempSync(join(tmpdir(), 'wardlab-replay-'))
    const report = await replayCapture({
      openLab,
      file: file!,
      speed: parseSpeed('replay', options.speed) ?? 1,
      serverPort: options.port,
      ...(options.window !== undefined ? { windowMs: options.window * 1000 } : {}),
      ...(options.expect !== undefined ? { expect: parseExpect(options.expect) } : {}),
      ...(options.registry ? { registry: loadRegistry(options.registry) } : {}),
      log: createLogger({ level: options['log-level'] }),
      outputDir,
    }).finally(() => {
      if (!options.output) rmSync(outputDir, { recursive: true, force: true })
    })
    const scoring = options.labels ? scoreFlows(report.flows, readLabels(options.labels)) : null
    process.stdout.write(summary(report))
    if (scoring) process.stdout.write(`${formatScore(scoring).join('\n')}\n`)
    if (options.report) {
      mkdirSync(dirname(options.report), { recursive: true })
      writeFileSync(options.report, `${JSON.stringify(scoring ? { ...report, scoring } : report, null, 2)}\n`)
    }
    return report.passed ? EXIT.passed : EXIT.failed
  },
})

function parseExpect(text: string): readonly AlertType[] | 'none' {
  if (text === 'none') return 'none'
  const types = text.split(',').map((t) => t.trim())
  const unknown = types.filter((t) => !(ALERT_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0)
    throw new WardlabError('WL_USAGE', `wardlab replay: --expect: unknown alert type ${unknown.join(', ')} (types: ${ALERT_TYPES.join(', ')}, or none)`)
  return types as AlertType[]
}

/** Per flow the alerts it raised, then the alerts by type and the verdict. */
export function summary(report: CaptureReplayReport): string {
  const { capture } = report
  const lines = [
    `${report.scenario}: ${capture.replayedFlows} of ${capture.flows} flows (${capture.format}) at ${report.speed === 'max' ? 'max speed' : `${report.speed}×`}, ${report.simulatedSeconds.toFixed(1)} s of capture in ${report.wallSeconds.toFixed(1)} s`,
  ]
  const raising = report.flows.filter((f) => f.alerts.length > 0)
  for (const flow of raising.slice(0, FLOWS_SHOWN)) lines.push(`  ${flow.id}  ${flow.outcome}  → ${flow.alerts.join(', ')}`)
  if (raising.length > FLOWS_SHOWN) lines.push(`  … and ${raising.length - FLOWS_SHOWN} more flows that raised alerts`)
  lines.push(`  ${report.flows.length - raising.length} flows raised no alert`)
  const resynced = report.flows.filter((f) => f.session.start === 'resynchronised').length
  const gaps = report.flows.reduce((n, f) => n + f.session.gaps, 0)
  const noDisconnect = report.flows.filter((f) => f.session.end !== 'disconnect').length
  lines.push(
    `  sessions: ${resynced} resynchronised mid-connection (synthetic anonymous CONNECT), ${gaps} capture gap(s) skipped, ${noDisconnect} ended without DISCONNECT`,
  )
  const counts = Object.entries(report.alertCounts)
  lines.push(counts.length === 0 ? 'alerts: none' : `alerts: ${counts.map(([type, n]) => `${type} ×${n}`).join(', ')}`)
  for (const e of report.expectations) lines.push(`  ${e.passed ? 'ok  ' : 'FAIL'} ${e.name}: ${e.detail}`)
  lines.push(report.passed ? 'passed' : 'failed')
  return `${lines.join('\n')}\n`
}
