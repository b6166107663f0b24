import { mkdirSync, writeFileSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { stringify } from 'yaml'
import { deviceContract } from '../contract/devices/index.ts'
import { WardlabError } from '../util/errors.ts'
import { loadYamlFile } from '../util/yaml-file.ts'
import { registrySchema, type Registry } from './schema.ts'

/**
 * Loads a registry file: YAML and schema problems come back with line and field (loadYamlFile),
 * then each device is checked against its kind — the kind exists, its options pass the kind's
 * own schema, and a kind that reads a patient has one.
 */
export function loadRegistry(file: string): Registry {
  const registry = loadYamlFile(file, registrySchema)
  const problems = kindProblems(registry)
  if (problems.length > 0) {
    throw new WardlabError('WL_CONFIG_INVALID', `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `${file}: ${p}`).join('\n')}`)
  }
  return registry
}

export function kindProblems(registry: Registry): string[] {
  const problems: string[] = []
  registry.devices.forEach((device, i) => {
    const contract = deviceContract(device.kind)
    if (!contract) {
      problems.push(`devices.${i}.kind: unknown device kind "${device.kind}"`)
      return
    }
    const options = contract.optionsSchema.safeParse(device.options)
    if (!options.success) {
      for (const issue of options.error.issues) problems.push(`devices.${i}.options.${issue.path.join('.')}: ${issue.message}`)
    }
    if (contract.needsPatient && !device.patient) problems.push(`devices.${i}.patient: a ${device.kind} needs a patient`)
  })
  return problems
}

/** Writes atomically (temp file, then rename) so a crash never leaves half a registry. */
export function saveRegistry(file: string, registry: Registry): void {
  mkdirSync(dirname(file), { recursive: true })
  const header = '# wardlab hospital registry: wards, patients, devices and users.\n# Passwords are scrypt hashes; add entries with `wardlab device add` and `wardlab user add`.\n'
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, header + stringify(registry, { lineWidth: 0 }), { mode: 0o600 })
  renameSync(temp, file)
}
