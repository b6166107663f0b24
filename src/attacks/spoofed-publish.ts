import { z } from 'zod'
import { addressParam, rateParam, targetDevice, topicOf } from './attack.ts'
import type { Attacker } from './attacker.ts'

/** Parameters shared by the two attacks that write where they must not: topic spoofing and retained poisoning. */
export const spoofParams = (address: string) =>
  z
    .object({
      address: addressParam(address),
      target: z.string().optional(),
      rate: rateParam(1),
      /** Log in with this registry name's stolen credentials; anonymous (lab profile) when left out. */
      as: z.string().optional(),
    })
    .strict()

/**
 * Publishes a forged reading on another device's telemetry topic, one connection per attempt: the
 * broker refuses the publish and closes the connection, so the attacker comes back.
 */
export async function spoofTelemetry(attacker: Attacker, params: z.infer<ReturnType<typeof spoofParams>>, durationMs: number, retain: boolean): Promise<void> {
  const device = targetDevice(attacker.ctx.registry, attacker.entry.target!)
  const topic = topicOf(device, 'telemetry')
  await attacker.repeat(params.rate, durationMs, async (i) => {
    const login = params.as ? { clientId: `${params.as}-${i}`, username: params.as, password: attacker.stolenPassword(params.as) } : { clientId: `spoof${i}` }
    const client = await attacker.connect(params.address, login).catch(() => null)
    client?.publish(topic, JSON.stringify({ deviceId: device.id, kind: device.kind, seq: 0, ts: attacker.now(), data: {} }), { qos: 1, retain })
  })
}
