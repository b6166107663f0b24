import { WardlabError } from '../../util/errors.ts'

/**
 * The IEEE 11073 domain information model a PCD-01 message walks: MDS (the device) → VMD (a
 * module) → Channel → Metric. Each level is an OBX row whose OBX-4 is its position
 * `MDS.VMD.CHAN.METRIC`, with zeros for the levels below it (IHE PCD TF-2, OBX-4 Sub-ID and the
 * "containment tree" appendix).
 *
 * Codes: IEEE 11073-10101 device-partition terms, whose _MDS/_VMD/_CHAN variants are the base
 * term +1/+2/+3. Checked against published PCD messages and profiles (docs/hl7.md,
 * "Specification notes"): monitor MDS 69965, pump MDS 69985 and VMD 69986, ventilator MDS 70001
 * and VMD 70002. The pump's channel is the IHE PCD infusion pump model's delivery channel,
 * MDC_DEV_PUMP_INFUS_CHAN_DELIVERY 126978 (there is no plain _CHAN term for pumps). The
 * monitor's VMD/channel (69966/69967) and the ventilator's channel (70003) follow the pattern
 * but are not confirmed against NIST RTMMS. Each wardlab device is modelled as one MDS with one
 * VMD and one channel; the metrics are numbered in the order of the kind's code table, so a
 * field keeps its position from one message to the next.
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
  'infusion-pump': { ...family(69984, 'PUMP_INFUS'), chan: { code: 126978, name: 'MDC_DEV_PUMP_INFUS_CHAN_DELIVERY' } },
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
