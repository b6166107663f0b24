import { deviceTopic, type OutboundChannel } from '../contract/topics.ts'

/** One bench device: a registered device of a real kind, in a ward and usually a bed. */
export interface BenchDevice {
  index: number
  id: string
  kind: string
  ward: string
  bed?: string
  patient?: string
}

/**
 * The bench fleet is laid out like the default ICU (src/registry/default-ward.ts), repeated: each
 * bed has a patient with a bedside monitor, an infusion pump and a ventilator, and each ward of
 * eight beds has an environment sensor and a telemedicine cart. So the message mix is that of an
 * intensive care unit — mostly 1 Hz vital signs that the pipeline turns into FHIR Observations
 * and NEWS2 scores — not a synthetic average.
 */
export const BED_KINDS = ['bedside-monitor', 'infusion-pump', 'ventilator'] as const
export const WARD_KINDS = ['environment-sensor', 'telemedicine-endpoint'] as const
export const BEDS_PER_WARD = 8
const WARD_SIZE = BEDS_PER_WARD * BED_KINDS.length + WARD_KINDS.length

const SHORT: Record<string, string> = {
  'bedside-monitor': 'mon',
  'infusion-pump': 'pump',
  ventilator: 'vent',
  'environment-sensor': 'env',
  'telemedicine-endpoint': 'tele',
}

export function wardOf(index: number): string {
  return `bench-w${String(Math.floor(index / WARD_SIZE) + 1).padStart(4, '0')}`
}

export function bedName(bed: number): string {
  return `bed-${String(bed + 1).padStart(2, '0')}`
}

export function benchDevice(index: number): BenchDevice {
  const slot = index % WARD_SIZE
  const ward = wardOf(index)
  const number = String(index + 1).padStart(6, '0')
  const bedSlots = BEDS_PER_WARD * BED_KINDS.length
  if (slot < bedSlots) {
    const bed = Math.floor(slot / BED_KINDS.length)
    const kind = BED_KINDS[slot % BED_KINDS.length]!
    return { index, id: `${SHORT[kind]}-${number}`, kind, ward, bed: bedName(bed), patient: `pt-${ward}-${bedName(bed)}` }
  }
  const kind = WARD_KINDS[slot - bedSlots]!
  return { index, id: `${SHORT[kind]}-${number}`, kind, ward }
}

export function benchDevices(count: number): BenchDevice[] {
  return Array.from({ length: count }, (_, i) => benchDevice(i))
}

export function benchTopic(device: BenchDevice, channel: OutboundChannel): string {
  return deviceTopic({ ward: device.ward, kind: device.kind, deviceId: device.id, channel })
}

/** Gateways multiplex consecutive devices: gateway g carries devices g·n … g·n+n−1. */
export function gatewayId(connection: number): string {
  return `gw-${String(connection + 1).padStart(6, '0')}`
}
