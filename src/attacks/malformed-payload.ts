import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice, topicOf } from './attack.ts'

/** What a fuzzer sends a pipeline: not JSON, JSON that is no envelope, an envelope whose data fits no schema. */
const JUNK: readonly ((deviceId: string, kind: string, i: number) => string)[] = [
  () => '{"heartRate": 7',
  () => '[1,2,3]',
  (deviceId, kind, i) => JSON.stringify({ deviceId, kind, seq: -i, ts: 'yesterday', data: {} }),
  (deviceId, kind, i) => JSON.stringify({ deviceId, kind, seq: 1_000_000 + i, ts: 1, data: { unknownField: 'x'.repeat(64) } }),
]

/**
 * Malformed payloads from a compromised device (CICIoMT2024 Malformed_Data): with the device's
 * stolen credentials, bursts of messages on its own telemetry topic that the pipeline must
 * quarantine. Each burst is one session: the real device reconnects and takes its id back.
 */
export const malformedPayloadAttack = defineAttack({
  type: 'malformed-payload',
  summary: "send a device's topic payloads that fail decoding or its schema, with its stolen credentials",
  params: z
    .object({
      address: addressParam('203.0.113.70'),
      target: z.string().optional(),
      /** Bursts (sessions) a second. */
      rate: rateParam(1),
      burst: z.number().int().min(1).max(1000).default(10),
    })
    .strict(),
  target: (params, registry) => targetDevice(registry, params.target).id,
  async run(attacker, params, durationMs) {
    const device = targetDevice(attacker.ctx.registry, attacker.entry.target!)
    const topic = topicOf(device, 'telemetry')
    let sent = 0
    await attacker.repeat(params.rate, durationMs, async () => {
      const client = await attacker.connectStolen(params.address, device.id).catch(() => null)
      if (!client) return
      for (let k = 0; k < params.burst; k++, sent++) client.publish(topic, JUNK[sent % JUNK.length]!(device.id, device.kind, sent), { qos: 0 })
      await client.endAsync().catch(() => undefined)
    })
  },
})
