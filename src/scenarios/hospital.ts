import { buildDefaultRegistry, demographics } from '../registry/default-ward.ts'
import { kindProblems } from '../registry/load.ts'
import { deriveDevicePassword, EPHEMERAL_COST, hashPassword } from '../registry/passwords.ts'
import { registrySchema, type DeviceEntry, type Patient, type Registry, type RegistryInput, type Ward } from '../registry/schema.ts'
import { Rng } from '../util/rng.ts'
import { WardlabError } from '../util/errors.ts'
import { fieldName, type FieldPath, type Problem } from '../util/yaml-file.ts'
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

/**
 * Where a registry entry came from in the scenario file, so a problem found in the expanded
 * registry points at the line the user wrote. `exact`: the entry is that scenario entry (its
 * fields map one to one); otherwise it was generated from there (a `beds` block, a load event).
 */
export interface Source {
  path: FieldPath
  exact: boolean
}

/** The expanded hospital before any password is hashed: cheap enough for `wardlab validate`. */
export interface ExpandedHospital {
  site: string
  wards: Ward[]
  patients: Patient[]
  devices: Omit<DeviceEntry, 'passwordHash'>[]
  patientSources: Source[]
  deviceSources: Source[]
  loadDevices: Map<number, string[]>
  /** Deterioration events naming no patient. */
  problems: Problem[]
}

export async function expandHospital(scenario: Scenario, provisioningKey: Buffer): Promise<ExpandedHospital> {
  const h = scenario.hospital
  const base: Registry =
    h.preset === 'default-ward'
      ? await buildDefaultRegistry({ seed: scenario.seed, provisioningKey, cost: EPHEMERAL_COST })
      : { version: 1, site: h.site, wards: [], patients: [], devices: [], users: [] }
  const wards = new Map(base.wards.map((w) => [w.id, { ...w, beds: [...w.beds] }]))
  const patients: Patient[] = [...base.patients]
  const devices: Omit<DeviceEntry, 'passwordHash'>[] = base.devices.map(({ passwordHash: _, ...d }) => d)
  const preset: Source = { path: ['hospital', 'preset'], exact: false }
  const patientSources: Source[] = patients.map(() => preset)
  const deviceSources: Source[] = devices.map(() => preset)
  const problems: Problem[] = []

  for (const ward of h.wards) {
    const existing = wards.get(ward.id)
    wards.set(ward.id, { id: ward.id, name: ward.name, beds: [...new Set([...(existing?.beds ?? []), ...ward.beds])] })
  }
  const ensureWard = (id: string) => {
    if (!wards.has(id)) wards.set(id, { id, name: id.toUpperCase(), beds: [] })
    return wards.get(id)!
  }
  const addPatient = (p: Omit<Patient, 'sex' | 'ageYears' | 'heightCm' | 'weightKg'> & Partial<Patient>, source: Source) => {
    const drawn = demographics(Rng.derive(scenario.seed, `patient/${p.id}`))
    patients.push({ ...drawn, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Patient)
    patientSources.push(source)
  }
  const addBeds = (
    ward: string,
    count: number,
    kinds: string[],
    trajectory: Patient['trajectory'],
    options: Record<string, Record<string, unknown>>,
    source: FieldPath,
    simulatedFrom = 0,
  ): string[] => {
    const created: string[] = []
    const w = ensureWard(ward)
    const width = Math.max(2, String(count).length)
    for (let i = 1 + simulatedFrom; i <= count + simulatedFrom; i++) {
      const n = String(i).padStart(width, '0')
      const bed = `${ward}-${n}`
      if (!w.beds.includes(bed)) w.beds.push(bed)
      const patient = `pt-${ward}-${n}`
      addPatient({ id: patient, ward, bed, trajectory, onsetMinutes: 0, hypercapnic: false, onOxygen: false }, { path: source, exact: false })
      kinds.forEach((kind, k) => {
        devices.push({ id: `${kind}-${ward}-${n}`, kind, ward, bed, patient, simulated: true, options: options[kind] ?? {} })
        deviceSources.push({ path: [...source, 'devices', k], exact: false })
        created.push(`${kind}-${ward}-${n}`)
      })
    }
    return created
  }

  h.beds.forEach((block, b) => addBeds(block.ward, block.count, block.devices, block.trajectory, block.options, ['hospital', 'beds', b]))
  h.patients.forEach((p, i) => {
    ensureWard(p.ward)
    const { onset, ...rest } = p
    addPatient({ ...rest, onsetMinutes: onset / 60_000 }, { path: ['hospital', 'patients', i], exact: true })
  })
  h.devices.forEach((d, i) => {
    ensureWard(d.ward)
    devices.push({ ...d, simulated: true })
    deviceSources.push({ path: ['hospital', 'devices', i], exact: true })
  })
  // Load stages bring devices in beds numbered after any the ward already has.
  const loadDevices = new Map<number, string[]>()
  scenario.timeline.forEach((event, index) => {
    if (event.event !== 'load') return
    const peak = Math.max(...event.stages.map((s) => s.target))
    // A stage's target counts beds; each bed brings one device per kind.
    loadDevices.set(index, addBeds(event.ward, peak, event.devices, 'stable', {}, ['timeline', index], ensureWard(event.ward).beds.length))
  })
  scenario.timeline.forEach((event, index) => {
    if (event.event !== 'deterioration') return
    const patient = patients.find((p) => p.id === event.patient)
    if (!patient)
      return problems.push({ path: ['timeline', index, 'patient'], message: `unknown patient "${event.patient}"${known(patients.map((p) => p.id))}` })
    patient.trajectory = event.trajectory
    patient.onsetMinutes = event.at / 60_000
  })
  return { site: h.site, wards: [...wards.values()], patients, devices, patientSources, deviceSources, loadDevices, problems }
}

/** ", known: a, b, c" — enough of the ids for the user to see what they meant. */
export function known(ids: readonly string[]): string {
  if (ids.length === 0) return ' (there are none)'
  return ` (known: ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? `, … ${ids.length - 8} more` : ''})`
}

/**
 * Every problem of the expanded hospital, at the scenario field it came from: the registry's own
 * rules (beds in their ward, patients that exist, unique ids) and each device against its kind.
 */
export function hospitalProblems(hospital: ExpandedHospital): Problem[] {
  const placeholder = 'scrypt$1$1$1$AA==$AA=='
  const parsed = registrySchema.safeParse({
    version: 1,
    site: hospital.site,
    wards: hospital.wards,
    patients: hospital.patients,
    devices: hospital.devices.map((d) => ({ ...d, passwordHash: placeholder })),
  })
  const mapped = (parsed.success ? [] : parsed.error.issues).map((issue): Problem => {
    const [list, index, ...rest] = issue.path as (string | number)[]
    const source = list === 'devices' ? hospital.deviceSources[index as number] : list === 'patients' ? hospital.patientSources[index as number] : undefined
    if (!source) return { path: ['hospital', ...(issue.path as (string | number)[])], message: issue.message }
    return { path: source.exact ? [...source.path, ...rest] : source.path, message: issue.message }
  })
  const kinds = kindProblems(hospital.devices).map((p): Problem => {
    const [, index, ...rest] = p.path
    const source = hospital.deviceSources[index as number]!
    return { path: source.exact ? [...source.path, ...rest] : rest[0] === 'kind' ? source.path : [...source.path, ...rest], message: p.message }
  })
  return dedupe([...hospital.problems, ...mapped, ...kinds])
}

/** A `beds` block of 40 beds with an unknown kind is one problem, not 40. */
function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.path.join('/')}\n${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export async function buildScenarioRegistry(scenario: Scenario, provisioningKey: Buffer): Promise<ScenarioRegistry> {
  const hospital = await expandHospital(scenario, provisioningKey)
  // loadScenario has reported these with their lines; a scenario built in code gets them here.
  const problems = hospitalProblems(hospital)
  if (problems.length > 0)
    throw new WardlabError(
      'WL_CONFIG_INVALID',
      `the scenario's hospital is not consistent:\n${problems.map((p) => `${fieldName(p.path)}: ${p.message}`).join('\n')}`,
    )
  const input: RegistryInput = {
    version: 1,
    site: hospital.site,
    wards: hospital.wards,
    patients: hospital.patients,
    devices: await Promise.all(
      hospital.devices.map(async (d) => ({ ...d, passwordHash: await hashPassword(deriveDevicePassword(provisioningKey, d.id), EPHEMERAL_COST) })),
    ),
    users: await Promise.all(
      SCENARIO_USERS.map(async (username) => ({
        username,
        role: username === 'scenario-operator' ? ('operator' as const) : ('observer' as const),
        passwordHash: await hashPassword(deriveDevicePassword(provisioningKey, username), EPHEMERAL_COST),
      })),
    ),
  }
  return { registry: registrySchema.parse(input), loadDevices: hospital.loadDevices }
}
