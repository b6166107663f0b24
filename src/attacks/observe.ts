import type { Envelope } from '../contract/envelope.ts'
import { deviceTopic } from '../contract/topics.ts'
import type { DeviceEntry } from '../registry/schema.ts'
import type { Attacker } from './attacker.ts'

export interface ObservedMessage {
  topic: string
  payload: Buffer
  envelope: Envelope
}

/**
 * Listens to a device the way any observer may (anonymously, in the lab profile) and keeps its
 * envelopes: what a replay resends and what a forger continues from. Returns once `count` arrived
 * or `maxMs` of simulated time passed.
 */
export async function observeDevice(
  attacker: Attacker,
  address: string,
  device: DeviceEntry,
  options: { count: number; maxMs: number },
): Promise<ObservedMessage[]> {
  const seen: ObservedMessage[] = []
  const client = await attacker.connect(address, { clientId: `watch-${attacker.entry.attacker}` })
  client.on('message', (topic, payload) => {
    try {
      const envelope = JSON.parse(payload.toString('utf8')) as Envelope
      if (typeof envelope.seq === 'number') seen.push({ topic, payload: Buffer.from(payload), envelope })
    } catch {
      // Not an envelope (a retained status): nothing to reuse.
    }
  })
  await client.subscribeAsync(deviceTopic({ ward: device.ward, kind: device.kind, deviceId: device.id, channel: '+' as 'telemetry' }), { qos: 1 })
  const deadline = attacker.now() + options.maxMs
  while (seen.length < options.count && attacker.now() < deadline) await attacker.sleep(100)
  client.end(true)
  return seen
}
