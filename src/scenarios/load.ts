import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { WardlabError } from '../util/errors.ts'
import { problemsError, readText, readYaml } from '../util/yaml-file.ts'
import { expandHospital, hospitalProblems } from './hospital.ts'
import { referenceProblems } from './references.ts'
import { scenarioSchema, type Scenario } from './schema.ts'

/**
 * Reads a scenario file and checks everything a run would trip over — the schema, the hospital it
 * builds, and every device, patient and attack target its timeline and expectations name — and
 * reports all problems at once with `file:line:column` and the field. `run` and `validate` both
 * load through here, so `run` rejects nothing `validate` passed.
 */
export async function loadScenario(file: string): Promise<Scenario> {
  if (!existsSync(file)) throw new WardlabError('WL_FILE_NOT_FOUND', `scenario file ${file} does not exist`)
  const yaml = readYaml(readText(file), file)
  const { data: scenario, problems } = yaml.check(scenarioSchema)
  if (problems.length > 0) throw problemsError(file, yaml.format(problems))
  // The key only seeds device passwords, which validation never looks at.
  const hospital = await expandHospital(scenario, randomBytes(32))
  const references = [...hospitalProblems(hospital), ...referenceProblems(scenario, hospital)]
  if (references.length > 0) throw problemsError(file, yaml.format(references))
  return scenario
}
