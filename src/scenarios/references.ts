import { ATTACKS } from '../attacks/index.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import type { DeviceEntry, Patient, Ward } from '../registry/schema.ts'
import type { AlertType } from '../contract/security-alert.ts'
import type { FieldPath, Problem } from '../util/yaml-file.ts'
import { known } from './hospital.ts'
import type { Scenario } from './schema.ts'

/** The expanded hospital, before passwords: what names exist. */
export interface Hospital {
  wards: Ward[]
  patients: Patient[]
  devices: Omit<DeviceEntry, 'passwordHash'>[]
}

/**
 * What the schema cannot see: every name the timeline and the expectations use must exist in the
 * hospital the scenario builds — devices, patients, wards and kinds, attack targets and attack
 * parameters. `wardlab validate` and `wardlab run` both call this, so a file that validates is a
 * file that runs.
 */
export function referenceProblems(scenario: Scenario, registry: Hospital): Problem[] {
  const problems: Problem[] = []
  const deviceIds = registry.devices.map((d) => d.id)
  const devices = new Set(deviceIds)
  const patientIds = registry.patients.map((p) => p.id)
  const patients = new Set(patientIds)
  const device = (id: string, path: FieldPath) => {
    if (!devices.has(id)) problems.push({ path, message: `unknown device "${id}"${known(deviceIds)}` })
  }
  const patient = (id: string | undefined, path: FieldPath) => {
    if (id !== undefined && !patients.has(id)) problems.push({ path, message: `unknown patient "${id}"${known(patientIds)}` })
  }

  scenario.timeline.forEach((event, i) => {
    const at: FieldPath = ['timeline', i]
    switch (event.event) {
      case 'fault':
      case 'outage': {
        const selector = event.devices
        if (typeof selector === 'string') device(selector, [...at, 'devices'])
        else if (Array.isArray(selector)) selector.forEach((id, j) => device(id, [...at, 'devices', j]))
        else if (!registry.devices.some((d) => (!selector.ward || d.ward === selector.ward) && (!selector.kind || d.kind === selector.kind))) {
          problems.push({
            path: [...at, 'devices'],
            message: `no device${selector.kind ? ` of kind ${selector.kind}` : ''}${selector.ward ? ` in ward ${selector.ward}` : ''}`,
          })
        }
        break
      }
      case 'command':
        device(event.device, [...at, 'device'])
        break
      case 'attack':
        problems.push(...attackProblems(event.attack as AlertType, event.params, registry, at))
        break
    }
  })

  scenario.expect.forEach((expectation, i) => {
    const [kind, spec] = Object.entries(expectation)[0] as [string, { device?: string; patient?: string }]
    const at: FieldPath = ['expect', i, kind]
    if (spec.device !== undefined) device(spec.device, [...at, 'device'])
    patient(spec.patient, [...at, 'patient'])
  })
  return problems
}

/** The attack's own parameter schema, and the device it aims at (named, or the first that fits). */
function attackProblems(type: AlertType, params: Record<string, unknown>, registry: Hospital, at: FieldPath): Problem[] {
  const attack = ATTACKS.get(type)
  if (!attack) return []
  const parsed = attack.params.safeParse(params)
  if (!parsed.success) return parsed.error.issues.map((issue) => ({ path: [...at, 'params', ...(issue.path as (string | number)[])], message: issue.message }))
  try {
    attack.target(
      parsed.data,
      new HospitalRegistry({
        version: 1,
        site: 'validate',
        users: [],
        wards: registry.wards,
        patients: registry.patients,
        devices: registry.devices.map((d) => ({ ...d, passwordHash: '' })),
      }),
    )
    return []
  } catch (err) {
    const named = typeof params.target === 'string'
    return [{ path: named ? [...at, 'params', 'target'] : [...at, 'attack'], message: (err as Error).message }]
  }
}
