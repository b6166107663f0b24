import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { MONITOR_CODES } from '../contract/devices/monitor-parameters.ts'
import type { DeviceInput } from '../clinical/hl7/inputs.ts'
import { MllpLink } from '../hl7/link.ts'
import { buildPcd01 } from '../clinical/hl7/pcd01.ts'
import { observationsFromTelemetry } from '../clinical/hl7/telemetry-observations.ts'

/**
 * PCD-01 throughput of one MLLP link: a ward of N beds (one bedside monitor each) charts
 * `rounds` times; every chart is one ORU^R01 with the monitor's vitals, queued at once, sent
 * one at a time as the link does (wait for each ACK). Reports messages per second end to end
 * and the ACK latency from the link's histogram, plus the cost of building the messages alone.
 *
 * The receiver is Debian's python-hl7 (test/support/hl7-receiver.py, parsing and checking every
 * message, printing nothing per message) unless `--receiver mllp://host:port` names another.
 *
 *   node --import tsx src/bench/hl7-throughput.ts [--beds 500] [--rounds 10] [--receiver mllp://127.0.0.1:2575]
 */
const { values } = parseArgs({ options: { beds: { type: 'string', default: '500' }, rounds: { type: 'string', default: '10' }, receiver: { type: 'string' } } })
const beds = Number(values.beds)
const rounds = Number(values.rounds)
const T0 = Date.UTC(2026, 0, 1)

const fleet: DeviceInput[] = Array.from({ length: beds }, (_, i) => ({
  id: `mon-${i + 1}`,
  kind: 'bedside-monitor',
  location: { ward: `W${Math.floor(i / 25) + 1}`, room: String(Math.floor(i / 2) + 1), bed: String(i + 1) },
  patient: { id: `p-${i + 1}`, family: `Patient${i + 1}`, given: 'Test' },
}))

function chart(device: DeviceInput, round: number, bed: number) {
  const vitals = { heartRate: 60 + ((bed + round) % 40), pulseRate: 61 + ((bed + round) % 40), spo2: 94 + (bed % 6), respiratoryRate: 12 + (bed % 8), temperature: 36.5 + (bed % 10) / 10, nibpSystolic: 110 + (bed % 30), nibpDiastolic: 70 + (bed % 15), nibpMean: 85 + (bed % 20) }
  return { device, observations: observationsFromTelemetry(vitals, MONITOR_CODES, T0 + round * 60_000, { heartRate: { low: 50, high: 120 }, spo2: { low: 90 } }) }
}

async function pythonReceiver(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('/usr/bin/python3', ['test/support/hl7-receiver.py', JSON.stringify({ port: 0, report: 'none' })], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  return { url: `mllp://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, child }
}

// The mapping alone, to tell it apart from the wire.
const buildStart = performance.now()
let built = 0
for (let round = 0; round < rounds; round++) for (let bed = 0; bed < beds; bed++) built += buildPcd01(chart(fleet[bed]!, round, bed), { controlId: `B${round}.${bed}`, sequenceNumber: 1, at: T0 }).length
const buildSeconds = (performance.now() - buildStart) / 1000

const receiver = values.receiver ? { url: values.receiver, child: null } : await pythonReceiver()
const total = beds * rounds
const link = new MllpLink({ url: receiver.url, queue: { maxMessages: total + 1, maxBytes: 1024 * 1024 * 1024 } })
link.start()
const start = performance.now()
for (let round = 0; round < rounds; round++) for (let bed = 0; bed < beds; bed++) link.send((stamp) => buildPcd01(chart(fleet[bed]!, round, bed), stamp))
const drained = await link.drain(10 * 60_000)
const seconds = (performance.now() - start) / 1000
const stats = link.stats()
link.close()
receiver.child?.kill()

const result = {
  beds,
  rounds,
  messages: total,
  drained,
  acknowledged: stats.acknowledged,
  deadLettered: stats.deadLettered,
  messagesPerSecond: Math.round(stats.acknowledged / seconds),
  ackLatencyMs: { p50: stats.ackLatency.p50, p99: stats.ackLatency.p99, max: stats.ackLatency.max },
  averageMessageBytes: Math.round(built / total),
  buildOnlyMessagesPerSecond: Math.round(total / buildSeconds),
  receiver: values.receiver ?? 'python-hl7 (test/support/hl7-receiver.py)',
}
console.log(JSON.stringify(result, null, 2))
if (!drained || stats.generated !== stats.acknowledged + stats.deadLettered + stats.pending) process.exitCode = 1
