import { parse } from 'yaml'
import { loadPipelineConfig } from '../../pipeline/config.ts'
import { loadRegistry } from '../../registry/load.ts'
import { loadScenario } from '../../scenarios/load.ts'
import { WardlabError } from '../../util/errors.ts'
import { readText } from '../../util/yaml-file.ts'
import { defineCommand } from '../options.ts'

type FileType = 'scenario' | 'registry' | 'pipeline'

/** The keys that give each file type away; a file matching none is refused rather than guessed. */
const TELLING_KEYS: Record<FileType, readonly string[]> = {
  scenario: ['hospital', 'timeline', 'expect', 'duration'],
  registry: ['wards', 'version', 'users'],
  pipeline: ['stages', 'sinks', 'routes'],
}

/** Which kind of wardlab file this is, from its top-level keys. Invalid YAML counts as a scenario: its loader reports the syntax. */
function fileType(file: string, text: string): FileType {
  let top: unknown
  try {
    top = parse(text)
  } catch {
    return 'scenario'
  }
  const keys = top && typeof top === 'object' ? Object.keys(top) : []
  const type = (Object.keys(TELLING_KEYS) as FileType[]).find((t) => TELLING_KEYS[t].some((k) => keys.includes(k)))
  if (!type) {
    const telling = Object.entries(TELLING_KEYS).map(([t, k]) => `a ${t} has ${k.join(', ')}`)
    throw new WardlabError(
      'WL_CONFIG_INVALID',
      `${file}: not a scenario, registry or pipeline file (${telling.join('; ')}; this has ${keys.length > 0 ? keys.join(', ') : 'no keys'})`,
    )
  }
  return type
}

export const validateCommand = defineCommand({
  name: 'validate',
  usage: 'wardlab validate <file>',
  positionals: [{ name: 'file', required: true, description: 'the YAML file to check (its type is told from its keys)' }],
  options: {},
  async run(_options, [file]) {
    const type = fileType(file!, readText(file!))
    if (type === 'registry') {
      const registry = loadRegistry(file!)
      process.stdout.write(
        `${file}: valid registry (${registry.wards.length} wards, ${registry.patients.length} patients, ${registry.devices.length} devices, ${registry.users.length} users)\n`,
      )
    } else if (type === 'pipeline') {
      const pipeline = loadPipelineConfig(file!)
      process.stdout.write(
        `${file}: valid pipeline (${pipeline.stages.length} stages, ${Object.keys(pipeline.sinks).length} sinks, ${pipeline.routes.length} routes)\n`,
      )
    } else {
      const scenario = await loadScenario(file!)
      process.stdout.write(`${file}: valid scenario "${scenario.name}" (${scenario.timeline.length} timeline events, ${scenario.expect.length} expectations)\n`)
    }
    return 0
  },
})
