import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { syntheticName } from '../src/registry/patient-name.ts'
import { createVirtualClock } from '../src/simulation/clock.ts'
import type { LabHl7Stats } from '../src/lab/lab-hl7.ts'
import { fieldText, PythonReceiver, segments, type ReceivedMessage } from './support/hl7-python.ts'
import { runSettled } from '../src/scenarios/settle.ts'
import { startWardLab, wardRegistry, type WardLab } from './support/ward-lab.ts'

/**
 * The HL7 way out of the pipeline, end to end: the default ward's simulated devices publish over
 * MQTT to the embedded broker, the pipeline's HL7 sinks chart them (PCD-01 every 60 s of
 * simulated time, settings on change) and report their alarms (PCD-04), and python-hl7 — not
 * wardlab's library — parses every message at the other end of a real MLLP socket.
 */

const START = Date.UTC(2026, 0, 15, 8)
const MINUTE = 60_000
const RUN_MINUTES = 20
const FAST_LINK = { ackTimeoutMs: 3000, reconnect: { initialDelayMs: 50, maxDelayMs: 500, connectTimeoutMs: 1000 } }

function byType(messages: readonly ReceivedMessage[], type: string): ReceivedMessage[] {
  return messages.filter((m) => m.type === type)
}

function expectBalanced(stats: LabHl7Stats): void {
  for (const link of stats.links) expect(link.generated).toBe(link.acknowledged + link.deadLettered + link.pending)
}

describe.each([
  { mode: 'inline pipeline', pipelineWorkers: 0 },
  { mode: 'two pipeline workers', pipelineWorkers: 2 },
])('HL7 sinks of the default ward to python-hl7 ($mode)', ({ pipelineWorkers }) => {
  let receiver: PythonReceiver
  let ward: WardLab
  let stats: LabHl7Stats

  beforeAll(async () => {
    receiver = await PythonReceiver.start({})
    const clock = createVirtualClock(START)
    ward = await startWardLab(clock, { pipelineWorkers, hl7: { links: [{ url: `mllp://127.0.0.1:${receiver.port}`, ...FAST_LINK }] } })
    // A lead comes off mon-icu-01 at minute 5 and is put back at minute 8: a technical alarm raised and ended.
    clock.at(START + 5 * MINUTE, () => ward.lab.fleet!.device('mon-icu-01')!.setFault('sensor-off', true))
    clock.at(START + 8 * MINUTE, () => ward.lab.fleet!.device('mon-icu-01')!.setFault('sensor-off', false))
    await runSettled(clock, ward.lab, START + RUN_MINUTES * MINUTE)
    await ward.lab.quiesce()
    stats = await ward.lab.hl7!.stop()
  }, 120_000)

  afterAll(async () => {
    await ward?.lab.stop()
    await receiver?.stop()
  })

  it('delivers every message: all acknowledged, generated = acknowledged + dead-lettered + pending, no MSH-13 gap', async () => {
    expectBalanced(stats)
    const [link] = stats.links
    expect(link!.generated).toBeGreaterThan(0)
    expect(link!.acknowledged).toBe(link!.generated)
    const received = await receiver.reported(link!.generated)
    expect(receiver.invalid).toEqual([])
    expect(receiver.sequenceNumbers()).toEqual(Array.from({ length: link!.generated }, (_, i) => i + 1))
    expect(received.every((m) => m.ack === 'AA')).toBe(true)
  })

  it('charts each monitor every 60 s of simulated time, with the registry patient, name and bed', async () => {
    const registry = await wardRegistry()
    const monitorReports = byType(receiver.messages, 'ORU^R01^ORU_R01').filter(
      (m) => fieldText(segments(m, 'OBR')[0], 4).startsWith('69965^') && fieldText(segments(m, 'PV1')[0], 3).startsWith('icu^'),
    )
    const perMonitor = new Map<string, ReceivedMessage[]>()
    for (const m of monitorReports) {
      const bed = fieldText(segments(m, 'PV1')[0], 3)
      perMonitor.set(bed, [...(perMonitor.get(bed) ?? []), m])
    }
    expect(perMonitor.size).toBe(8)
    for (const [point, reports] of perMonitor) {
      // One on the first reading (in the first simulated second: the run waits for the ward to
      // connect), then one a minute: minutes 0 to 19, as the 20th falls just after the end.
      expect(reports.map((m) => fieldText(segments(m, 'OBR')[0], 7).slice(8, 12))).toEqual(
        Array.from({ length: RUN_MINUTES }, (_, i) => `08${String(i).padStart(2, '0')}`),
      )
      const bed = point.split('^')[2]!
      const patient = registry.patients.find((p) => p.bed === bed)!
      const name = syntheticName(patient)
      expect(point).toBe(`icu^^${bed}`)
      const pid = segments(reports[0]!, 'PID')[0]!
      expect(fieldText(pid, 3)).toBe(`${patient.id}^^^WARDLAB^MR`)
      expect(fieldText(pid, 5)).toMatch(new RegExp(`^${name.family}\\^${name.given}`))
      const hr = segments(reports[0]!, 'OBX').find((s) => fieldText(s, 3) === '147842^MDC_ECG_HEART_RATE^MDC')!
      expect(fieldText(hr, 2)).toBe('NM')
      expect(fieldText(hr, 6)).toBe('264864^MDC_DIM_BEAT_PER_MIN^MDC^/min^/min^UCUM')
      expect(Number(fieldText(hr, 5))).toBeGreaterThan(20)
    }
  })

  it('charts pumps and ventilators with their MDC codes, and reports alarms raised and ended as PCD-04', () => {
    const r01 = byType(receiver.messages, 'ORU^R01^ORU_R01')
    const obx3 = new Set(r01.flatMap((m) => segments(m, 'OBX').map((s) => fieldText(s, 3))))
    expect(obx3).toContain('157784^MDC_FLOW_FLUID_PUMP^MDC')
    expect(obx3).toContain('151980^MDC_VENT_VOL_TIDAL^MDC')
    const r40 = byType(receiver.messages, 'ORU^R40^ORU_R40')
    expect(r40.length).toBeGreaterThan(0)
    const phase = (m: ReceivedMessage, code: string) =>
      fieldText(
        segments(m, 'OBX').find((s) => fieldText(s, 3).startsWith(`${code}^`)),
        5,
      )
    const lead = r40.filter((m) => fieldText(segments(m, 'OBR')[0], 3).startsWith('mon-icu-01:') && fieldText(segments(m, 'PV1')[0], 3) === 'icu^^icu-01')
    // Raised, then ended: the same alert instance (OBR-3), phase start then end, state active then inactive.
    expect(lead.map((m) => phase(m, '68481'))).toEqual(['start', 'end'])
    expect(lead.map((m) => phase(m, '68482'))).toEqual(['active', 'inactive'])
    expect(fieldText(segments(lead[1]!, 'OBR')[0], 3)).toBe(fieldText(segments(lead[0]!, 'OBR')[0], 3))
    const alarmRow = segments(lead[0]!, 'OBX').find((s) => fieldText(s, 3) === '196616^MDC_EVT_ALARM^MDC')!
    expect(fieldText(alarmRow, 5)).toMatch(/^(LEAD_OFF|SPO2_PROBE_OFF)\^/)
    // Priority and type: technical (ST), in OBX-8 beside the priority.
    expect(
      segments(lead[0]!, 'OBX')
        .find((s) => fieldText(s, 3) === '196616^MDC_EVT_ALARM^MDC')!
        .fields['8']!.map((r) => r.join('^')),
    ).toContain('ST')
  })
})

describe('HL7 sink without a PCD form', () => {
  it('sends nothing for kinds with no IEEE 11073 containment (an MRI scanner alarm)', async () => {
    const { hl7Sink } = await import('../src/pipeline/sinks/hl7.ts')
    const { HospitalRegistry } = await import('../src/registry/registry.ts')
    const sent: unknown[] = []
    const sink = hl7Sink(
      'hl7-alarms',
      { message: 'pcd-04', chartEveryMs: 60_000 },
      { registry: new HospitalRegistry(await wardRegistry()), hl7: (m) => sent.push(m) },
    )
    sink.write(undefined, {
      deviceId: 'mri-01',
      ts: START,
      data: { code: 'HELIUM_LOW', category: 'technical', priority: 'high', active: true, message: 'Helium level low' },
      context: { deviceId: 'mri-01', kind: 'mri-scanner', ward: 'radiology', wardName: 'Radiology' },
    })
    sink.write(undefined, {
      deviceId: 'mon-icu-01',
      ts: START,
      data: { code: 'LEAD_OFF', category: 'technical', priority: 'low', active: true, message: 'ECG lead off' },
      context: { deviceId: 'mon-icu-01', kind: 'bedside-monitor', ward: 'icu', wardName: 'ICU', bed: 'icu-01', patientId: 'pt-icu-01' },
    })
    expect(sent.map((m) => (m as { input: { device: { id: string } } }).input.device.id)).toEqual(['mon-icu-01'])
  })
})
