import { Message } from 'node-hl7-client'
import { HL7_2_6 } from 'node-hl7-client/hl7'

/**
 * Thin helpers over node-hl7-client's Message, so every builder fills segments the same way and
 * none of them writes separators or escapes by hand: the library escapes | ^ ~ \ & in each value
 * it is given (HL7 v2.6 ch. 2.7, escape sequences), so a value with a delimiter stays one value.
 */

export type Component = string | number | undefined

/**
 * Parses received HL7 text. Segments are CR-separated (v2.6 ch. 2.5.1), but receivers in the
 * field also send LF or CR LF, and blank segments (a doubled CR); node-hl7-client refuses a blank
 * segment, so they are dropped first. The library parses lazily: a caller must expect errors
 * from reads too, not only from here.
 */
export function parseMessage(text: string): Message {
  return new Message({ text: text.split(/\r\n|\r|\n/).filter((segment) => segment.trim() !== '').join('\r') })
}

/**
 * A field: one value, its components (`a^b^c`), or repetitions of plain values (`a~b`).
 * Empty components are left empty; trailing empty fields are not written.
 */
export type FieldValue = Component | readonly Component[] | { repeat: readonly string[] }

/** A coded value as CWE components: identifier^text^coding system. */
export interface Coding {
  code: string | number
  text: string
  system: string
}

/** CWE with an optional alternate coding (CWE-4..6), e.g. an MDC unit with its UCUM form. */
export function cwe(primary: Coding, alternate?: Coding): Component[] {
  const first = [primary.code, primary.text, primary.system]
  return alternate ? [...first, alternate.code, alternate.text, alternate.system] : first
}

export function addSegment(message: Message, name: string, fields: Readonly<Record<number, FieldValue>>): void {
  const segment = message.addSegment(name)
  for (const [key, value] of Object.entries(fields)) setField(segment, Number(key), value)
}

type Node = ReturnType<Message['addSegment']>

function setField(segment: Node, index: number, value: FieldValue): void {
  if (value === undefined || value === '') return
  if (typeof value === 'string' || typeof value === 'number') {
    segment.set(String(index), value)
  } else if ('repeat' in value) {
    // Field.set(n, …) writes repetition n; Segment.set('8', …) would write the first only.
    const field = segment.set(index) as Node
    value.repeat.forEach((repetition, n) => field.set(n, repetition))
  } else {
    value.forEach((component, n) => {
      if (component !== undefined && component !== '') segment.set(`${index}.${n + 1}`, component)
    })
  }
}

export interface MessageHeader {
  /** MSH-9: message code, trigger event, message structure. */
  type: readonly [string, string, string]
  /** MSH-10, at most 20 characters in v2.6. */
  controlId: string
  /** MSH-13, the sequence number protocol (v2.6 ch. 2.10.2); absent where no sequence applies. */
  sequenceNumber?: number
  /** MSH-7. */
  at: number
  /** MSH-3 and MSH-4: HD components (namespace^universal id^type). */
  sendingApplication: readonly Component[]
  sendingFacility?: readonly Component[]
  receivingApplication?: readonly Component[]
  receivingFacility?: readonly Component[]
  /** MSH-15 accept and MSH-16 application acknowledgement type (HL7 table 0155). */
  acceptAck?: 'AL' | 'NE' | 'ER' | 'SU'
  applicationAck?: 'AL' | 'NE' | 'ER' | 'SU'
  /** MSH-21 message profile identifier (EI: id^namespace^universal id^ISO). */
  profile?: readonly Component[]
}

/** A v2.6 message with its MSH; MSH-11 is P (production), MSH-18 UNICODE UTF-8 as the frames are UTF-8. */
export function newMessage(header: MessageHeader): Message {
  const [code, trigger, structure] = header.type
  const message = new Message({
    messageHeader: { msh_9_1: code, msh_9_2: trigger, msh_9_3: structure, msh_10: header.controlId, msh_11_1: 'P' },
    specification: new HL7_2_6(),
  })
  // The library stamps MSH-7 in local time without a zone; HL7 DTM wants the offset.
  message.set('MSH.7', hl7Timestamp(header.at))
  const msh: Record<number, FieldValue> = {
    3: header.sendingApplication,
    4: header.sendingFacility,
    5: header.receivingApplication,
    6: header.receivingFacility,
    13: header.sequenceNumber,
    15: header.acceptAck,
    16: header.applicationAck,
    18: 'UNICODE UTF-8',
    21: header.profile,
  }
  for (const [key, value] of Object.entries(msh)) {
    if (value === undefined) continue
    if (typeof value === 'string' || typeof value === 'number') message.set(`MSH.${key}`, value)
    else if (!('repeat' in value)) value.forEach((c, n) => c !== undefined && c !== '' && message.set(`MSH.${key}.${n + 1}`, c))
  }
  return message
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** HL7 DTM in UTC with milliseconds and an explicit offset: YYYYMMDDHHMMSS.SSS+0000 (v2.6 ch. 2A.22). */
export function hl7Timestamp(epochMs: number): string {
  const d = new Date(epochMs)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
}
