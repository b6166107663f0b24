import { monoMs } from './clock.ts'
import type { ConnectReport, GeneratorCounters, GeneratorEngine, GeneratorPlan } from './generator-plan.ts'
import { MqttjsGenerator } from './mqttjs-generator.ts'
import type { RecordChunk } from './record-log.ts'
import { WireGenerator } from './wire-generator.ts'

export type ToGenerator = { type: 'start'; plan: GeneratorPlan } | { type: 'load'; startAt: number } | { type: 'stop' }

export type FromGenerator =
  | ({ type: 'connected' } & ConnectReport)
  | { type: 'second'; second: number; counters: GeneratorCounters; records: RecordChunk | null }
  | { type: 'done'; counters: GeneratorCounters; firstDevice: number; sentPerDevice: Uint32Array; records: RecordChunk | null; loadCpuMs: number }
  | { type: 'stopped' }

/**
 * A generator process: it connects its share of the fleet, runs the load when told (every
 * process starts at the same monotonic instant), reports counters and send logs each second, and
 * disconnects when the coordinator has seen the subscriber drain.
 */
function serve(): void {
  let engine: GeneratorEngine | null = null
  let firstDevice = 0
  const send = (message: FromGenerator) => process.send!(message)

  process.on('message', (message: ToGenerator) => {
    if (message.type === 'start') {
      firstDevice = message.plan.firstConnection * message.plan.gateway
      engine = message.plan.engine === 'wardlab' ? new WireGenerator(message.plan) : new MqttjsGenerator(message.plan)
      void engine.connect().then((report) => send({ type: 'connected', ...report }))
    } else if (message.type === 'load') {
      void runLoad(engine!, message.startAt, firstDevice, send)
    } else {
      void engine?.close().then(() => {
        send({ type: 'stopped' })
        process.disconnect()
      })
    }
  })
}

async function runLoad(engine: GeneratorEngine, startAt: number, firstDevice: number, send: (m: FromGenerator) => void): Promise<void> {
  let reported: GeneratorCounters = { ...engine.counters }
  const delta = (): GeneratorCounters => {
    const now = { ...engine.counters }
    const d = {
      offered: now.offered - reported.offered,
      sent: now.sent - reported.sent,
      skipped: now.skipped - reported.skipped,
      acked: now.acked - reported.acked,
      disconnects: now.disconnects - reported.disconnects,
    }
    reported = now
    return d
  }
  let second = 0
  let timer: NodeJS.Timeout | null = null
  const report = () => send({ type: 'second', second: second++, counters: delta(), records: engine.takeRecords() })
  const firstReport = setTimeout(
    () => {
      report()
      timer = setInterval(report, 1000)
    },
    startAt + 1000 - monoMs(),
  )
  const cpuBefore = process.cpuUsage()
  await engine.run(startAt)
  const cpu = process.cpuUsage(cpuBefore)
  clearTimeout(firstReport)
  if (timer) clearInterval(timer)
  // The load's last second ends as the run does, often before its timer fires: report it now.
  if (second < Math.ceil((monoMs() - startAt) / 1000)) report()
  send({
    type: 'done',
    counters: { ...engine.counters },
    firstDevice,
    sentPerDevice: engine.sentPerDevice(),
    records: engine.takeRecords(),
    loadCpuMs: (cpu.user + cpu.system) / 1000,
  })
}

serve()
