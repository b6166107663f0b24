import { parseMessage } from './segments.ts'

/**
 * Reading the receiver's acknowledgement (HL7 v2.6 ch. 2.14.8 MSA, 2.14.5 ERR): MSA-1 the code
 * (table 0008: AA accept, AE error, AR reject; CA/CE/CR in enhanced mode), MSA-2 the control
 * id it answers. The reason of a NAK is ERR-8 (user message), else MSA-3 (text, kept in 2.6 for
 * backwards compatibility), else ERR-3's text.
 */
export interface AckReading {
  code: string
  controlId: string
  reason: string | undefined
}

/** The ACK's reading, or null for a reply that is not a readable acknowledgement. */
export function readAck(text: string): AckReading | null {
  try {
    const message = parseMessage(text)
    if (!message.get('MSA').toString()) return null
    const first = (path: string): string | undefined => message.get(path).toString() || undefined
    return {
      code: message.get('MSA.1').toString().toUpperCase(),
      controlId: message.get('MSA.2').toString(),
      reason: first('ERR.8') ?? first('MSA.3') ?? first('ERR.3.2'),
    }
  } catch {
    return null
  }
}

/** Accept codes that move the link on: AA, and CA where a receiver answers in enhanced mode. */
export function isPositiveAck(code: string): boolean {
  return code === 'AA' || code === 'CA'
}
