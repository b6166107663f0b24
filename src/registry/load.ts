import { mkdirSync, writeFileSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { stringify } from 'yaml'
import { DEVICE_CONTRACTS, deviceContract } from '../contract/devices/index.ts'
import { problemsError, readText, readYaml, type FieldPath, type Problem } from '../util/yaml-file.ts'
import { registrySchema, type DeviceEntry, type Registry } from './schema.ts'

/**
 * Loads a registry file: YAML and schema problems come back with line and field, together with
 * each device checked against its kind — the kind exists, its options pass the kind's own schema,
 * and a kind that reads a patient has one — so a file with several mistakes reports them all.
 */
export function loadRegistry(file: string): Registry {
  const yaml = readYaml(readText(file), file)
  const { data, problems } = yaml.check(registrySchema)
  const devices = problems.length === 0 ? data.devices : wellFormedDevices(yaml.data)
  const all = [...problems, ...kindProblems(devices)]
  if (all.length > 0) throw problemsError(file, yaml.format(all))
  return data
}

type KindChecked = Pick<DeviceEntry, 'kind' | 'options' | 'patient'>

/** The devices of a registry that failed its schema, as far as they can be kind-checked. */
function wellFormedDevices(raw: unknown): (KindChecked | null)[] {
  const devices = (raw as { devices?: unknown } | null)?.devices
  if (!Array.isArray(devices)) return []
  return devices.map((d) =>
    d && typeof d === 'object' && typeof (d as KindChecked).kind === 'string' ? { ...(d as KindChecked), options: (d as KindChecked).options ?? {} } : null,
  )
}

/** Each device against its kind, with the field at fault (`devices[3].kind`). */
export function kindProblems(devices: readonly (KindChecked | null)[], at: (index: number) => FieldPath = (i) => ['devices', i]): Problem[] {
  const problems: Problem[] = []
  devices.forEach((device, i) => {
    if (!device) return
    const contract = deviceContract(device.kind)
    if (!contract) {
      problems.push({ path: [...at(i), 'kind'], message: `unknown device kind "${device.kind}" (kinds: ${[...DEVICE_CONTRACTS.keys()].join(', ')})` })
      return
    }
    const options = contract.optionsSchema.safeParse(device.options)
    if (!options.success) {
      for (const issue of options.error.issues) problems.push({ path: [...at(i), 'options', ...(issue.path as (string | number)[])], message: issue.message })
    }
    if (contract.needsPatient && !device.patient) problems.push({ path: [...at(i), 'patient'], message: `a ${device.kind} needs a patient` })
  })
  return problems
}

/** Writes atomically (temp file, then rename) so a crash never leaves half a registry. */
export function saveRegistry(file: string, registry: Registry): void {
  mkdirSync(dirname(file), { recursive: true })
  const header =
    '# wardlab hospital registry: wards, patients, devices and users.\n# Passwords are scrypt hashes; add entries with `wardlab device add` and `wardlab user add`.\n'
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, header + stringify(registry, { lineWidth: 0 }), { mode: 0o600 })
  renameSync(temp, file)
}
