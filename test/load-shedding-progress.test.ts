import type { AedesPublishPacket, Client } from 'aedes'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { LoadShedding } from '../src/broker/load-shedding.ts'
import { SignalBus } from '../src/security/signals.ts'
import { silentLogger } from '../src/util/log.ts'

const PACKET = {
  cmd: 'publish',
  topic: 'hospital/icu/x',
  payload: Buffer.alloc(0),
  qos: 0,
  retain: false,
  dup: false,
  brokerId: 'b',
  brokerCounter: 1,
} as AedesPublishPacket

/** A loopback TCP connection: the broker's end writes, the subscriber's end reads when told to. */
async function loopback(): Promise<{ server: Server; writer: Socket; reader: Socket }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const writer = connect((server.address() as { port: number }).port, '127.0.0.1')
  await new Promise((resolve) => writer.once('connect', resolve))
  const reader = await accepted
  reader.pause()
  return { server, writer, reader }
}

/** Offers a delivery every 20 ms, a turn of the loop apart, for `ms`: how many were skipped. */
async function offerFor(shedding: LoadShedding, client: Client, ms: number): Promise<number> {
  let skipped = 0
  for (const end = performance.now() + ms; performance.now() < end; ) {
    if (shedding.forwardUnlessCongested(client, PACKET) === null) skipped++
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return skipped
}

describe('load shedding reads progress as what the kernel took', () => {
  let open: { server: Server; writer: Socket; reader: Socket } | null = null

  afterEach(() => {
    open?.writer.destroy()
    open?.reader.destroy()
    open?.server.close()
    open = null
  })

  it('waits for a subscriber working through one write of megabytes, and skips it once it stops reading', async () => {
    open = await loopback()
    const { writer, reader } = open
    const shedding = new LoadShedding({ signals: new SignalBus(), log: silentLogger })
    const client = { clean: true, conn: writer, id: 'reader' } as unknown as Client
    // One write of 64 MB: the kernel takes a few MB, and Node counts all 64 as dispatched at once.
    writer.write(Buffer.alloc(64 * 1024 * 1024))
    const dispatched = (writer as unknown as { _bytesDispatched: number })._bytesDispatched
    // The subscriber reads 10 ms in every 100: steadily, for longer than stallMs, yet the write
    // is nowhere near done, so the bytes dispatched do not move.
    const reading = setInterval(() => {
      reader.resume()
      setTimeout(() => reader.pause(), 10)
    }, 100)
    reader.on('data', () => {})
    try {
      expect(await offerFor(shedding, client, 6 * shedding.stallMs)).toBe(0)
      expect((writer as unknown as { _bytesDispatched: number })._bytesDispatched).toBe(dispatched)
    } finally {
      clearInterval(reading)
    }
    reader.pause()
    // Stopped: skipped once it has taken nothing for stallMs.
    expect(await offerFor(shedding, client, 3 * shedding.stallMs)).toBeGreaterThan(0)
    expect(shedding.counts.get('skip')).toBe(1)
  })
})
