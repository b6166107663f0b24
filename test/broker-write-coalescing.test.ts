import type { Client } from 'aedes'
import type { Socket } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { holdCorkForTheTurn } from '../src/broker/write-coalescing.ts'
import { OBSERVER, connectAs, connectDevice, envelope, startTestLab } from './support/lab.ts'
import { until } from './support/reliability.ts'

const TELEMETRY = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const BURST = 200
const PUBLISHERS = 15
const PER_PUBLISHER = 150

/** Counts the writes Node hands the kernel for one socket: each `_write` or `_writev` is one system call. */
function countWrites(socket: Socket): { calls: number; chunks: number } {
  const counts = { calls: 0, chunks: 0 }
  const write = socket._write.bind(socket)
  const writev = socket._writev?.bind(socket)
  socket._write = (chunk, encoding, callback) => {
    counts.calls++
    counts.chunks++
    write(chunk, encoding, callback)
  }
  if (writev)
    socket._writev = (chunks, callback) => {
      counts.calls++
      counts.chunks += chunks.length
      writev(chunks, callback)
    }
  return counts
}

describe('writes to a connection, coalesced per turn of the event loop', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('lab')
  })

  afterAll(async () => {
    await lab?.stop()
  })

  it('sends a burst of deliveries to a subscriber in a few system calls, every message intact and in order', async () => {
    const observer = await connectAs(lab, { clientId: 'coalesce-obs', ...OBSERVER })
    await observer.subscribeAsync(TELEMETRY, { qos: 0 })
    const conn = (lab.broker as unknown as { clients: Record<string, Client> }).clients['coalesce-obs']!.conn as unknown as Socket
    const writes = countWrites(conn)
    const received: number[] = []
    observer.on('message', (_topic, payload) => received.push((JSON.parse(payload.toString()) as { seq: number }).seq))

    const device = await connectDevice(lab, 'mon-01')
    // One burst: the broker reads it in a turn or two and delivers each PUBLISH in a tick of its own.
    for (let seq = 0; seq < BURST; seq++) device.publish(TELEMETRY, envelope('mon-01', seq), { qos: 0 })
    await until(() => received.length === BURST, 10_000)

    expect(received).toEqual(Array.from({ length: BURST }, (_, i) => i))
    expect(writes.chunks).toBeGreaterThanOrEqual(BURST)
    // Without coalescing each delivery is its own call (BURST of them); with it, one per turn.
    expect(writes.calls).toBeLessThan(BURST / 10)
    await device.endAsync()
    await observer.endAsync()
  })

  it('lets a batch go at 16 KiB, what a kernel takes of a write at once: a burst leaves in bounded writes, every byte in order', async () => {
    // The same calls as mqtt-packet's writeToStream (cork, write, uncork on the next tick) on a
    // real Writable that records what each system-call-sized write would carry: the
    // batch bound is a property of the coalescing, not of a kernel's socket buffer.
    const writes: number[] = []
    const received: Buffer[] = []
    const stream = new Writable({
      writev(chunks, callback) {
        writes.push(chunks.reduce((n, c) => n + c.chunk.length, 0))
        for (const c of chunks) received.push(c.chunk as Buffer)
        callback()
      },
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk.length)
        received.push(chunk)
        callback()
      },
    })
    holdCorkForTheTurn(stream)
    const packets = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(4000, i % 251))
    // Each in an immediate of its own, as Aedes writes QoS 0 deliveries: one check phase, many ticks.
    for (const packet of packets)
      setImmediate(() => {
        stream.cork()
        stream.write(packet)
        process.nextTick(() => stream.uncork())
      })
    await until(() => received.length === packets.length, 5000)

    expect(Buffer.concat(received).equals(Buffer.concat(packets))).toBe(true)
    // 4 MB in batches: fewer writes than packets, none over the 16 KiB bound plus the packet that
    // crossed it. A bigger batch is taken in part, and libuv sends the rest only at the loop's next
    // poll: under load, once a turn (write-coalescing.ts, BENCHMARKS.md (t)).
    expect(writes.length).toBeLessThan(packets.length / 2)
    expect(Math.max(...writes)).toBeLessThanOrEqual(16 * 1024 + 4000)
  })

  it('does not mistake a subscriber taking a burst from many publishers for a congested one: nothing is shed, all arrive', async () => {
    // Many publishers at once: in one turn the broker reads from every one of their sockets and
    // delivers all of it to the one subscriber (anonymous in the lab sandbox: a clean session,
    // which load shedding skips deliveries to past 1 MiB waiting).
    const observer = await connectAs(lab, { clientId: 'coalesce-big' })
    await observer.subscribeAsync('lab/burst/#', { qos: 0 })
    let count = 0
    observer.on('message', () => count++)
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => connectAs(lab, { clientId: `burst-${i}` })))
    const payload = 'x'.repeat(2000)
    for (const [i, publisher] of publishers.entries()) for (let n = 0; n < PER_PUBLISHER; n++) publisher.publish(`lab/burst/${i}`, payload, { qos: 0 })
    await until(() => count === PUBLISHERS * PER_PUBLISHER, 20_000)

    expect(lab.shedding.skippedDeliveries).toBe(0)
    await Promise.all([...publishers, observer].map((client) => client.endAsync()))
  })
})
