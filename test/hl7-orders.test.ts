import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkRate, DRUGS, type DrugId } from '../src/contract/devices/drug-library.ts'
import type { InfusionOrder } from '../src/clinical/hl7/pcd03.ts'
import { MllpLink } from '../src/hl7/link.ts'
import { OrderListener, type OrderDecision } from '../src/hl7/order-listener.ts'
import { sendOrders, type OrderReply } from './support/hl7-python.ts'

/**
 * PCD-03: python-hl7 plays the Infusion Order Programmer and sends RGV^O15 orders; wardlab's
 * listener reads them and lets a pump-side check decide, here the pump's own drug library
 * (checkRate) for the patient in the bed. Each order is answered with the commit ACK (CA) and
 * RRG^O16: AA when the pump takes it, AE with the reason in ERR-8 when it does not.
 */

const BED = { ward: 'ICU', room: '1', bed: '1A', patientId: 'p-01', weightKg: 70 }
const received: InfusionOrder[] = []

/** What the wiring step will do with the pump in the bed: the same checks, the drug library's limits. */
async function programmePump(order: InfusionOrder): Promise<OrderDecision> {
  received.push(order)
  if (order.location.bed !== BED.bed) return { accepted: false, reason: `no pump at bed ${order.location.bed ?? '(none)'}`, code: 'UNKNOWN_BED' }
  if (order.patientId !== BED.patientId)
    return { accepted: false, reason: `order is for patient ${order.patientId}, bed ${BED.bed} holds ${BED.patientId}`, code: 'WRONG_PATIENT' }
  const drug = DRUGS[order.drug.code as DrugId]
  if (!drug) return { accepted: false, reason: `unknown drug ${order.drug.code} (${order.drug.text}): not in the pump's drug library`, code: 'UNKNOWN_DRUG' }
  const check = checkRate(drug, order.rateMlH, BED.weightKg, false)
  return check.allowed ? { accepted: true } : { accepted: false, reason: check.reason, code: 'LIMIT' }
}

let listener: OrderListener
let port: number

beforeAll(async () => {
  listener = new OrderListener({ port: 0, onOrder: programmePump })
  port = await listener.start()
})

afterAll(async () => {
  await listener?.close()
})

const base = {
  patientId: BED.patientId,
  ward: BED.ward,
  room: BED.room,
  bed: BED.bed,
  drug: ['noradrenaline', 'Noradrenaline 80 ug/mL', '99WLD'],
  vtbi: 50,
  device: '0123456789ABCDEF',
}

describe('PCD-03 RGV^O15 from python-hl7', () => {
  it('accepts an order within the drug library limits and reads drug, rate, VTBI, patient, bed and pump', async () => {
    const [[commit, rrg]] = (await sendOrders(port, [{ ...base, controlId: 'ORD-OK', rate: 5 }])) as [[unknown, unknown]]
    expect(commit).toMatchObject({ type: 'ACK^O15^ACK', msa: ['CA', 'ORD-OK'] })
    expect(rrg).toMatchObject({ type: 'RRG^O16^RRG_O16', msa: ['AA', 'ORD-OK'], err: [] })
    expect(received.at(-1)).toEqual({
      controlId: 'ORD-OK',
      placerOrderNumber: 'ORD-OK',
      patientId: 'p-01',
      location: { ward: 'ICU', room: '1', bed: '1A' },
      drug: { code: 'noradrenaline', text: 'Noradrenaline 80 ug/mL', system: '99WLD' },
      rateMlH: 5,
      vtbiMl: 50,
      deviceEui: '0123456789ABCDEF',
    })
  })

  it('refuses an order past the hard limit, with the reason', async () => {
    // 200 mL/h of 80 ug/mL for 70 kg is 3.81 ug/kg/min; the hard limit is 3.
    const [[commit, rrg]] = (await sendOrders(port, [{ ...base, controlId: 'ORD-HARD', rate: 200 }])) as [[OrderReply, OrderReply]]
    expect(commit!.msa).toEqual(['CA', 'ORD-HARD'])
    expect(rrg!.msa).toEqual(['AE', 'ORD-HARD'])
    const [, , hl7Error, severity, applicationCode, , , reason] = rrg!.err
    expect(hl7Error).toBe('207^Application internal error^HL70357')
    expect(severity).toBe('E')
    expect(applicationCode).toBe('LIMIT^LIMIT^99WLO')
    expect(reason).toMatch(/exceeds the hard limit of 3 ug\/kg\/min for Noradrenaline/)
  })

  it('answers several orders on one connection, each with its own reason', async () => {
    const replies = await sendOrders(port, [
      { ...base, controlId: 'ORD-DRUG', drug: ['ketamine', 'Ketamine', '99WLD'], rate: 2 },
      { ...base, controlId: 'ORD-PAT', patientId: 'p-99', rate: 5 },
      { ...base, controlId: 'ORD-UNIT', rate: 5, rateUnits: '265234^MDC_DIM_X_L_PER_HR^MDC^L/h^L/h^UCUM' },
      { ...base, controlId: 'ORD-SOFT', rate: 60 },
      { ...base, controlId: 'ORD-FLUID', drug: ['sodium-chloride-0.9', 'Sodium chloride 0.9%', '99WLD'], rate: 100, vtbi: 1000 },
    ])
    const outcome = replies.map(([commit, rrg]) => [commit.msa[0], rrg.msa[1], rrg.msa[0], rrg.err[7] ?? ''])
    expect(outcome.map(([commit, id, code]) => [commit, id, code])).toEqual([
      ['CA', 'ORD-DRUG', 'AE'],
      ['CA', 'ORD-PAT', 'AE'],
      ['CA', 'ORD-UNIT', 'AE'],
      ['CA', 'ORD-SOFT', 'AE'],
      ['CA', 'ORD-FLUID', 'AA'],
    ])
    expect(outcome[0]![3]).toMatch(/unknown drug ketamine/)
    expect(outcome[1]![3]).toMatch(/patient p-99/)
    expect(outcome[2]![3]).toMatch(/RXG-15\/16 give rate: unit 265234\/L\/h is not mL\/h/)
    expect(replies[2]![1].err[2]).toBe('103^Table value not found^HL70357')
    expect(outcome[3]![3]).toMatch(/soft limit/)
    expect(listener.stats()).toEqual({ received: 7, accepted: 2, refused: 5, rejected: 0 })
  })

  it('commit-rejects what is not an order, and the sender learns why', async () => {
    const link = new MllpLink({ url: `mllp://127.0.0.1:${port}`, nak: { policy: 'dead-letter' } })
    link.start()
    link.send((stamp) => `MSH|^~\\&|X||||20260101||ORU^R01^ORU_R01|${stamp.controlId}|P|2.6|${stamp.sequenceNumber}`)
    expect(await link.drain(5000)).toBe(true)
    link.close()
    expect(link.deadLetters().map((d) => d.reason)).toEqual(['CR: unsupported message type ORU^R01'])
    expect(listener.stats().rejected).toBe(1)
  })
})
