import { WardlabError } from '../../util/errors.ts'

/**
 * The IEEE 11073 domain information model a PCD-01 message walks: MDS (the device) → VMD (a
 * module) → Channel → Metric. Each level is an OBX row whose OBX-4 is its position
 * `MDS.VMD.CHAN.METRIC`, with zeros for the levels below it (IHE PCD TF-2, OBX-4 Sub-ID and the
 * "containment tree" appendix).
 *
 * Codes: MDS codes are IEEE 11073-10101 device-partition terms (patient monitor 69965 and
 * ventilator 70001 as published devices send them; infusion pump VMD 69986 likewise); the
 * VMD and channel codes follow the partition's _MDS/_VMD/_CHAN = base+1/+2/+3 pattern. Re-check
 * against NIST RTMMS when wiring. Each wardlab device is modelled as one MDS with one VMD and one
 * channel; the metrics are numbered in the order of the kind's code table, so a field keeps its
 * position from one message to the next.
 */
export interface MdcTerm {
  code: number
  name: string
}

export interface Containment {
  mds: MdcTerm
  vmd: MdcTerm
  chan: MdcTerm
}

function family(base: number, stem: string): Containment {
  return {
    mds: { code: base + 1, name: `MDC_DEV_${stem}_MDS` },
    vmd: { code: base + 2, name: `MDC_DEV_${stem}_VMD` },
    chan: { code: base + 3, name: `MDC_DEV_${stem}_CHAN` },
  }
}

const MONITOR = family(69964, 'MON_PHYSIO_MULTI_PARAM')

/** By registry kind; kinds without MDC-coded telemetry (MRI, room sensors, video) have no PCD-01 form. */
export const CONTAINMENT_BY_KIND: Readonly<Record<string, Containment>> = {
  'bedside-monitor': MONITOR,
  'infusion-pump': family(69984, 'PUMP_INFUS'),
  ventilator: family(70000, 'SYS_PT_VENT'),
  // A hospital-at-home kit reports a patient's spot checks from several sensors: one multi-parameter device.
  'hospital-at-home-kit': MONITOR,
}

export function containmentOf(kind: string): Containment {
  const containment = CONTAINMENT_BY_KIND[kind]
  if (!containment) throw new WardlabError('WL_HL7_MAPPING', `device kind ${kind} has no IEEE 11073 containment for HL7 PCD messages`)
  return containment
}

/** OBX-4 of a level: `1.0.0.0` for the MDS, `1.1.0.0` the VMD, `1.1.1.0` the channel, `1.1.1.n` metric n. */
export const SUB_ID = {
  mds: '1.0.0.0',
  vmd: '1.1.0.0',
  chan: '1.1.1.0',
  metric: (n: number): string => `1.1.1.${n}`,
} as const
