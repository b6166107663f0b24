import { containmentOf, SUB_ID, type Containment, type MdcTerm } from './containment.ts'
import { deriveEui64 } from './eui64.ts'
import type { DeviceInput, SenderInput, Stamp } from './inputs.ts'
import type { MeasurementCode } from '../../contract/device-contract.ts'
import { REPORT_ACK } from './profiles.ts'
import { addSegment, cwe, hl7Timestamp, newMessage, type Component, type Hl7Writer } from './segments.ts'

/** Segments PCD-01 and PCD-04 share: who sends, the patient and bed, the device levels. */

const DEFAULT_SENDER = 'WARDLAB'
const GATEWAY_EUI = deriveEui64('wardlab-gateway')

export function senderApplication(sender: SenderInput | undefined): Component[] {
  // HD: namespace ^ universal id ^ universal id type; the DOR names itself by its EUI-64.
  return [sender?.application ?? DEFAULT_SENDER, sender?.eui64 ?? GATEWAY_EUI, 'EUI-64']
}

export function deviceEui(device: DeviceInput): string {
  return device.eui64 ?? deriveEui64(device.id)
}

/** OBX-18 / OBR-3 EI: entity id ^ namespace ^ universal id ^ type, with the EUI-64 as both ids, as gateways send it. */
export function equipmentIdentifier(eui: string): Component[] {
  return [eui, '', eui, 'EUI-64']
}

export function mdc(term: MdcTerm): Component[] {
  return cwe({ code: term.code, text: term.name, system: 'MDC' })
}

/** OBX-6: the MDC unit with UCUM as the alternate coding, or UCUM alone when the code has no MDC unit. */
export function unitField(code: MeasurementCode): Component[] {
  const ucum = { code: code.ucum, text: code.ucum, system: 'UCUM' }
  return code.mdcUnit ? cwe({ code: code.mdcUnit.code, text: code.mdcUnit.name, system: 'MDC' }, ucum) : cwe(ucum)
}

/**
 * PID-3 (CX: id ^^^ assigning authority ^ MR) and PID-5 (XPN, name type L), then PV1-2 I and
 * PV1-3 (PL: point of care ^ room ^ bed). Equipment with no patient gets an empty PID, so the
 * receiver still reads the point of care.
 */
export function addPatientVisit(message: Hl7Writer, device: DeviceInput, authority: string): void {
  const patient = device.patient
  addSegment(message, 'PID', patient ? { 3: [patient.id, '', '', authority, 'MR'], 5: [patient.family, patient.given, '', '', '', '', 'L'] } : {})
  addSegment(message, 'PV1', { 2: 'I', 3: [device.location.ward, device.location.room, device.location.bed] })
}

/**
 * The MDS, VMD and channel rows: no value, OBX-11 X ("results cannot be obtained", the status
 * PCD gateways give structural rows), the equipment identity on the MDS row. Returns the next
 * OBX-1 set id.
 */
export function addContainmentRows(message: Hl7Writer, containment: Containment, eui: string, ts: number, setId: number): number {
  const rows: [MdcTerm, string][] = [
    [containment.mds, SUB_ID.mds],
    [containment.vmd, SUB_ID.vmd],
    [containment.chan, SUB_ID.chan],
  ]
  for (const [term, subId] of rows) {
    addSegment(message, 'OBX', {
      1: setId++,
      3: mdc(term),
      4: subId,
      11: 'X',
      14: hl7Timestamp(ts),
      18: term === containment.mds ? equipmentIdentifier(eui) : undefined,
    })
  }
  return setId
}

export interface Report {
  message: Hl7Writer
  containment: Containment
  eui: string
  application: Component[]
}

/**
 * The start every device report shares (PCD-01 and PCD-04): MSH with the link's stamp, the
 * transaction's profile and AL/NE acknowledgement, then PID and PV1.
 */
export function startReport(
  input: { device: DeviceInput; sender?: SenderInput | undefined },
  stamp: Stamp,
  type: readonly [string, string, string],
  profile: readonly Component[],
): Report {
  const containment = containmentOf(input.device.kind)
  const application = senderApplication(input.sender)
  const message = newMessage({
    type,
    controlId: stamp.controlId,
    sequenceNumber: stamp.sequenceNumber,
    at: stamp.at,
    sendingApplication: application,
    sendingFacility: input.sender?.facility ? [input.sender.facility] : undefined,
    ...REPORT_ACK,
    profile,
  })
  addPatientVisit(message, input.device, AUTHORITY)
  return { message, containment, eui: deviceEui(input.device), application }
}

/** PID-3 assigning authority: the registry that issued the patient ids. */
const AUTHORITY = 'WARDLAB'
