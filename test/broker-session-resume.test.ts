import type { Client } from 'aedes'
import { connect } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { until } from '../src/util/until.ts'
import { OBSERVER, connectAs, envelope, startTestLab, urlOf } from './support/lab.ts'

const TOPIC = 'hospital/icu/bedside-monitor/mon-02/telemetry'
const FILTER = 'hospital/icu/bedside-monitor/mon-02/#'

/** The steps of Aedes 1.2's persistence its connect sequence awaits (lib/handlers/connect.js). */
interface Persistence {
  delWill(client: Client): Promise<unknown>
  outgoingUpdate(client: Client, packet: unknown): Promise<unknown>
}

let lab: Lab

beforeAll(async () => {
  lab = await startTestLab('lab')
})

afterAll(async () => {
  await lab?.stop()
})

/** Publishes as the broker and resolves once Aedes has stored it for offline sessions and emitted it. */
function publishReading(seq: number): Promise<void> {
  return new Promise((resolve, reject) =>
    lab.broker.publish({ cmd: 'publish', topic: TOPIC, payload: Buffer.from(envelope('mon-02', seq)), qos: 1, retain: false, dup: false }, (err) =>
      err ? reject(err) : resolve(),
    ),
  )
}

/** Lets the emitter's delivery run to the socket: Aedes delivers on the next turn, after a persistence call. */
const deliveryTurns = async () => {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve))
}

/** Runs `during` once, inside the named persistence step, when Aedes reaches it for `clientId`. */
function interpose(step: keyof Persistence, clientId: string, during: () => Promise<void>): void {
  const persistence = (lab.broker as unknown as { persistence: Persistence }).persistence
  const original = persistence[step].bind(persistence) as (client: Client, packet?: unknown) => Promise<unknown>
  let done = false
  persistence[step] = async (client: Client, packet?: unknown) => {
    if (!done && client.id === clientId) {
      done = true
      await during()
    }
    return original(client, packet)
  }
}

describe('a persistent session resuming', () => {
  it('gets CONNACK first, then what was stored, then what arrived meanwhile: each once, in order (MQTT-3.2.0-1, §4.6)', async () => {
    const clientId = 'obs-resume'
    // As the registered observer: anonymous clients keep no session in the lab profile.
    const first = await connectAs(lab, { clientId, ...OBSERVER, clean: false })
    await first.subscribeAsync(FILTER, { qos: 1 })
    await first.endAsync()
    for (let seq = 1; seq <= 5; seq++) await publishReading(seq)
    // Between restoring the subscriptions and the CONNACK (the will step): reading 6 is stored
    // for the session and also reaches its restored subscription live.
    interpose('delWill', clientId, async () => {
      await publishReading(6)
      await deliveryTurns()
    })
    // While the stored queue is replayed: reading 7 is stored after the replay read the queue, so
    // only its live delivery brings it.
    interpose('outgoingUpdate', clientId, () => publishReading(7))

    const received: string[] = []
    const seqs: number[] = []
    const again = connect(urlOf(lab), { protocolVersion: 4, clientId, ...OBSERVER, clean: false, reconnectPeriod: 0 })
    again.on('packetreceive', (packet) => received.push(packet.cmd))
    again.on('message', (_topic, payload) => seqs.push(JSON.parse(payload.toString()).seq))
    await until(() => seqs.length >= 7, 5000)
    await again.endAsync()
    expect(received[0]).toBe('connack')
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7])
  })
})
