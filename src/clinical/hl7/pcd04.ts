import { SUB_ID } from './containment.ts'
import { addContainmentRows, equipmentIdentifier, mdc, startReport, unitField } from './common-segments.ts'
import type { Pcd04Input, Stamp } from './inputs.ts'
import { PCD04_PROFILE } from './profiles.ts'
import { addSegment, cwe, hl7Timestamp, type Component, type FieldValue } from './segments.ts'

/**
 * IHE PCD-04 Report Alert: one alarm phase (raised or ended) as ORU^R40^ORU_R40, HL7 v2.6
 * (IHE PCD TF-2, PCD-04; ACM profile). After MSH/PID/PV1, OBR-4 is MDC_EVT_ALARM and OBR-3 the
 * alert instance id, the same for the start and the end so the Alert Manager pairs them. The
 * device levels follow as in PCD-01, then the alert rows under the alarm's source position
 * (`<source>.n`): .1 alert identification, .2 the metric that caused it, .3 event phase, .4 alarm
 * state, .5 inactivation state, .6 priority, .7 alert type. Codes for rows .3–.7 (68481–68485,
 * MDC_ATTR_*) are the ones PCD-04 implementations send; re-check against the TF-2 table when
 * wiring. wardlab's alarm codes (SPO2_LOW, LEAD_OFF…) have no verified MDC event term, so OBX-5
 * of row .1 carries them in a local coding system (HL7 table 0396 "99zzz": 99WLA).
 */

const MDC_EVT_ALARM = { code: 196616, name: 'MDC_EVT_ALARM' }
const LOCAL_ALARM_SYSTEM = '99WLA'

/** IEC 60601-1-8 priority → PCD-04 priority (PH/PM/PL) and category → alert type (SP/ST). */
const PRIORITY = { high: 'PH', medium: 'PM', low: 'PL' } as const
const ALERT_TYPE = { physiological: 'SP', technical: 'ST' } as const

const ATTRIBUTE_ROWS = [
  { n: 3, term: { code: 68481, name: 'MDC_ATTR_EVENT_PHASE' } },
  { n: 4, term: { code: 68482, name: 'MDC_ATTR_ALARM_STATE' } },
  { n: 5, term: { code: 68483, name: 'MDC_ATTR_ALARM_INACTIVATION_STATE' } },
  { n: 6, term: { code: 68484, name: 'MDC_ATTR_ALARM_PRIORITY' } },
  { n: 7, term: { code: 68485, name: 'MDC_ATTR_ALERT_TYPE' } },
] as const

/** The alert instance id (OBR-3.1): device, alarm code and start, so a restart of the same code is a new instance. */
export function alertInstanceId(input: Pick<Pcd04Input, 'device' | 'alarm' | 'startedAt'>): string {
  return `${input.device.id}:${input.alarm.code}:${input.startedAt}`
}

export function buildPcd04(input: Pcd04Input, stamp: Stamp): string {
  const { alarm } = input
  const { message, containment, eui, application } = startReport(input, stamp, ['ORU', 'R40', 'ORU_R40'], PCD04_PROFILE)
  addSegment(message, 'OBR', {
    1: 1,
    3: [alertInstanceId(input), application[0], application[1], 'EUI-64'],
    4: mdc(MDC_EVT_ALARM),
    7: hl7Timestamp(input.startedAt),
    8: alarm.active ? undefined : hl7Timestamp(input.ts),
  })
  let setId = addContainmentRows(message, containment, eui, input.startedAt, 1)
  // A physiological alarm's source is the metric; a technical one is the device itself.
  const source = input.parameter ? SUB_ID.metric(input.parameter.metric) : SUB_ID.mds
  const flags = { repeat: [abnormality(alarm), PRIORITY[alarm.priority], ALERT_TYPE[alarm.category]] }
  const time = hl7Timestamp(input.ts)
  addSegment(message, 'OBX', {
    1: setId++,
    2: 'CWE',
    3: mdc(MDC_EVT_ALARM),
    4: `${source}.1`,
    5: cwe({ code: alarm.code, text: alarm.message, system: LOCAL_ALARM_SYSTEM }),
    8: flags,
    11: 'R',
    14: time,
    18: equipmentIdentifier(eui),
  })
  if (input.parameter?.code.mdc && alarm.value !== undefined) {
    addSegment(message, 'OBX', {
      1: setId++,
      2: 'NM',
      3: mdc(input.parameter.code.mdc),
      4: `${source}.2`,
      5: alarm.value,
      6: unitField(input.parameter.code),
      7: alarm.limit === undefined ? undefined : limitRange(alarm.code, alarm.limit),
      8: { repeat: [abnormality(alarm)] },
      11: 'R',
      14: time,
    })
  }
  const values: Record<number, string> = {
    3: alarm.active ? 'start' : 'end',
    4: alarm.active ? 'active' : 'inactive',
    5: 'enabled',
    6: PRIORITY[alarm.priority],
    7: ALERT_TYPE[alarm.category],
  }
  for (const { n, term } of ATTRIBUTE_ROWS) {
    const fields: Record<number, FieldValue> = { 1: setId++, 2: 'ST', 3: mdc(term), 4: `${source}.${n}`, 5: values[n], 11: 'R', 14: time }
    addSegment(message, 'OBX', fields)
  }
  return message.toString()
}

/** OBX-8 abnormality: H above a high limit, L below a low limit, A (abnormal) otherwise. */
function abnormality(alarm: Pcd04Input['alarm']): 'H' | 'L' | 'A' {
  if (alarm.value === undefined || alarm.limit === undefined) return 'A'
  return alarm.value > alarm.limit ? 'H' : alarm.value < alarm.limit ? 'L' : 'A'
}

/** The limit the value crossed, as an OBX-7 range: `<limit` for a high alarm, `>limit` for a low one. */
function limitRange(code: string, limit: number): Component {
  return code.endsWith('_HIGH') ? `<${limit}` : code.endsWith('_LOW') ? `>${limit}` : String(limit)
}
