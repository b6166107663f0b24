import { buildDefaultRegistry, demographics } from '../registry/default-ward.ts'
import { kindProblems } from '../registry/load.ts'
import { deriveDevicePassword, EPHEMERAL_COST, hashPassword } from '../registry/passwords.ts'
import { registrySchema, type DeviceEntry, type Patient, type Registry, type RegistryInput } from '../registry/schema.ts'
import { Rng } from '../util/rng.ts'
import { WardlabError } from '../util/errors.ts'
import type { Scenario } from './schema.ts'

/** The operator and observer every scenario has, for command events. */
export const SCENARIO_USERS = ['scenario-operator', 'scenario-observer'] as const

/**
 * Turns a scenario's hospital into a registry: the preset, explicit wards, patients and devices,
 * `beds` blocks expanded, devices added by load stages registered up front (the broker must know a
 * device before it connects), and deterioration events folded into the patients' trajectories —
 * a patient's course is a pure function of time, so a deterioration at 2 h is a trajectory whose
 * onset is 2 h.
 */
export interface ScenarioRegistry {
  registry: Registry
  /** Per load event (by timeline index): its devices, bed by bed, in the order they join. */
  loadDevices: ReadonlyMap<number, string[]>
}

export async function buildScenarioRegistry(scenario: Scenario, provisioningKey: Buffer): Promise<ScenarioRegistry> {
  const h = scenario.hospital
  const base: Registry = h.preset === 'default-ward' ? await buildDefaultRegistry({ seed: scenario.seed, provisioningKey, cost: EPHEMERAL_COST }) : { version: 1, site: h.site, wards: [], patients: [], devices: [], users: [] }
  const wards = new Map(base.wards.map((w) => [w.id, { ...w, beds: [...w.beds] }]))
  const patients: Patient[] = [...base.patients]
  const devices: Omit<DeviceEntry, 'passwordHash'>[] = [...base.devices]

  for (const ward of h.wards) {
    const existing = wards.get(ward.id)
    wards.set(ward.id, { id: ward.id, name: ward.name, beds: [...new Set([...(existing?.beds ?? []), ...ward.beds])] })
  }
  const ensureWard = (id: string) => {
    if (!wards.has(id)) wards.set(id, { id, name: id.toUpperCase(), beds: [] })
    return wards.get(id)!
  }
  const addPatient = (p: Omit<Patient, 'sex' | 'ageYears' | 'heightCm' | 'weightKg'> & Partial<Patient>) => {
    const drawn = demographics(Rng.derive(scenario.seed, `patient/${p.id}`))
    patients.push({ ...drawn, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Patient)
  }
  const addBeds = (ward: string, count: number, kinds: string[], trajectory: Patient['trajectory'], options: Record<string, Record<string, unknown>>, simulatedFrom = 0): string[] => {
    const created: string[] = []
    const w = ensureWard(ward)
    const width = Math.max(2, String(count).length)
    for (let i = 1 + simulatedFrom; i <= count + simulatedFrom; i++) {
      const n = String(i).padStart(width, '0')
      const bed = `${ward}-${n}`
      if (!w.beds.includes(bed)) w.beds.push(bed)
      const patient = `pt-${ward}-${n}`
      addPatient({ id: patient, ward, bed, trajectory, onsetMinutes: 0, hypercapnic: false, onOxygen: false })
      for (const kind of kinds) {
        devices.push({ id: `${kind}-${ward}-${n}`, kind, ward, bed, patient, simulated: true, options: options[kind] ?? {} })
        created.push(`${kind}-${ward}-${n}`)
      }
    }
    return created
  }

  for (const block of h.beds) addBeds(block.ward, block.count, block.devices, block.trajectory, block.options)
  for (const p of h.patients) {
    ensureWard(p.ward)
    const { onset, ...rest } = p
    addPatient({ ...rest, onsetMinutes: onset / 60_000 })
  }
  for (const d of h.devices) {
    ensureWard(d.ward)
    devices.push({ ...d, simulated: true })
  }
  // Load stages bring devices in beds numbered after any the ward already has.
  const loadDevices = new Map<number, string[]>()
  scenario.timeline.forEach((event, index) => {
    if (event.event !== 'load') return
    const peak = Math.max(...event.stages.map((s) => s.target))
    const created = addBeds(event.ward, peak, event.devices, 'stable', {}, ensureWard(event.ward).beds.length)
    // A stage's target counts beds; each bed brings one device per kind.
    loadDevices.set(index, created)
  })
  for (const event of scenario.timeline) {
    if (event.event !== 'deterioration') continue
    const patient = patients.find((p) => p.id === event.patient)
    if (!patient) throw new WardlabError('WL_CONFIG_INVALID', `deterioration at ${event.at / 1000}s names unknown patient "${event.patient}"`)
    patient.trajectory = event.trajectory
    patient.onsetMinutes = event.at / 60_000
  }

  const input: RegistryInput = {
    version: 1,
    site: h.site,
    wards: [...wards.values()],
    patients,
    devices: await Promise.all(devices.map(async (d) => ({ ...d, passwordHash: await hashPassword(deriveDevicePassword(provisioningKey, d.id), EPHEMERAL_COST) }))),
    users: await Promise.all(
      SCENARIO_USERS.map(async (username) => ({ username, role: username === 'scenario-operator' ? ('operator' as const) : ('observer' as const), passwordHash: await hashPassword(deriveDevicePassword(provisioningKey, username), EPHEMERAL_COST) })),
    ),
  }
  const parsed = registrySchema.safeParse(input)
  if (!parsed.success) {
    throw new WardlabError('WL_CONFIG_INVALID', `the scenario's hospital is not consistent:\n${parsed.error.issues.map((i) => `hospital: ${i.path.join('.')}: ${i.message}`).join('\n')}`)
  }
  const problems = kindProblems(parsed.data)
  if (problems.length > 0) throw new WardlabError('WL_CONFIG_INVALID', `the scenario's devices are not valid:\n${problems.map((p) => `hospital: ${p}`).join('\n')}`)
  return { registry: parsed.data, loadDevices }
}
