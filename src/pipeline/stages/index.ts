import type { StageType } from '../stage.ts'
import { decode } from './decode.ts'
import { detect } from './detect.ts'
import { enrich } from './enrich.ts'
import { route } from './route.ts'
import { score } from './score.ts'
import { validate } from './validate.ts'

/**
 * Every stage a pipeline file may name, in the order the default pipeline runs them. Adding a
 * stage is one file in this folder exporting a StageType, and one line here.
 */
export const STAGE_TYPES: readonly StageType[] = [decode, validate, enrich, detect, score, route]
