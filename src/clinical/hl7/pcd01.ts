import { WardlabError } from '../../util/errors.ts'
import { SUB_ID } from './containment.ts'
import { addContainmentRows, equipmentIdentifier, mdc, startReport, unitField } from './common-segments.ts'
import type { ObservationInput, Pcd01Input, Stamp } from './inputs.ts'
import { PCD01_PROFILE } from './profiles.ts'
import { addSegment, cwe, hl7Timestamp, type Component } from './segments.ts'

/**
 * IHE PCD-01 Communicate PCD Data: one device's observations as ORU^R01^ORU_R01, HL7 v2.6
 * (IHE PCD TF-2, PCD-01 static definition): MSH, PID, PV1, OBR, then OBX rows down the IEEE
 * 11073 containment tree (MDS, VMD, channel, metrics). Pure: the same input and stamp give the
 * same text.
 */

export function buildPcd01(input: Pcd01Input, stamp: Stamp): string {
  const { observations } = input
  const { message, containment, eui, application } = startReport(input, stamp, ['ORU', 'R01', 'ORU_R01'], PCD01_PROFILE)
  const times = observations.map((o) => o.ts)
  const first = Math.min(...times)
  // OBR-3 filler order number: unique per report (the control id) in the sender's namespace;
  // OBR-4 the device (its MDS code); OBR-7/8 the span of the observations.
  addSegment(message, 'OBR', {
    1: 1,
    3: [stamp.controlId, application[0], application[1], 'EUI-64'],
    4: mdc(containment.mds),
    7: hl7Timestamp(first),
    8: hl7Timestamp(Math.max(...times)),
  })
  let setId = addContainmentRows(message, containment, eui, first, 1)
  observations.forEach((observation, index) => {
    addSegment(message, 'OBX', observationFields(observation, setId++, observation.metric ?? index + 1, eui))
  })
  return message.toString()
}

function observationFields(o: ObservationInput, setId: number, metric: number, eui: string): Record<number, Component | readonly Component[]> {
  if (!o.code.mdc) throw new WardlabError('WL_HL7_MAPPING', `field ${o.field} has no MDC code; PCD-01 OBX-3 needs one`)
  const fields: Record<number, Component | readonly Component[]> = {
    1: setId,
    2: valueType(o.value),
    3: mdc(o.code.mdc),
    4: SUB_ID.metric(metric),
    5: typeof o.value === 'object' ? cwe(o.value) : o.value,
    11: o.status ?? 'R',
    14: hl7Timestamp(o.ts),
    18: equipmentIdentifier(eui),
  }
  if (typeof o.value === 'number') {
    fields[6] = unitField(o.code)
    if (o.range) fields[7] = referenceRange(o.range)
    const flag = abnormalFlag(o.value, o.range)
    if (flag) fields[8] = flag
  }
  if (o.bodySite) fields[20] = cwe(o.bodySite)
  return fields
}

function valueType(value: ObservationInput['value']): 'NM' | 'ST' | 'CWE' {
  return typeof value === 'number' ? 'NM' : typeof value === 'string' ? 'ST' : 'CWE'
}

/** OBX-7 as HL7 writes ranges (v2.6 ch. 7.4.2.7): `low-high`, `>low` or `<high`. */
function referenceRange(range: NonNullable<ObservationInput['range']>): string | undefined {
  const { low, high } = range
  if (low !== undefined && high !== undefined) return `${low}-${high}`
  if (low !== undefined) return `>${low}`
  if (high !== undefined) return `<${high}`
  return undefined
}

/** OBX-8 (HL7 table 0078): L below, H above, N inside the range; nothing without a range. */
function abnormalFlag(value: number, range: ObservationInput['range']): 'L' | 'H' | 'N' | undefined {
  if (!range || (range.low === undefined && range.high === undefined)) return undefined
  if (range.low !== undefined && value < range.low) return 'L'
  if (range.high !== undefined && value > range.high) return 'H'
  return 'N'
}
