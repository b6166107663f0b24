import type { Hl7Error } from './pcd03.ts'
import type { Message } from 'node-hl7-client'
import { addSegment, newMessage, type Component, type Hl7Writer } from './segments.ts'

/**
 * The Infusion Order Consumer's answers to an RGV^O15 (IHE PCD TF-2, PCD-03 expected actions):
 * the sender asks for both acknowledgements (MSH-15 AL, MSH-16 AL), so the consumer first
 * commits to the message with an accept ACK (MSA-1 CA, enhanced mode, HL7 v2.6 ch. 2.9.3), then
 * answers the order with RRG^O16^RRG_O16: MSH, MSA (AA accepted, AE refused) and, when
 * refused, ERR with the table 0357 condition, severity E and the reason as the user message
 * (ERR-8). Both go back on the same connection, in that order.
 */

export interface RequestHeader {
  controlId: string
  /** MSH-3/MSH-4 of the order, which become MSH-5/MSH-6 of the answers. */
  sendingApplication: readonly Component[]
  sendingFacility: readonly Component[]
}

export function readRequestHeader(message: Message): RequestHeader {
  const components = (path: string): Component[] => [1, 2, 3].map((n) => message.get(`${path}.${n}`).toString())
  return { controlId: message.get('MSH.10').toString(), sendingApplication: components('MSH.3'), sendingFacility: components('MSH.4') }
}

export interface ResponseStamp {
  controlId: string
  at: number
  application: readonly Component[]
}

function responseMessage(type: readonly [string, string, string], request: RequestHeader, stamp: ResponseStamp): Hl7Writer {
  return newMessage({
    type,
    controlId: stamp.controlId,
    at: stamp.at,
    sendingApplication: stamp.application,
    receivingApplication: request.sendingApplication,
    receivingFacility: request.sendingFacility,
  })
}

/** ACK^O15^ACK with MSA-1 CA (or CR when the message cannot be taken at all). */
export function buildCommitAck(request: RequestHeader, stamp: ResponseStamp, code: 'CA' | 'CR' = 'CA', error?: { reason: string; error: Hl7Error }): string {
  const message = responseMessage(['ACK', 'O15', 'ACK'], request, stamp)
  addSegment(message, 'MSA', { 1: code, 2: request.controlId })
  if (error) addError(message, error.reason, error.error)
  return message.toString()
}

export type OrderOutcome = { accepted: true } | { accepted: false; reason: string; error: Hl7Error; code?: string }

export function buildRrgO16(request: RequestHeader, stamp: ResponseStamp, outcome: OrderOutcome): string {
  const message = responseMessage(['RRG', 'O16', 'RRG_O16'], request, stamp)
  addSegment(message, 'MSA', { 1: outcome.accepted ? 'AA' : 'AE', 2: request.controlId })
  if (!outcome.accepted) addError(message, outcome.reason, outcome.error, outcome.code)
  return message.toString()
}

/** ERR-3 HL7 error code, ERR-4 severity E, ERR-5 the application's own code (local system), ERR-8 the reason. */
function addError(message: Hl7Writer, reason: string, error: Hl7Error, applicationCode?: string): void {
  addSegment(message, 'ERR', {
    3: [error.code, error.text, 'HL70357'],
    4: 'E',
    5: applicationCode ? [applicationCode, applicationCode, '99WLO'] : undefined,
    8: reason,
  })
}
