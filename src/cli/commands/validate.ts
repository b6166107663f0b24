import { loadRegistry } from '../../registry/load.ts'
import { defineCommand } from '../options.ts'

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check a registry file and report every problem with its line and field',
  usage: 'wardlab validate <file>',
  positionals: [{ name: 'file', required: true, description: 'the YAML file to check' }],
  options: {},
  async run(_options, [file]) {
    const registry = loadRegistry(file!)
    process.stdout.write(`${file}: valid registry (${registry.wards.length} wards, ${registry.patients.length} patients, ${registry.devices.length} devices, ${registry.users.length} users)\n`)
    return 0
  },
})
