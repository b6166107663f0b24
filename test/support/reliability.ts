import type { MqttClient } from 'mqtt'
import { deviceKind } from '../../devices/index.ts'
import { driveKind } from '../../src/simulation/drive-kind.ts'
import { createPatientModel } from '../../src/simulation/physiology/patient-model.ts'
import { TEST_PATIENT } from './lab.ts'
import { until as holds } from '../../src/util/until.ts'

export const MON_01_TELEMETRY = 'hospital/icu/bedside-monitor/mon-01/telemetry'

/** Telemetry the bedside-monitor kind itself produces for pt-01, so every envelope passes validation. */
export function monitorReadings(count: number): unknown[] {
  const start = Date.now()
  const patient = createPatientModel({ ...TEST_PATIENT }, { seed: 'reliability', startMs: start })
  const { emissions } = driveKind(deviceKind('bedside-monitor')!, { deviceId: 'mon-01', seed: 'reliability', start, ticks: count, patient, bed: 'icu-01' })
  return emissions.filter((e) => e.channel === 'telemetry').map((e) => e.data)
}

/**
 * A source of valid mon-01 telemetry envelopes, numbered from 0 by one, so the replay detector
 * never sees a repeat however many tests of a file share a lab.
 */
export function monitorTelemetry(count = 100): () => string {
  const readings = monitorReadings(count)
  let seq = 0
  return () => {
    const n = seq++
    return JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: n, ts: Date.now(), data: readings[n % readings.length] })
  }
}

/**
 * mon-01 publishing valid telemetry at QoS 1, one message in flight, until `stop()`: the registered
 * device that must lose nothing while the broker is being abused. Resolves with how many it sent.
 */
export function keepPublishing(device: MqttClient, pauseMs = 2): { stop(): Promise<number> } {
  const readings = monitorReadings(600)
  let running = true
  let seq = 0
  const loop = (async () => {
    while (running) {
      const envelope = { deviceId: 'mon-01', kind: 'bedside-monitor', seq, ts: Date.now(), data: readings[seq % readings.length] }
      await device.publishAsync(MON_01_TELEMETRY, JSON.stringify(envelope), { qos: 1 })
      seq++
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
    return seq
  })()
  return {
    stop() {
      running = false
      return loop
    },
  }
}

/** Collects the `seq` of every envelope a client receives on `topic`. */
export function seqsOn(client: MqttClient, topic: string): number[] {
  const seqs: number[] = []
  client.on('message', (t, payload) => {
    if (t === topic) seqs.push(JSON.parse(payload.toString()).seq)
  })
  return seqs
}

/** src/util/until.ts for tests: a condition that never holds fails the test, naming `what`. */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  if (!(await holds(check, ms, 20))) throw new Error(`${what} not met within ${ms} ms`)
}

/** `[0, 1, …, n-1]`: every message, once, in order. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
