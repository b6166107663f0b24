import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVirtualClock, type VirtualClock } from '../src/simulation/clock.ts'
import { fieldText, PythonReceiver, segments, sendOrders, type OrderReply } from './support/hl7-python.ts'
import { runSettled } from '../src/scenarios/settle.ts'
import { startWardLab, wardRegistry, type WardLab } from './support/ward-lab.ts'

/**
 * PCD-03 into the running ward: python-hl7 sends RGV^O15 to `--hl7-listen`; the order is
 * checked against the registry (pump in the bed, patient in the bed, drug loaded) and the drug
 * library, then programmes the simulated pump through its ordinary command path (change-rate on
 * its cmd topic) and is answered with what the pump said. The pump's next PCD-01, at a second
 * python-hl7 process, shows the new rate. The registry puts bed icu-02 in room "room-2" (and no
 * other bed in a room), so PV1-3 shows ward^room^bed there and ward^^bed elsewhere.
 */

const START = Date.UTC(2026, 0, 15, 8)
const MINUTE = 60_000
// The default ward's septic patient, in bed icu-02, on noradrenaline at 0.1 ug/kg/min (src/registry/default-ward.ts).
const BED = { patientId: 'pt-icu-02', ward: 'icu', room: '', bed: 'icu-02' }
const NORAD = ['noradrenaline', 'Noradrenaline 80 ug/mL', '99WLD']

let receiver: PythonReceiver
let ward: WardLab
let clock: VirtualClock

beforeAll(async () => {
  receiver = await PythonReceiver.start({})
  clock = createVirtualClock(START)
  const registry = await wardRegistry()
  ward = await startWardLab(clock, {
    registry: { ...registry, wards: registry.wards.map((w) => (w.id === 'icu' ? { ...w, rooms: { 'room-2': ['icu-02'] } } : w)) },
    hl7: { links: [{ url: `mllp://127.0.0.1:${receiver.port}`, reconnect: { initialDelayMs: 50 } }], listen: { host: '127.0.0.1', port: 0 } },
  })
  await runSettled(clock, ward.lab, START + 2 * MINUTE)
}, 60_000)

afterAll(async () => {
  await ward?.lab.stop()
  await receiver?.stop()
})

/** The OBX of `code` in each PCD-01 pump-icu-02 sent, in order. */
function pumpObx(code: string) {
  return receiver.messages
    .filter(
      (m) =>
        m.type === 'ORU^R01^ORU_R01' &&
        fieldText(segments(m, 'PV1')[0], 3) === 'icu^room-2^icu-02' &&
        fieldText(segments(m, 'OBR')[0], 4).startsWith('69985^MDC_DEV_PUMP_INFUS_MDS'),
    )
    .map((m) => segments(m, 'OBX').find((s) => fieldText(s, 3) === code))
}

/** The flow rate (MDC_FLOW_FLUID_PUMP) of each PCD-01 pump-icu-02 sent, in order. */
function pumpRates(): number[] {
  return pumpObx('157784^MDC_FLOW_FLUID_PUMP^MDC').map((obx) => Number(fieldText(obx, 5)))
}

function errReason(rrg: OrderReply): string {
  return rrg.err[7] ?? ''
}

describe('PCD-03 orders to the default ward over --hl7-listen', () => {
  it('charts PV1-3 as ward^room^bed where the registry has the room, with the room left empty elsewhere', async () => {
    await receiver.reported(1)
    const points = new Set(receiver.messages.map((m) => fieldText(segments(m, 'PV1')[0], 3)))
    expect(points).toContain('icu^room-2^icu-02')
    expect(points).toContain('icu^^icu-01')
    expect([...points].filter((p) => p.endsWith('^icu-02'))).toEqual(['icu^room-2^icu-02'])
  })

  it('programmes the pump with an order within limits; its next PCD-01 shows the new rate and VTBI', async () => {
    await receiver.reported(1)
    const programmed = ward.lab.registry.device('pump-icu-02')!.options.rateMlH
    expect(pumpRates().at(-1)).toBe(programmed)
    const [[commit, rrg]] = (await sendOrders(ward.lab.hl7!.ordersPort!, [{ ...BED, controlId: 'ORD-OK', drug: NORAD, rate: 8, vtbi: 40 }])) as [
      [OrderReply, OrderReply],
    ]
    expect(commit.msa).toEqual(['CA', 'ORD-OK'])
    expect(rrg.msa).toEqual(['AA', 'ORD-OK'])
    const before = pumpRates().length
    await clock.runUntil(clock.now() + 10_000)
    await ward.lab.hl7!.gateway.drain(5000)
    await receiver.reported(receiver.messages.length)
    // Charted on change (a setting changed), not a minute later: within the pump's 5 s telemetry.
    expect(pumpRates().length).toBeGreaterThan(before)
    expect(pumpRates().at(-1)).toBe(8)
    // RXG-5/7 give amount → the pump's VTBI, charted as MDC_VOL_FLUID_TBI in mL (MDC unit, UCUM alternate).
    const vtbi = pumpObx('157884^MDC_VOL_FLUID_TBI^MDC').at(-1)
    expect(fieldText(vtbi, 2)).toBe('NM')
    expect(Number(fieldText(vtbi, 5))).toBe(40)
    expect(fieldText(vtbi, 6)).toBe('263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM')
    // The IHE PCD pump model's delivery channel holds the metrics (docs/hl7.md, "Specification notes").
    expect(fieldText(pumpObx('126978^MDC_DEV_PUMP_INFUS_CHAN_DELIVERY^MDC').at(-1), 4)).toBe('1.1.1.0')
    expect(fieldText(pumpObx('69986^MDC_DEV_PUMP_INFUS_VMD^MDC').at(-1), 4)).toBe('1.1.0.0')
    expect(ward.lab.hl7!.orders.at(-1)).toEqual({ controlId: 'ORD-OK', accepted: true, pump: 'pump-icu-02' })
  })

  it('refuses an order past the hard limit, with the drug library reason, and leaves the pump as it was', async () => {
    // 200 mL/h of 80 ug/mL is past the hard limit of 3 ug/kg/min for any patient under 89 kg, as this one is.
    const [[commit, rrg]] = (await sendOrders(ward.lab.hl7!.ordersPort!, [{ ...BED, controlId: 'ORD-HARD', drug: NORAD, rate: 200 }])) as [
      [OrderReply, OrderReply],
    ]
    expect(commit.msa[0]).toBe('CA')
    expect(rrg.msa).toEqual(['AE', 'ORD-HARD'])
    expect(rrg.err[4]).toBe('LIMIT^LIMIT^99WLO')
    expect(errReason(rrg)).toMatch(/exceeds the hard limit of 3 ug\/kg\/min for Noradrenaline/)
    await clock.runUntil(clock.now() + 10_000)
    expect(pumpRates().at(-1)).toBe(8)
  })

  it('refuses an order for another patient than the one in the bed, and a drug the pump does not have loaded', async () => {
    const replies = await sendOrders(ward.lab.hl7!.ordersPort!, [
      { ...BED, controlId: 'ORD-PAT', patientId: 'pt-icu-03', drug: NORAD, rate: 6 },
      { ...BED, controlId: 'ORD-DRUG', drug: ['propofol', 'Propofol 1%', '99WLD'], rate: 10 },
    ])
    expect(replies.map(([, rrg]) => [rrg.msa[0], rrg.err[4]])).toEqual([
      ['AE', 'WRONG_PATIENT^WRONG_PATIENT^99WLO'],
      ['AE', 'DRUG_MISMATCH^DRUG_MISMATCH^99WLO'],
    ])
    expect(errReason(replies[0]![1])).toMatch(/order is for patient pt-icu-03, pump pump-icu-02 at bed icu-02 serves pt-icu-02/)
    expect(ward.lab.hl7!.stats().orders).toMatchObject({ received: 4, accepted: 1, refused: 3 })
  })
})
