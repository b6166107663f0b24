import { cpus, loadavg } from 'node:os'
import { MONITOR_CODES } from '../contract/devices/monitor-parameters.ts'
import type { DeviceInput } from '../clinical/hl7/inputs.ts'
import { buildPcd01 } from '../clinical/hl7/pcd01.ts'
import { observationsFromTelemetry } from '../clinical/hl7/telemetry-observations.ts'
import { MllpLink } from '../hl7/link.ts'

/**
 * PCD-01 throughput of one MLLP link (`wardlab bench --hl7 mllp://…`): a ward of N beds (one
 * bedside monitor each) charts `rounds` times; every chart is one ORU^R01 with the monitor's 8
 * vitals, all queued at once and sent as the link sends (one in flight, the next after its ACK).
 * Reports messages per second end to end, the link's ACK latency, the cost of building the
 * messages alone, and the machine's load while it ran (the figure is only as good as the quiet).
 */
export interface Hl7BenchResult {
  beds: number
  rounds: number
  messages: number
  drained: boolean
  acknowledged: number
  deadLettered: number
  messagesPerSecond: number
  ackLatencyMs: { p50: number; p90: number; p99: number; max: number }
  averageMessageBytes: number
  buildOnlyMessagesPerSecond: number
  receiver: string
  machine: { cores: number; loadAverage1mBefore: number; loadAverage1mAfter: number; benchCpuPercent: number }
}

const T0 = Date.UTC(2026, 0, 1)

function ward(beds: number): DeviceInput[] {
  return Array.from({ length: beds }, (_, i) => ({
    id: `mon-${i + 1}`,
    kind: 'bedside-monitor',
    location: { ward: `W${Math.floor(i / 25) + 1}`, bed: String(i + 1) },
    patient: { id: `p-${i + 1}`, family: `Patient${i + 1}`, given: 'Test' },
  }))
}

function chart(device: DeviceInput, round: number, bed: number) {
  const vitals = {
    heartRate: 60 + ((bed + round) % 40),
    pulseRate: 61 + ((bed + round) % 40),
    spo2: 94 + (bed % 6),
    respiratoryRate: 12 + (bed % 8),
    temperature: 36.5 + (bed % 10) / 10,
    nibpSystolic: 110 + (bed % 30),
    nibpDiastolic: 70 + (bed % 15),
    nibpMean: 85 + (bed % 20),
  }
  return {
    device,
    observations: observationsFromTelemetry(vitals, MONITOR_CODES, T0 + round * 60_000, { heartRate: { low: 50, high: 120 }, spo2: { low: 90 } }),
  }
}

export async function runHl7Bench(options: { url: string; beds: number; rounds: number; label?: string; timeoutMs?: number }): Promise<Hl7BenchResult> {
  const { beds, rounds } = options
  const fleet = ward(beds)
  const total = beds * rounds
  // The mapping alone, to tell it apart from the wire.
  const buildStart = performance.now()
  let built = 0
  for (let round = 0; round < rounds; round++)
    for (let bed = 0; bed < beds; bed++)
      built += buildPcd01(chart(fleet[bed]!, round, bed), { controlId: `B${round}.${bed}`, sequenceNumber: 1, at: T0 }).length
  const buildSeconds = (performance.now() - buildStart) / 1000

  const loadBefore = loadavg()[0]!
  const cpuBefore = process.cpuUsage()
  const link = new MllpLink({ url: options.url, queue: { maxMessages: total + 1, maxBytes: 1024 * 1024 * 1024 } })
  link.start()
  const start = performance.now()
  for (let round = 0; round < rounds; round++) for (let bed = 0; bed < beds; bed++) link.send((stamp) => buildPcd01(chart(fleet[bed]!, round, bed), stamp))
  const drained = await link.drain(options.timeoutMs ?? 10 * 60_000)
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const stats = link.stats()
  link.close()
  return {
    beds,
    rounds,
    messages: total,
    drained,
    acknowledged: stats.acknowledged,
    deadLettered: stats.deadLettered,
    messagesPerSecond: Math.round(stats.acknowledged / seconds),
    ackLatencyMs: { p50: stats.ackLatency.p50, p90: stats.ackLatency.p90, p99: stats.ackLatency.p99, max: stats.ackLatency.max },
    averageMessageBytes: Math.round(built / total),
    buildOnlyMessagesPerSecond: Math.round(total / buildSeconds),
    receiver: options.label ?? options.url,
    machine: {
      cores: cpus().length,
      loadAverage1mBefore: loadBefore,
      loadAverage1mAfter: loadavg()[0]!,
      benchCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
    },
  }
}

export function formatHl7Bench(r: Hl7BenchResult): string {
  return [
    `HL7 PCD-01 to ${r.receiver}: ${r.beds} beds × ${r.rounds} rounds = ${r.messages} ORU^R01 (about ${r.averageMessageBytes} bytes each), one link, one in flight`,
    `  ${r.messagesPerSecond} messages/s; ACK latency p50 ${r.ackLatencyMs.p50.toFixed(2)} ms, p90 ${r.ackLatencyMs.p90.toFixed(2)} ms, p99 ${r.ackLatencyMs.p99.toFixed(2)} ms, max ${r.ackLatencyMs.max.toFixed(2)} ms`,
    `  acknowledged ${r.acknowledged}, dead-lettered ${r.deadLettered}${r.drained ? '' : ', NOT DRAINED'}; building alone ${r.buildOnlyMessagesPerSecond} messages/s`,
    `  machine: ${r.machine.cores} cores, load average ${r.machine.loadAverage1mBefore.toFixed(2)} → ${r.machine.loadAverage1mAfter.toFixed(2)}, wardlab at ${r.machine.benchCpuPercent} % of a core`,
  ].join('\n')
}
