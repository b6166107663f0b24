import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectAsync, type MqttClient } from 'mqtt'
import { OFFLINE_QUEUE_LIMIT } from '../src/broker/offline-queue-limit.ts'
import { saveRegistry } from '../src/registry/load.ts'
import { startMeasuredBroker, type BrokerStatus, type MeasuredBroker } from '../src/reliability/measured-broker.ts'
import { OBSERVER, PASSWORDS, testRegistry } from './support/lab.ts'
import { MON_01_TELEMETRY } from './support/reliability.ts'
import { freezeAsSubscriber } from '../src/reliability/frozen-subscriber.ts'

/** 1 KB messages: past the offline queue's 10,000, each further one would cost the broker its size. */
const PAYLOAD = JSON.stringify({ deviceId: 'mon-01', pad: 'x'.repeat(1000) })
const live = (status: BrokerStatus) => status.memory.heapUsed + status.memory.arrayBuffers
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

describe('a frozen persistent subscriber, once dropped', () => {
  let broker: MeasuredBroker
  let device: MqttClient
  let frozen: Socket
  let sent = 0
  let publishing = true

  beforeAll(async () => {
    const registryFile = join(mkdtempSync(join(tmpdir(), 'wardlab-frozen-')), 'registry.yaml')
    saveRegistry(registryFile, await testRegistry())
    broker = await startMeasuredBroker(['--registry', registryFile, '--drain-timeout', '500'])
    device = await connectAsync(broker.url, { protocolVersion: 4, clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'], reconnectPeriod: 0 })
  })

  afterAll(async () => {
    publishing = false
    frozen?.destroy()
    device?.end(true)
    await broker?.stop()
  })

  /** mon-01 at QoS 1, eight messages in flight, as fast as the broker acknowledges. */
  function publishUntil(total: number): Promise<void> {
    const lane = async () => {
      while (publishing && sent < total) {
        await device.publishAsync(MON_01_TELEMETRY, PAYLOAD, { qos: 1 })
        sent++
      }
    }
    return Promise.all(Array.from({ length: 8 }, lane)).then(() => undefined)
  }

  /** Does `step` until the broker's status passes `check`. */
  async function statusWhen(check: (status: BrokerStatus) => boolean, step: () => Promise<void>, what: string): Promise<BrokerStatus> {
    const deadline = Date.now() + 30_000
    for (let status = await broker.status(); ; status = await broker.status()) {
      if (check(status)) return status
      if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`)
      await Promise.all([step(), new Promise((resolve) => setTimeout(resolve, 50))])
    }
  }

  it('costs the broker no more memory however much is published after the drop', async () => {
    // The observer keeps a session (CleanSession 0), subscribes to everything at QoS 1, then never reads again.
    frozen = connect(Number(new URL(broker.url).port), '127.0.0.1')
    await new Promise((resolve) => frozen.once('connect', resolve))
    freezeAsSubscriber(frozen, OBSERVER)
    const baseline = await statusWhen(
      (status) => status.clients === 2,
      async () => undefined,
      'the frozen observer connecting',
    )

    // Dropped: it stops reading, the kernel's buffers fill, drainTimeout runs out.
    const dropped = await statusWhen(
      (status) => status.clients === 1,
      () => publishUntil(sent + 1000),
      'the frozen observer dropped',
    )
    expect(dropped.signals['load-shed']).toBeGreaterThanOrEqual(1)

    // Its session's queue is full by now (10,000 messages); what follows is where memory grew.
    await publishUntil(sent + OFFLINE_QUEUE_LIMIT.messages)
    const full = await broker.status()
    const more = 3 * OFFLINE_QUEUE_LIMIT.messages
    await publishUntil(sent + more)
    const after = await broker.status()
    const growth = live(after) - live(full)
    console.info(
      `frozen subscriber: ${sent} messages; live memory (heap + buffers) ${mb(live(baseline))} connected, ${mb(live(full))} once its queue was full, ${mb(live(after))} after ${more} more (${mb(more * PAYLOAD.length)} of payload); RSS ${mb(baseline.memory.rss)} → ${mb(after.memory.rss)}`,
    )
    // Without a bound on the dropped session's queue each message stays: growth ≈ the payload sent.
    expect(growth).toBeLessThan((more * PAYLOAD.length) / 4)
    // And the whole episode holds at most the queue's bound, with room for noise.
    expect(live(after) - live(baseline)).toBeLessThan(OFFLINE_QUEUE_LIMIT.messages * PAYLOAD.length * 2 + 16e6)
    expect(after.signals['load-shed']).toBeGreaterThanOrEqual(2)
  }, 120_000)
})
