import net from 'node:net'
import { readAck, type AckReading } from '../clinical/hl7/ack.ts'
import { WardlabError } from '../util/errors.ts'
import { MllpFrameDecoder, writeFrame } from './frames.ts'

/**
 * Sends one order over MLLP and waits for the two answers IHE PCD-03 gives on the same
 * connection: the commit ACK (CA), then RRG^O16 (AA or AE with the reason). The scenario's
 * `hl7-order` event uses it against wardlab's own `--hl7-listen`.
 */
export function requestOverMllp(
  host: string,
  port: number,
  text: string,
  timeoutMs = 10_000,
): Promise<{ commit: AckReading | null; response: AckReading | null }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host)
    const decoder = new MllpFrameDecoder()
    const replies: string[] = []
    const timer = setTimeout(() => finish(new WardlabError('WL_HL7_TIMEOUT', `no RRG^O16 from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    const finish = (error?: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve({ commit: readAck(replies[0] ?? ''), response: readAck(replies[1] ?? '') })
    }
    socket.once('connect', () => writeFrame(socket, text))
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) replies.push(frame)
      if (replies.length >= 2) finish()
    })
    socket.once('error', (error) => finish(error))
  })
}
