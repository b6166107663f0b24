import { randomBytes, scryptSync } from 'node:crypto'
import { deriveDevicePassword } from '../registry/passwords.ts'
import { registrySchema, type Patient, type Registry, type Ward } from '../registry/schema.ts'
import { BEDS_PER_WARD, bedName, benchDevices, gatewayId, type BenchDevice } from './fleet-layout.ts'

/**
 * scrypt cost for bench credentials: N = 16, r = 1, p = 1 — about 10 µs a hash instead of the
 * ~50 ms of the interactive cost (src/registry/passwords.ts). The hash keeps the registry's
 * self-describing `scrypt$N$r$p$salt$hash` form (RFC 7914 parameters in the string), so the broker
 * verifies bench devices through exactly the same authenticate hook, scrypt call and credential
 * cache as real ones; only the cost differs. Each device keeps its own password (derived from a
 * throw-away bench key, as the simulator derives them from the lab's) and its own salt. At the
 * interactive cost, 15,000 devices would take 12 minutes to hash and as long again to connect on
 * two cores: the bench would measure scrypt. The key never outlives the run.
 */
const BENCH_COST = { N: 16, r: 1, p: 1 } as const

export function benchPasswordHash(password: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(password, salt, 32, BENCH_COST)
  return `scrypt$${BENCH_COST.N}$${BENCH_COST.r}$${BENCH_COST.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export interface BenchCredentials {
  username: string
  clientId: string
  password: string
}

/** Who connection `c` is: the device itself, or with `--gateway n`, the gateway for n devices. */
export function connectionCredentials(key: Buffer, connection: number, gateway: number, devices: readonly BenchDevice[]): BenchCredentials {
  const name = gateway === 1 ? devices[connection]!.id : gatewayId(connection)
  return { username: name, clientId: name, password: deriveDevicePassword(key, name) }
}

/**
 * The registry a bench broker runs: every bench device registered with ward, bed and patient, so
 * the ACL, validation, enrichment, FHIR and NEWS2 all run for real. Gateways are registry users
 * with the `admin` role, the one role the ACL lets publish on other devices' topics
 * (src/broker/acl.ts): a bedside gateway speaks for the devices plugged into it.
 */
export function benchRegistry(options: { devices: number; gateway: number; key: Buffer; simulated?: boolean }): Registry {
  const devices = benchDevices(options.devices)
  const wards = new Map<string, Ward>()
  const patients: Patient[] = []
  for (const d of devices) {
    if (!wards.has(d.ward)) wards.set(d.ward, { id: d.ward, name: `Bench ward ${d.ward}`, beds: Array.from({ length: BEDS_PER_WARD }, (_, b) => bedName(b)) })
    if (d.patient && d.kind === 'bedside-monitor') patients.push(benchPatient(d.patient, d.ward, d.bed!, patients.length))
  }
  const gateways = options.gateway > 1 ? Math.ceil(options.devices / options.gateway) : 0
  return registrySchema.parse({
    version: 1,
    site: 'wardlab bench',
    wards: [...wards.values()],
    patients,
    devices: devices.map((d) => ({
      id: d.id,
      kind: d.kind,
      ward: d.ward,
      ...(d.bed ? { bed: d.bed } : {}),
      ...(d.patient ? { patient: d.patient } : {}),
      passwordHash: benchPasswordHash(deriveDevicePassword(options.key, d.id)),
      simulated: options.simulated ?? false,
    })),
    users: Array.from({ length: gateways }, (_, g) => ({
      username: gatewayId(g),
      role: 'admin',
      passwordHash: benchPasswordHash(deriveDevicePassword(options.key, gatewayId(g))),
    })),
  })
}

/** Stable adults of varied build (ranges within the registry schema's), so NEWS2 mostly reads low risk, as most of an ICU does. */
export function benchPatient(id: string, ward: string, bed: string, n: number): Patient {
  const female = n % 2 === 0
  return {
    id,
    ward,
    bed,
    sex: female ? 'female' : 'male',
    ageYears: 40 + (n % 45),
    heightCm: (female ? 158 : 172) + (n % 12),
    weightKg: (female ? 60 : 75) + (n % 25),
    trajectory: 'stable',
    onsetMinutes: 0,
    hypercapnic: false,
    onOxygen: false,
  }
}
