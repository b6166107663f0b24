import { Aedes } from 'aedes'
import { afterEach, describe, expect, it } from 'vitest'
import { brokerSink } from '../src/pipeline/sinks/broker.ts'

/**
 * Found by `wardlab bench --rate max --qos 0 --compare pipeline=off,on`: with the broker's message
 * emitter saturated by deliveries, the pipeline's republished outputs queued behind them and the
 * broker died of a stack overflow. This is that situation, without the network.
 */
/** Aedes' message emitter, which its types leave out. */
type Emitter = { on(topic: string, listener: (packet: { payload: Buffer }, done: () => void) => void): void }

describe('broker sink under load', () => {
  let broker: Aedes
  afterEach(() => new Promise<void>((resolve) => broker.close(() => resolve())))

  it('republishes 20,000 outputs queued behind a saturated emitter, in order, without overflowing the stack', async () => {
    broker = await Aedes.createBroker({})
    // Deliveries to a subscriber complete on the next turn of the event loop, as a socket write does (aedes lib/write.js).
    const mq = (broker as unknown as { mq: Emitter }).mq
    mq.on('hospital/#', (_packet, cb) => setImmediate(cb))
    const received: number[] = []
    mq.on('fhir/#', (packet, cb) => {
      received.push(JSON.parse(packet.payload.toString()).i)
      cb()
    })
    // 200 device messages in flight: more than the emitter's 100 slots.
    for (let i = 0; i < 200; i++)
      broker.publish({ cmd: 'publish', topic: 'hospital/icu/x/y/telemetry', payload: Buffer.from('{}'), qos: 0, retain: false, dup: false }, () => undefined)
    const sink = brokerSink('broker', broker, { qos: 0 })
    for (let i = 0; i < 20_000; i++) sink.write('fhir/Observation', { i })
    await sink.flush()
    expect(sink.written).toBe(20_000)
    expect(received).toHaveLength(20_000)
    expect(received.every((v, i) => v === i)).toBe(true)
  })
})
