import { afterEach, describe, expect, it } from 'vitest'
import { MONITOR_CODES } from '../src/contract/devices/monitor-parameters.ts'
import type { DeviceInput } from '../src/clinical/hl7/inputs.ts'
import type { LinkConfigInput } from '../src/hl7/link-config.ts'
import { MllpLink } from '../src/hl7/link.ts'
import type { LinkStats } from '../src/hl7/link-stats.ts'
import { buildPcd01 } from '../src/clinical/hl7/pcd01.ts'
import { observationsFromTelemetry } from '../src/clinical/hl7/telemetry-observations.ts'
import { freeLoopbackPort } from '../src/util/free-port.ts'
import { until } from '../src/util/until.ts'
import { PythonReceiver, type ReceiverPlan } from './support/hl7-python.ts'
import { selfSignedCertificate } from './support/tls.ts'

/**
 * The link's promise, checked against python-hl7 as the receiver: whatever the receiver does
 * (ACK, NAK, silence, crash, outage) nothing is lost silently. At every look,
 * generated = acknowledged + dead-lettered + pending, and the receiver's MSH-13 sequence numbers
 * have no gap other than the messages the link itself dead-lettered.
 */

const device: DeviceInput = {
  id: 'mon-1',
  kind: 'bedside-monitor',
  location: { ward: 'W1', room: '1', bed: '1' },
  patient: { id: 'p-1', family: 'Test', given: 'One' },
}
const FAST = { ackTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 400, connectTimeoutMs: 1000 }, nak: { retryDelayMs: 20 } } as const

const open: { links: MllpLink[]; receivers: PythonReceiver[] } = { links: [], receivers: [] }

afterEach(async () => {
  for (const link of open.links.splice(0)) link.close()
  for (const receiver of open.receivers.splice(0)) await receiver.stop()
})

async function receiver(plan: ReceiverPlan = {}): Promise<PythonReceiver> {
  const r = await PythonReceiver.start(plan)
  open.receivers.push(r)
  return r
}

function link(port: number, config: Partial<LinkConfigInput> = {}): MllpLink {
  const l = new MllpLink({ url: `mllp://127.0.0.1:${port}`, ...FAST, ...config, nak: { ...FAST.nak, ...config.nak } })
  open.links.push(l)
  l.start()
  return l
}

function sendMany(l: MllpLink, count: number): void {
  for (let i = 0; i < count; i++)
    l.send((stamp) => buildPcd01({ device, observations: observationsFromTelemetry({ heartRate: 60 + i, spo2: 97 }, MONITOR_CODES, Date.now()) }, stamp))
}

function expectBalanced(stats: LinkStats): void {
  expect(stats.generated).toBe(stats.acknowledged + stats.deadLettered + stats.pending)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

describe('MLLP link against python-hl7', () => {
  it('sends one at a time on AA, in sequence, and measures ACK latency', async () => {
    const r = await receiver()
    const l = link(r.port)
    sendMany(l, 50)
    expectBalanced(l.stats())
    expect(await l.drain(10_000)).toBe(true)
    const stats = l.stats()
    expect(stats).toMatchObject({ generated: 50, acknowledged: 50, deadLettered: 0, pending: 0, retransmissions: 0, naks: 0, connects: 1 })
    expect(stats.ackLatency.count).toBe(50)
    expect(stats.ackLatency.p50).toBeGreaterThan(0)
    expect((await r.reported(50)).map((m) => m.seq)).toEqual(range(1, 50))
  })

  it('retries an AE and moves on once it is accepted', async () => {
    const r = await receiver({ rules: [{ seq: 3, ack: 'AE', times: 2, reason: 'database busy' }] })
    const l = link(r.port, { nak: { policy: 'retry', retries: 3 } })
    sendMany(l, 5)
    expect(await l.drain(10_000)).toBe(true)
    expect(l.stats()).toMatchObject({ generated: 5, acknowledged: 5, deadLettered: 0, naks: 2, retransmissions: 2 })
    expect((await r.reported(7)).map((m) => m.seq)).toEqual([1, 2, 3, 3, 3, 4, 5])
  })

  it('dead-letters with the reason once AR retries are spent, and the rest still goes', async () => {
    const r = await receiver({ rules: [{ seq: 2, ack: 'AR', times: 10, reason: 'unknown patient p-1' }] })
    const letters: string[] = []
    const l = link(r.port, { nak: { policy: 'retry', retries: 2 } })
    sendMany(l, 4)
    expect(await l.drain(10_000)).toBe(true)
    letters.push(...l.deadLetters().map((d) => `${d.sequenceNumber} ${d.reason}`))
    expect(letters).toEqual(['2 AR: unknown patient p-1'])
    const stats = l.stats()
    expect(stats).toMatchObject({ generated: 4, acknowledged: 3, deadLettered: 1, pending: 0, naks: 3 })
    expectBalanced(stats)
  })

  it('dead-letters at once under the dead-letter policy', async () => {
    const r = await receiver({ rules: [{ seq: 1, ack: 'AE', reason: 'no such bed' }] })
    const seen: number[] = []
    const l = new MllpLink({ url: `mllp://127.0.0.1:${r.port}`, ...FAST, nak: { policy: 'dead-letter' } }, { onDeadLetter: (d) => seen.push(d.sequenceNumber) })
    open.links.push(l)
    l.start()
    sendMany(l, 3)
    expect(await l.drain(10_000)).toBe(true)
    expect(seen).toEqual([1])
    expect(l.stats()).toMatchObject({ acknowledged: 2, deadLettered: 1, naks: 1, retransmissions: 0 })
  })

  it('retransmits on a new connection when no ACK comes in time', async () => {
    const r = await receiver({ rules: [{ seq: 2, ack: 'none', times: 1 }] })
    const l = link(r.port, { ackTimeoutMs: 400 })
    sendMany(l, 3)
    expect(await l.drain(10_000)).toBe(true)
    expect(l.stats()).toMatchObject({ generated: 3, acknowledged: 3, ackTimeouts: 1, retransmissions: 1, connects: 2 })
    // The retransmission is the same message: same sequence number and control id.
    const second = (await r.reported(4)).filter((m) => m.seq === 2)
    expect(second).toHaveLength(2)
    expect(second[0]!.controlId).toBe(second[1]!.controlId)
  })

  it('loses nothing across a receiver restart', async () => {
    const r = await receiver()
    const l = link(r.port)
    sendMany(l, 10)
    expect(await l.drain(10_000)).toBe(true)
    await r.stop()
    sendMany(l, 10)
    expect(await until(() => l.stats().state === 'waiting', 5000)).toBe(true)
    expectBalanced(l.stats())
    await r.spawn({})
    expect(await l.drain(15_000)).toBe(true)
    expect(l.stats()).toMatchObject({ generated: 20, acknowledged: 20, deadLettered: 0 })
    await r.reported(20)
    expect(r.sequenceNumbers()).toEqual(range(1, 20))
  })

  it('holds a steady stream through a 60 s outage of the receiver process and delivers it without a gap', { timeout: 120_000 }, async () => {
    const r = await receiver()
    // Reconnect attempts back off to 5 s at most here (30 s by default): a minute of failed
    // connects, then delivery within seconds of the restart.
    const l = link(r.port, { reconnect: { initialDelayMs: 250, maxDelayMs: 5000, connectTimeoutMs: 2000 } })
    const samples: LinkStats[] = []
    const generator = setInterval(() => {
      sendMany(l, 1)
      samples.push(l.stats())
    }, 20)
    await new Promise((resolve) => setTimeout(resolve, 800))
    // The python-hl7 process is gone for a minute (the 60 s outage), the ward charting on.
    await r.stop()
    await new Promise((resolve) => setTimeout(resolve, 60_000))
    expect(l.stats().pending).toBeGreaterThan(1000)
    await r.spawn({})
    await new Promise((resolve) => setTimeout(resolve, 800))
    clearInterval(generator)
    expect(await l.drain(20_000)).toBe(true)
    for (const stats of samples) expectBalanced(stats)
    const stats = l.stats()
    expect(stats).toMatchObject({ acknowledged: stats.generated, deadLettered: 0, pending: 0 })
    expect(stats.connects).toBeGreaterThanOrEqual(2)
    await r.reported(stats.generated)
    expect(r.sequenceNumbers()).toEqual(range(1, stats.generated))
  })

  it('bounds the backlog, counts what overflow drops, and the receiver sees the gap', async () => {
    const port = await freeLoopbackPort()
    const l = link(port, { queue: { maxMessages: 5, overflow: 'drop-oldest' } })
    sendMany(l, 12)
    let stats = l.stats()
    expect(stats).toMatchObject({ generated: 12, pending: 5, deadLettered: 7, overflowDropped: 7 })
    expect(l.deadLetters().map((d) => d.sequenceNumber)).toEqual(range(1, 7))
    expect(l.deadLetters()[0]!.reason).toMatch(/backlog full/)
    const r = await receiver({ port })
    expect(await l.drain(15_000)).toBe(true)
    stats = l.stats()
    expectBalanced(stats)
    expect(stats.acknowledged).toBe(5)
    await r.reported(5)
    expect(r.sequenceNumbers()).toEqual(range(8, 12))
  })

  it('drops the newest instead when told, and bounds bytes as well as messages', async () => {
    const port = await freeLoopbackPort()
    const l = link(port, { queue: { maxMessages: 100, maxBytes: 3000, overflow: 'drop-newest' } })
    sendMany(l, 10)
    const stats = l.stats()
    expect(stats.queueBytes).toBeLessThanOrEqual(3000)
    expect(stats.pending).toBeGreaterThan(0)
    expect(stats.pending).toBeLessThan(10)
    expect(l.deadLetters().map((d) => d.sequenceNumber)).toEqual(range(stats.pending + 1, 10))
    expectBalanced(stats)
  })

  it('speaks MLLP over TLS (mllps://) with a CA file', async () => {
    const { certFile, keyFile } = selfSignedCertificate()
    const r = await receiver({ tls: { cert: certFile, key: keyFile } })
    const l = new MllpLink({ url: `mllps://127.0.0.1:${r.port}`, caFile: certFile, ...FAST })
    open.links.push(l)
    l.start()
    sendMany(l, 3)
    expect(await l.drain(10_000)).toBe(true)
    expect(l.stats()).toMatchObject({ acknowledged: 3, connects: 1 })
    expect(await r.reported(3)).toHaveLength(3)
  })
})
