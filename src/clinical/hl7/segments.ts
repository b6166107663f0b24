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
  return new Message({
    text: text
      .split(/\r\n|\r|\n/)
      .filter((segment) => segment.trim() !== '')
      .join('\r'),
  })
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

/**
 * A message being written: the MSH comes from node-hl7-client's v2.6 builder, every other
 * segment is written from values the library escapes (its `escape`, with the message's own
 * delimiters). Building each segment through the library's node tree cost about 0.2 ms a
 * segment (every component is an EventEmitter), 4 ms for a monitor's PCD-01; escaping values
 * and joining them with the message's delimiters gives the same text for a fraction of that.
 */
export class Hl7Writer {
  private readonly segments: string[] = []
  private readonly field: string
  private readonly component: string
  private readonly repetition: string

  constructor(private readonly header: Message) {
    // node-hl7-client's delimiter string: segment, field, component, repetition, escape, subcomponent.
    const delimiters = header.delimiters
    this.field = delimiters[1]!
    this.component = delimiters[2]!
    this.repetition = delimiters[3]!
  }

  add(name: string, fields: Readonly<Record<number, FieldValue>>): void {
    const count = Math.max(0, ...Object.keys(fields).map(Number))
    const texts: string[] = [name]
    for (let n = 1; n <= count; n++) texts.push(this.encode(fields[n]))
    while (texts.length > 1 && texts[texts.length - 1] === '') texts.pop()
    this.segments.push(texts.join(this.field))
  }

  toString(): string {
    return [this.header.toString(), ...this.segments].join('\r')
  }

  private encode(value: FieldValue): string {
    if (value === undefined) return ''
    if (typeof value === 'string' || typeof value === 'number') return this.header.escape(String(value))
    if ('repeat' in value) return value.repeat.map((r) => this.header.escape(r)).join(this.repetition)
    const components = value.map((c) => (c === undefined ? '' : this.header.escape(String(c))))
    while (components.length > 0 && components[components.length - 1] === '') components.pop()
    return components.join(this.component)
  }
}

export function addSegment(message: Hl7Writer, name: string, fields: Readonly<Record<number, FieldValue>>): void {
  message.add(name, fields)
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

const SPEC = new HL7_2_6()

/** A v2.6 message with its MSH; MSH-11 is P (production), MSH-18 UNICODE UTF-8 as the frames are UTF-8. */
export function newMessage(header: MessageHeader): Hl7Writer {
  const [code, trigger, structure] = header.type
  const message = new Message({
    messageHeader: { msh_9_1: code, msh_9_2: trigger, msh_9_3: structure, msh_10: header.controlId, msh_11_1: 'P' },
    specification: SPEC,
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
  return new Hl7Writer(message)
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** HL7 DTM in UTC with milliseconds and an explicit offset: YYYYMMDDHHMMSS.SSS+0000 (v2.6 ch. 2A.22). */
export function hl7Timestamp(epochMs: number): string {
  const d = new Date(epochMs)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
}
