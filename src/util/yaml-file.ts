import { readFileSync } from 'node:fs'
import { isNode, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { WardlabError } from './errors.ts'

/**
 * Reads a YAML file and validates it with a zod schema. Every problem — YAML syntax or schema — is
 * reported with `file:line:column`, the field's path and what is wrong, all at once, so a user
 * fixes a file in one pass instead of one error per run.
 */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return parseYaml(readText(file), schema, file)
}

export function parseYaml<S extends z.ZodType>(text: string, schema: S, file: string): z.infer<S> {
  const yaml = readYaml(text, file)
  const checked = yaml.check(schema)
  if (checked.problems.length > 0) throw problemsError(file, yaml.format(checked.problems))
  return checked.data
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err })
  }
}

/** A field path as people write it: `hospital.devices[0].ward`. */
export type FieldPath = readonly (string | number)[]

export interface Problem {
  path: FieldPath
  message: string
}

/** A parsed YAML file that can say where any field is, for problems found after the schema too. */
export interface YamlText {
  file: string
  /** The plain data (YAML syntax errors have already been thrown). */
  data: unknown
  /** Schema problems (all of them), or the parsed data. */
  check<S extends z.ZodType>(schema: S): { data: z.infer<S>; problems: Problem[] }
  /** `file:line:col: path: message` for each problem, sorted by position. */
  format(problems: readonly Problem[]): string[]
}

export function readYaml(text: string, file: string): YamlText {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0])
      return `${file}:${pos.line}:${pos.col}: YAML syntax: ${e.message.split('\n')[0]}`
    })
    throw new WardlabError('WL_CONFIG_INVALID', `${file} is not valid YAML:\n${lines.join('\n')}`)
  }
  const data = doc.toJS()
  return {
    file,
    data,
    check(schema) {
      const result = schema.safeParse(data)
      return result.success
        ? { data: result.data, problems: [] }
        : { data: undefined as never, problems: result.error.issues.flatMap((issue) => issueProblems(issue)) }
    },
    format(problems) {
      return problems
        .map((p) => ({ p, pos: locate(doc, lineCounter, p.path) }))
        .sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0))
        .map(({ p, pos }) => `${pos ? `${file}:${pos.line}:${pos.col}` : file}: ${fieldName(p.path)}: ${p.message}`)
    },
  }
}

/** The error every loader throws for a file with problems: all of them, one a line. */
export function problemsError(file: string, lines: readonly string[]): WardlabError {
  return new WardlabError('WL_CONFIG_INVALID', `${file} has ${lines.length} problem${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`)
}

export function fieldName(path: FieldPath): string {
  if (path.length === 0) return '(top level)'
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('')
}

type Issue = z.core.$ZodIssue

/**
 * zod's issue as problems a person can act on. A union that no branch matched says only "Invalid
 * input" at the union; the branch that got furthest (its issues deepest) is the one the user meant
 * — `alert: { within: 5 parsecs }` is an alert with a bad duration, not a failed news2.
 */
function issueProblems(issue: Issue, prefix: FieldPath = []): Problem[] {
  const path = [...prefix, ...(issue.path as (string | number)[])]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (issues: Issue[]) => Math.max(...issues.map((i) => (i.code === 'unrecognized_keys' ? -1 : i.path.length)))
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!
    if (depth(best) > 0) return best.flatMap((inner) => issueProblems(inner, path))
  }
  return [{ path, message: readable(issue.message) }]
}

/** zod says "expected string, received undefined" for a field that is not there; people say "missing". */
function readable(message: string): string {
  const missing = message.match(/^Invalid input: expected (\w+), received undefined$/)
  return missing ? `missing (a ${missing[1]} is required here)` : message
}

/** The deepest node on `path` that exists: a missing field points at the object that lacks it. */
function locate(doc: Document, lineCounter: LineCounter, path: FieldPath): { line: number; col: number } | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
  }
  return null
}
