import { existsSync } from 'node:fs'
import { WardlabError } from '../util/errors.ts'
import { loadYamlFile } from '../util/yaml-file.ts'
import { scenarioSchema, type Scenario } from './schema.ts'

/** Reads a scenario file; every problem comes back at once with `file:line:column`, the field and what is wrong. */
export function loadScenario(file: string): Scenario {
  if (!existsSync(file)) throw new WardlabError('WL_FILE_NOT_FOUND', `scenario file ${file} does not exist`)
  return loadYamlFile(file, scenarioSchema)
}
