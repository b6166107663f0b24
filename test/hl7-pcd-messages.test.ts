import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MONITOR_CODES } from '../src/contract/devices/monitor-parameters.ts'
import { infusionPump } from '../devices/infusion-pump.ts'
import { ventilator } from '../devices/ventilator.ts'
import { deriveEui64 } from '../src/clinical/hl7/eui64.ts'
import { pcd01InputSchema, pcd04InputSchema, type DeviceInput } from '../src/clinical/hl7/inputs.ts'
import { MllpLink } from '../src/hl7/link.ts'
import { buildPcd01 } from '../src/clinical/hl7/pcd01.ts'
import { alertInstanceId, buildPcd04 } from '../src/clinical/hl7/pcd04.ts'
import { observationsFromTelemetry } from '../src/clinical/hl7/telemetry-observations.ts'
import { fieldText, PythonReceiver, segments, type ReceivedMessage } from './support/hl7-python.ts'
import { until } from '../src/util/until.ts'

/**
 * Every PCD-01 (ORU^R01) and PCD-04 (ORU^R40) wardlab builds is parsed by python-hl7, a parser
 * that is not wardlab's, and the fields IHE PCD TF-2 asks for are checked as python read them.
 */

const T0 = Date.UTC(2026, 0, 15, 8, 30, 0)
const monitor: DeviceInput = {
  id: 'mon-icu-01',
  kind: 'bedside-monitor',
  location: { ward: 'ICU', room: '1', bed: '1A' },
  patient: { id: 'p-01', family: 'Hughes|Smith', given: 'Ann^Marie' },
}
const pump: DeviceInput = { id: 'pump-icu-01', kind: 'infusion-pump', location: { ward: 'ICU', room: '1', bed: '1A' }, patient: null }
const vent: DeviceInput = {
  id: 'vent-icu-01',
  kind: 'ventilator',
  location: { ward: 'ICU', room: '2', bed: '2A' },
  patient: { id: 'p-02', family: 'Okafor', given: 'Chidi' },
}
const FINGER = { code: '7569003', text: 'Finger structure', system: 'SCT' }

let receiver: PythonReceiver
let link: MllpLink
const byControlId = new Map<string, ReceivedMessage>()

async function deliver(build: Parameters<MllpLink['send']>[0]): Promise<ReceivedMessage> {
  const { controlId } = link.send(build)
  expect(await until(() => receiver.messages.some((m) => m.controlId === controlId), 10_000)).toBe(true)
  const message = receiver.messages.find((m) => m.controlId === controlId)!
  byControlId.set(controlId, message)
  return message
}

function obxRows(message: ReceivedMessage) {
  return segments(message, 'OBX')
}

beforeAll(async () => {
  receiver = await PythonReceiver.start()
  link = new MllpLink({ url: `mllp://127.0.0.1:${receiver.port}`, ackTimeoutMs: 5000 })
  link.start()
})

afterAll(async () => {
  link?.close()
  await receiver?.stop()
})

describe('PCD-01 ORU^R01 as python-hl7 reads it', () => {
  it('carries the header, patient, point of care, device observation and MDC-coded metrics', async () => {
    const observations = observationsFromTelemetry(
      { heartRate: 128, spo2: 97, temperature: 36.9, respiratoryRate: 18, nibpSystolic: 118, nibpDiastolic: 71, nibpMean: 87 },
      MONITOR_CODES,
      T0,
      {
        heartRate: { low: 50, high: 120 },
        spo2: { low: 90 },
      },
    )
    const withSite = observations.map((o) => (o.field === 'spo2' ? { ...o, bodySite: FINGER } : o))
    const input = pcd01InputSchema.parse({ device: monitor, observations: withSite })
    const message = await deliver((stamp) => buildPcd01(input, stamp))

    expect(message.ack).toBe('AA')
    expect(message.type).toBe('ORU^R01^ORU_R01')
    const [msh] = segments(message, 'MSH')
    expect(fieldText(msh, 9)).toBe('ORU^R01^ORU_R01')
    expect(fieldText(msh, 11)).toBe('P')
    expect(fieldText(msh, 12)).toBe('2.6')
    expect(fieldText(msh, 13)).toBe(String(message.seq))
    expect(fieldText(msh, 15)).toBe('AL')
    expect(fieldText(msh, 16)).toBe('NE')
    expect(fieldText(msh, 21)).toBe('IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO')
    expect(fieldText(msh, 7)).toMatch(/^\d{14}\.\d{3}\+0000$/)

    // Delimiters inside values survive: python-hl7 unescapes what node-hl7-client escaped.
    const [pid] = segments(message, 'PID')
    expect(fieldText(pid, 3)).toBe('p-01^^^WARDLAB^MR')
    expect(pid!.fields['5']![0]!.slice(0, 2)).toEqual(['Hughes|Smith', 'Ann^Marie'])
    expect(fieldText(segments(message, 'PV1')[0], 3)).toBe('ICU^1^1A')

    const [obr] = segments(message, 'OBR')
    expect(fieldText(obr, 4)).toBe('69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC')
    expect(fieldText(obr, 7)).toBe('20260115083000.000+0000')

    const rows = obxRows(message)
    const eui = deriveEui64(monitor.id)
    expect(rows.slice(0, 3).map((r) => [fieldText(r, 4), fieldText(r, 11)])).toEqual([
      ['1.0.0.0', 'X'],
      ['1.1.0.0', 'X'],
      ['1.1.1.0', 'X'],
    ])
    expect(fieldText(rows[0], 18)).toBe(`${eui}^^${eui}^EUI-64`)

    const metric = (mdc: string) => rows.find((r) => fieldText(r, 3).startsWith(`${mdc}^`))!
    const hr = metric('147842')
    expect(fieldText(hr, 2)).toBe('NM')
    expect(fieldText(hr, 3)).toBe('147842^MDC_ECG_HEART_RATE^MDC')
    expect(fieldText(hr, 4)).toBe('1.1.1.1')
    expect(fieldText(hr, 5)).toBe('128')
    expect(fieldText(hr, 6)).toBe('264864^MDC_DIM_BEAT_PER_MIN^MDC^/min^/min^UCUM')
    expect(fieldText(hr, 7)).toBe('50-120')
    expect(fieldText(hr, 8)).toBe('H')
    expect(fieldText(hr, 11)).toBe('R')
    expect(fieldText(hr, 14)).toBe('20260115083000.000+0000')
    expect(fieldText(hr, 18)).toBe(`${eui}^^${eui}^EUI-64`)

    const spo2 = metric('150456')
    expect(fieldText(spo2, 4)).toBe('1.1.1.3')
    expect(fieldText(spo2, 6)).toBe('262688^MDC_DIM_PERCENT^MDC^%^%^UCUM')
    expect(fieldText(spo2, 7)).toBe('>90')
    expect(fieldText(spo2, 8)).toBe('N')
    expect(fieldText(spo2, 20)).toBe('7569003^Finger structure^SCT')
    expect(fieldText(metric('150364'), 6)).toBe('268192^MDC_DIM_DEGC^MDC^Cel^Cel^UCUM')
    expect(fieldText(metric('151562'), 6)).toBe('264928^MDC_DIM_RESP_PER_MIN^MDC^/min^/min^UCUM')
    expect(fieldText(metric('150021'), 6)).toBe('266016^MDC_DIM_MMHG^MDC^mm[Hg]^mm[Hg]^UCUM')
    // Every metric row is coded: MDC identifier, a value type, a sub-id under the channel.
    for (const row of rows.slice(3)) {
      expect(fieldText(row, 3)).toMatch(/^\d+\^MDC_[A-Z0-9_]+\^MDC$/)
      expect(fieldText(row, 4)).toMatch(/^1\.1\.1\.\d+$/)
      expect(fieldText(row, 6)).toMatch(/^\d+\^MDC_DIM_[A-Z_]+\^MDC\^.+\^UCUM$/)
    }
  })

  it('maps every MDC-coded field of the pump and the ventilator, with equipment and no patient', async () => {
    const pumpData = { rateMlH: 5, volumeInfusedMl: 12.5, vtbiRemainingMl: 37.5, doseRate: 0.095 }
    const pumpMessage = await deliver((stamp) => buildPcd01({ device: pump, observations: observationsFromTelemetry(pumpData, infusionPump.codes, T0) }, stamp))
    expect(fieldText(segments(pumpMessage, 'PID')[0], 3)).toBe('')
    expect(fieldText(segments(pumpMessage, 'OBR')[0], 4)).toBe('69985^MDC_DEV_PUMP_INFUS_MDS^MDC')
    expect(
      obxRows(pumpMessage)
        .slice(3)
        .map((r) => [fieldText(r, 3).split('^')[1], fieldText(r, 4), fieldText(r, 6).split('^')[1]]),
    ).toEqual([
      ['MDC_FLOW_FLUID_PUMP', '1.1.1.1', 'MDC_DIM_MILLI_L_PER_HR'],
      ['MDC_VOL_FLUID_DELIV', '1.1.1.2', 'MDC_DIM_MILLI_L'],
      ['MDC_VOL_FLUID_TBI_REMAIN', '1.1.1.3', 'MDC_DIM_MILLI_L'],
      ['MDC_RATE_DOSE', '1.1.1.4', 'MDC_DIM_MICRO_G_PER_KG_PER_MIN'],
    ])

    const ventData = { peep: 8, fio2: 40, tidalVolume: 450, totalRate: 16, peakPressure: 24, plateauPressure: 19, minuteVolume: 7.2 }
    const ventMessage = await deliver((stamp) => buildPcd01({ device: vent, observations: observationsFromTelemetry(ventData, ventilator.codes, T0) }, stamp))
    const units = obxRows(ventMessage)
      .slice(3)
      .map((r) => fieldText(r, 6).split('^')[1])
    expect(units).toEqual([
      'MDC_DIM_CM_H2O',
      'MDC_DIM_PERCENT',
      'MDC_DIM_MILLI_L',
      'MDC_DIM_RESP_PER_MIN',
      'MDC_DIM_CM_H2O',
      'MDC_DIM_CM_H2O',
      'MDC_DIM_X_L_PER_MIN',
    ])
    expect(fieldText(segments(ventMessage, 'OBR')[0], 4)).toBe('70001^MDC_DEV_SYS_PT_VENT_MDS^MDC')
  })

  it('writes text (ST) and coded (CWE) values', async () => {
    const code = MONITOR_CODES.spo2!
    const message = await deliver((stamp) =>
      buildPcd01(
        {
          device: monitor,
          observations: [
            { field: 'label', value: 'probe A|B', code, ts: T0 },
            { field: 'state', value: { code: 1, text: 'on', system: 'MDC' }, code, ts: T0 },
          ],
        },
        stamp,
      ),
    )
    const [text, coded] = obxRows(message).slice(3)
    expect([fieldText(text, 2), fieldText(text, 5), fieldText(text, 6)]).toEqual(['ST', 'probe A|B', ''])
    expect([fieldText(coded, 2), fieldText(coded, 5)]).toEqual(['CWE', '1^on^MDC'])
  })
})

describe('PCD-04 ORU^R40 as python-hl7 reads it', () => {
  const spo2Low = {
    code: 'SPO2_LOW',
    category: 'physiological',
    priority: 'medium',
    message: 'SpO2 below limit',
    parameter: 'spo2',
    value: 86,
    limit: 90,
  } as const

  it('raises and ends a physiological alarm with source, priority, phase, state and the metric behind it', async () => {
    const parameter = { code: MONITOR_CODES.spo2!, metric: 3 }
    const raised = pcd04InputSchema.parse({ device: monitor, alarm: { ...spo2Low, active: true }, startedAt: T0, ts: T0, parameter })
    const ended = pcd04InputSchema.parse({ device: monitor, alarm: { ...spo2Low, active: false, value: 93 }, startedAt: T0, ts: T0 + 45_000, parameter })
    const start = await deliver((stamp) => buildPcd04(raised, stamp))
    const end = await deliver((stamp) => buildPcd04(ended, stamp))

    for (const message of [start, end]) {
      const [msh] = segments(message, 'MSH')
      expect(fieldText(msh, 9)).toBe('ORU^R40^ORU_R40')
      expect(fieldText(msh, 21)).toBe('IHE_PCD_ACM_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.4.1^ISO')
      const [obr] = segments(message, 'OBR')
      expect(fieldText(obr, 4)).toBe('196616^MDC_EVT_ALARM^MDC')
      // The same alert instance id pairs the start with the end.
      expect(fieldText(obr, 3).split('^')[0]).toBe(alertInstanceId(raised))
    }
    const bySubId = (message: ReceivedMessage) => new Map(obxRows(message).map((r) => [fieldText(r, 4), r]))
    const s = bySubId(start)
    expect(fieldText(s.get('1.1.1.3.1'), 5)).toBe('SPO2_LOW^SpO2 below limit^99WLA')
    expect(s.get('1.1.1.3.1')!.fields['8']).toEqual([['L'], ['PM'], ['SP']])
    expect([fieldText(s.get('1.1.1.3.2'), 3), fieldText(s.get('1.1.1.3.2'), 5), fieldText(s.get('1.1.1.3.2'), 7)]).toEqual([
      '150456^MDC_PULS_OXIM_SAT_O2^MDC',
      '86',
      '>90',
    ])
    expect(fieldText(s.get('1.1.1.3.3'), 3)).toBe('68481^MDC_ATTR_EVENT_PHASE^MDC')
    expect(['.3', '.4', '.5', '.6', '.7'].map((n) => fieldText(s.get(`1.1.1.3${n}`), 5))).toEqual(['start', 'active', 'enabled', 'PM', 'SP'])
    const e = bySubId(end)
    expect(['.3', '.4'].map((n) => fieldText(e.get(`1.1.1.3${n}`), 5))).toEqual(['end', 'inactive'])
    expect(fieldText(segments(end, 'OBR')[0], 8)).toBe('20260115083045.000+0000')
  })

  it('reports a technical alarm at the device (MDS) level as ST', async () => {
    const message = await deliver((stamp) =>
      buildPcd04(
        {
          device: pump,
          alarm: { code: 'OCCLUSION', category: 'technical', priority: 'high', active: true, message: 'Downstream occlusion' },
          startedAt: T0,
          ts: T0,
        },
        stamp,
      ),
    )
    const rows = new Map(obxRows(message).map((r) => [fieldText(r, 4), r]))
    expect(fieldText(rows.get('1.0.0.0.1'), 5)).toBe('OCCLUSION^Downstream occlusion^99WLA')
    expect(['.6', '.7'].map((n) => fieldText(rows.get(`1.0.0.0${n}`), 5))).toEqual(['PH', 'ST'])
    expect(rows.has('1.0.0.0.2')).toBe(false)
  })

  it('left nothing unparsed or unanswered', async () => {
    expect(receiver.invalid).toEqual([])
    const stats = link.stats()
    expect(stats.generated).toBe(byControlId.size)
    // The last ACK may still be on its way back when the last message was parsed there.
    await expect.poll(() => link.stats().acknowledged).toBe(stats.generated)
    await receiver.reported(stats.generated)
    expect(receiver.sequenceNumbers()).toEqual(Array.from({ length: stats.generated }, (_, i) => i + 1))
  })
})
