import { cpus, loadavg, totalmem } from 'node:os'
import { openFileLimit } from './fd-budget.ts'
import type { EngineName } from './generator-plan.ts'
import { ratiosToBaseline, roundOrder } from './ratios.ts'
import type { BenchReport, BenchSettings, RunResult } from './result.ts'
import { runOnce } from './run.ts'
import type { LoadOptions } from './load-options.ts'
import type { TargetSpec } from './target-spec.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'

/** One side of a comparison: where the load goes, what generates it, and in which MQTT version. */
export interface Variant {
  label: string
  target: TargetSpec
  engine: EngineName
  /** 3.1.1 when left out. */
  mqttVersion?: MqttVersion
}

export interface BenchOptions {
  load: LoadOptions
  variants: Variant[]
  rounds: number
  outputDir: string
  command: string
  brokerExecArgv?: string[]
  /** Worker threads of the embedded broker's pipeline with `--pipeline on` (default 1, as `wardlab start`). */
  pipelineWorkers?: number
  progress?: (line: string) => void
}

/** The figures compared between variants, each as a ratio to the first variant. */
export const COMPARED_FIGURES: { figure: string; value: (run: RunResult) => number | null }[] = [
  { figure: 'delivered msg/s', value: (r) => r.rates.delivered },
  { figure: 'broker CPU µs per message', value: (r) => r.broker?.cpuUsPerMessage ?? null },
  { figure: "broker main thread's CPU µs per message", value: (r) => r.broker?.mainThreadUsPerMessage ?? null },
  { figure: 'Redis CPU µs per message', value: (r) => r.redis?.cpuUsPerMessage ?? null },
  { figure: 'brokers + Redis CPU µs per message', value: (r) => (r.broker && r.redis ? r.broker.cpuUsPerMessage + r.redis.cpuUsPerMessage : null) },
  { figure: 'p99 latency ms', value: (r) => r.latency?.p99 ?? null },
  { figure: 'generator messages per CPU-second', value: (r) => r.generator.messagesPerCpuSecond },
]

/**
 * Runs every variant once per round, alternating the order (ABBA) so drift on a shared machine
 * falls on both sides, and reports each figure as a ratio to the first variant with its spread.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  // Date and load average as the bench starts: the load others put on the machine is what to judge it by.
  const date = new Date().toISOString()
  const startMachine = machine()
  const runs: RunResult[] = []
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of roundOrder(options.variants, round)) {
      options.progress?.(`round ${round + 1}/${options.rounds}: ${variant.label}`)
      runs.push(
        await runOnce({
          load: options.load,
          target: variant.target,
          engine: variant.engine,
          ...(variant.mqttVersion ? { mqttVersion: variant.mqttVersion } : {}),
          variant: variant.label,
          round,
          outputDir: `${options.outputDir}/${variant.label.replace(/[^A-Za-z0-9_.-]+/g, '_')}-round${round + 1}`,
          ...(options.brokerExecArgv ? { brokerExecArgv: options.brokerExecArgv } : {}),
          ...(options.pipelineWorkers ? { pipelineWorkers: options.pipelineWorkers } : {}),
          ...(options.progress ? { progress: options.progress } : {}),
        }),
      )
    }
  }
  const baseline = options.variants[0]!.label
  const comparisons =
    options.variants.length < 2
      ? []
      : COMPARED_FIGURES.map(({ figure, value }) => ({
          figure,
          ratios: ratiosToBaseline(
            runs.flatMap((r) => {
              const v = value(r)
              return v === null ? [] : [{ round: r.round, variant: r.variant, value: v }]
            }),
            baseline,
          ),
        })).filter((c) => c.ratios.some((r) => r.perRound.length > 0))
  return { tool: 'wardlab bench', date, machine: startMachine, command: options.command, settings: settingsOf(options), runs, comparisons }
}

export function machine(): BenchReport['machine'] {
  const cores = cpus()
  return {
    cpus: cores.length,
    model: cores[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    openFileLimit: openFileLimit(),
  }
}

export function settingsOf(options: BenchOptions): BenchSettings {
  const { key: _key, payload, ...load } = options.load
  return { ...load, payload: payload.type === 'fleet' ? 'fleet' : `synthetic:${payload.bytes}`, rounds: options.rounds }
}
