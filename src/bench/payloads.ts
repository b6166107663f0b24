import { DEVICE_KINDS } from '../../devices/index.ts'
import type { OutboundChannel } from '../contract/topics.ts'
import { driveKind } from '../simulation/drive-kind.ts'
import { createPatientModel } from '../simulation/physiology/patient-model.ts'
import { benchPatient } from './bench-registry.ts'
import type { BenchDevice } from './fleet-layout.ts'

export type PayloadSpec = { type: 'fleet' } | { type: 'synthetic'; bytes: number }

/** What a generator sends as message `seq` of one device. */
export interface PayloadSource {
  channel(device: number, seq: number): OutboundChannel
  /** The payload text; `ts` is the envelope's measurement time, epoch ms. */
  text(device: number, seq: number, ts: number): string
}

/** The smallest synthetic payload: `{"seq":4294967295,"pad":""}` plus room. */
export const MIN_SYNTHETIC_BYTES = 32

const SEQ_KEY = Buffer.from('"seq":')
const DIGIT_0 = 48

/**
 * The `seq` of a bench payload, read without parsing the JSON: both payload kinds put `"seq":`
 * before any device data, so the first occurrence is the envelope's. -1 if there is none.
 */
export function readSeq(payload: Buffer): number {
  let i = payload.indexOf(SEQ_KEY)
  if (i < 0) return -1
  i += SEQ_KEY.length
  let seq = 0
  let digits = 0
  for (; i < payload.length; i++, digits++) {
    const c = payload[i]! - DIGIT_0
    if (c < 0 || c > 9) break
    seq = seq * 10 + c
  }
  return digits > 0 ? seq : -1
}

export function payloadSource(spec: PayloadSpec, devices: readonly BenchDevice[], seed: string): PayloadSource {
  return spec.type === 'fleet' ? fleetPayloads(devices, seed) : syntheticPayloads(spec.bytes)
}

/**
 * Fixed-size payloads of opaque padding: `{"seq":N,"pad":"xxxx"}` sized to exactly `bytes`. They
 * are JSON but not envelopes, so with the embedded pipeline on they are quarantined (that path is
 * what they measure); use `fleet` to measure the pipeline's work on real messages.
 */
export function syntheticPayloads(bytes: number): PayloadSource {
  if (bytes < MIN_SYNTHETIC_BYTES) throw new Error(`synthetic payloads are at least ${MIN_SYNTHETIC_BYTES} bytes`)
  const pad = 'x'.repeat(bytes)
  const overhead = '{"seq":'.length + ',"pad":"'.length + '"}'.length
  return {
    channel: () => 'telemetry',
    text(_device, seq) {
      const digits = String(seq)
      return `{"seq":${digits},"pad":"${pad.slice(0, bytes - overhead - digits.length)}"}`
    },
  }
}

/** Emissions per kind in the pool every device of that kind cycles through. */
const POOL_SIZE = 300
/**
 * Ticks driven to fill it: telemedicine carts say nothing between calls, so some kinds need hours,
 * and with some seeds the first call comes late — the drive goes on, four times longer each try.
 */
const POOL_TICKS = [5000, 20_000, 80_000]

/**
 * Real device payloads: each kind is driven offline (src/simulation/drive-kind.ts) through a few
 * minutes of a stable patient, and its emissions — vital signs, pump and ventilator telemetry,
 * the odd alarm and event — become a pool of pre-serialised `data` that every device of the kind
 * cycles through from its own offset. The envelope around it (deviceId, kind, seq, ts) is filled
 * in per message, so each payload is valid against the kind's own zod schemas.
 */
export function fleetPayloads(devices: readonly BenchDevice[], seed: string): PayloadSource {
  const pools = new Map<string, { channel: OutboundChannel; tail: string }[]>()
  for (const kind of new Set(devices.map((d) => d.kind))) pools.set(kind, emissionPool(kind, seed))
  const heads = devices.map((d) => `{"deviceId":"${d.id}","kind":"${d.kind}","seq":`)
  const poolOf = devices.map((d) => pools.get(d.kind)!)
  const offsets = devices.map((d) => (d.index * 7919) % POOL_SIZE)
  const entry = (device: number, seq: number) => {
    const pool = poolOf[device]!
    return pool[(offsets[device]! + seq) % pool.length]!
  }
  return {
    channel: (device, seq) => entry(device, seq).channel,
    text: (device, seq, ts) => `${heads[device]}${seq},"ts":${ts}${entry(device, seq).tail}`,
  }
}

function emissionPool(kindName: string, seed: string): { channel: OutboundChannel; tail: string }[] {
  const kind = DEVICE_KINDS.get(kindName)
  if (!kind) throw new Error(`no device kind "${kindName}"`)
  const start = Date.UTC(2026, 0, 1, 8)
  for (const ticks of POOL_TICKS) {
    const patient = kind.needsPatient ? createPatientModel(benchPatient(`pt-pool-${kindName}`, 'bench-w0001', 'bed-01', 0), { seed, startMs: start }) : null
    const { emissions } = driveKind(kind, { deviceId: `${kindName}-pool`, seed, start, ticks, patient, ward: 'bench-w0001', bed: 'bed-01' })
    if (emissions.length > 0) return emissions.slice(0, POOL_SIZE).map((e) => ({ channel: e.channel, tail: `,"data":${JSON.stringify(e.data)}}` }))
  }
  throw new Error(`device kind "${kindName}" emitted nothing in ${POOL_TICKS.at(-1)} ticks`)
}
