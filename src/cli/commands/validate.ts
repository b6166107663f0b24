import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { loadRegistry } from '../../registry/load.ts'
import { loadScenario } from '../../scenarios/load.ts'
import { WardlabError } from '../../util/errors.ts'
import { defineCommand } from '../options.ts'

/** Which kind of wardlab file this is, from its top-level keys: a scenario has a timeline or a hospital. */
function fileKind(file: string): 'scenario' | 'registry' {
  let top: unknown
  try {
    top = parse(readFileSync(file, 'utf8'))
  } catch {
    return 'scenario'
  }
  return top && typeof top === 'object' && ('wards' in top || 'version' in top) ? 'registry' : 'scenario'
}

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check a scenario or registry file and report every problem with its line and field',
  usage: 'wardlab validate <file>',
  positionals: [{ name: 'file', required: true, description: 'the YAML file to check' }],
  options: {},
  async run(_options, [file]) {
    try {
      readFileSync(file!)
    } catch {
      throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read ${file}`)
    }
    if (fileKind(file!) === 'registry') {
      const registry = loadRegistry(file!)
      process.stdout.write(`${file}: valid registry (${registry.wards.length} wards, ${registry.patients.length} patients, ${registry.devices.length} devices, ${registry.users.length} users)\n`)
    } else {
      const scenario = loadScenario(file!)
      process.stdout.write(`${file}: valid scenario "${scenario.name}" (${scenario.timeline.length} timeline events, ${scenario.expect.length} expectations)\n`)
    }
    return 0
  },
})
