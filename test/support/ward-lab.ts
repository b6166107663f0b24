import { Lab, type LabOptions } from '../../src/lab/lab.ts'
import { GroundTruth, type AttackContext } from '../../src/attacks/index.ts'
import { buildDefaultRegistry } from '../../src/registry/default-ward.ts'
import { deriveDevicePassword, EPHEMERAL_COST, hashPassword } from '../../src/registry/passwords.ts'
import type { Registry } from '../../src/registry/schema.ts'
import type { SecurityAlert } from '../../src/contract/security-alert.ts'
import type { SimClock } from '../../src/simulation/clock.ts'
import { silentLogger } from '../../src/util/log.ts'
import { outputDir } from './lab.ts'

export const WARD_KEY = Buffer.alloc(32, 11)
/** An operator of the ward, whose password — like the devices' — derives from the provisioning key. */
export const OPERATOR = 'nurse-op'

let registry: Promise<Registry> | null = null

/** The default ward (src/registry/default-ward.ts) plus an operator, hashed cheaply: it lives for one test run. */
export function wardRegistry(): Promise<Registry> {
  registry ??= (async () => {
    const ward = await buildDefaultRegistry({ seed: 'security', provisioningKey: WARD_KEY, cost: EPHEMERAL_COST })
    const passwordHash = await hashPassword(deriveDevicePassword(WARD_KEY, OPERATOR), EPHEMERAL_COST)
    return { ...ward, users: [{ username: OPERATOR, role: 'operator' as const, passwordHash }] }
  })()
  return registry
}

export interface WardLab {
  lab: Lab
  alerts: SecurityAlert[]
  attacks: AttackContext
}

/** The default ward running on `clock`, every alert collected, and an attack context on it; `overrides` change the lab's options. */
export async function startWardLab(clock: SimClock, overrides: Partial<LabOptions> = {}): Promise<WardLab> {
  const lab = await Lab.start({
    registry: await wardRegistry(),
    provisioningKey: WARD_KEY,
    profile: 'lab',
    listeners: [],
    seed: 'security',
    speed: clock.speed,
    simulate: true,
    log: silentLogger,
    outputDir: outputDir(),
    clock,
    ...overrides,
  })
  const alerts: SecurityAlert[] = []
  lab.monitor.onAlert((alert) => alerts.push(alert))
  return { lab, alerts, attacks: { broker: lab.broker, clock: lab.clock, registry: lab.registry, groundTruth: new GroundTruth(), provisioningKey: WARD_KEY } }
}

/** Resolves when every simulated device is connected (wall time, at most `ms`). */
export async function untilWardConnected(lab: Lab, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms
  while (lab.fleet!.connectedCount() < lab.fleet!.devices.length) {
    if (performance.now() > deadline) throw new Error(`only ${lab.fleet!.connectedCount()} of ${lab.fleet!.devices.length} devices connected`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
