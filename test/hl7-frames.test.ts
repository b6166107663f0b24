import { describe, expect, it } from 'vitest'
import { FrameTooLarge, MllpFrameDecoder } from '../src/hl7/frames.ts'
import { readAck } from '../src/clinical/hl7/ack.ts'

/**
 * MLLP frame splitting and ACK reading, the two places wardlab does not lean on the library:
 * node-hl7-client's reader joins frames that share a read into one message.
 */

const frame = (text: string): Buffer => Buffer.concat([Buffer.from([0x0b]), Buffer.from(text, 'utf8'), Buffer.from([0x1c, 0x0d])])
const ACK_1 = 'MSH|^~\\&|R||||20260101||ACK^R01^ACK|A1|P|2.6\rMSA|AA|C1'
const ACK_2 = 'MSH|^~\\&|R||||20260101||ACK^R01^ACK|A2|P|2.6\rMSA|AE|C2\rERR|||207^Application internal error^HL70357|E||||bed \\F\\ unknown'

describe('MLLP frames', () => {
  it('splits two frames that arrive in one read', () => {
    expect(new MllpFrameDecoder().push(Buffer.concat([frame(ACK_1), frame(ACK_2)]))).toEqual([ACK_1, ACK_2])
  })

  it('keeps a frame that arrives byte by byte, multi-byte characters included', () => {
    const decoder = new MllpFrameDecoder()
    const bytes = frame('MSH|^~\\&|Zoë')
    const out: string[] = []
    for (const byte of bytes) out.push(...decoder.push(Buffer.from([byte])))
    expect(out).toEqual(['MSH|^~\\&|Zoë'])
  })

  it('ignores bytes outside a frame and refuses a frame without end', () => {
    const decoder = new MllpFrameDecoder(64)
    expect(decoder.push(Buffer.concat([Buffer.from('noise\r\n'), frame(ACK_1)]))).toEqual([ACK_1])
    expect(() => decoder.push(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(100, 0x41)]))).toThrow(FrameTooLarge)
    expect(decoder.push(frame(ACK_1))).toEqual([ACK_1])
  })
})

describe('reading ACKs', () => {
  it('reads the code, the control id it answers and the reason, unescaped', () => {
    expect(readAck(ACK_1)).toEqual({ code: 'AA', controlId: 'C1', reason: undefined })
    expect(readAck(ACK_2)).toEqual({ code: 'AE', controlId: 'C2', reason: 'bed | unknown' })
  })

  it('tolerates LF separators and blank segments, and says null to what is no ACK', () => {
    expect(readAck(`${ACK_1.replaceAll('\r', '\n')}\n\n`)).toMatchObject({ code: 'AA', controlId: 'C1' })
    expect(readAck('MSH|^~\\&|R||||20260101||ORU^R01|X|P|2.6')).toBeNull()
    expect(readAck('garbage')).toBeNull()
  })
})
