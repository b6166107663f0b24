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
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err })
  }
  return parseYaml(text, schema, file)
}

export function parseYaml<S extends z.ZodType>(text: string, schema: S, file: string): z.infer<S> {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0])
      return `${file}:${pos.line}:${pos.col}: YAML syntax: ${e.message.split('\n')[0]}`
    })
    throw new WardlabError('WL_CONFIG_INVALID', `${file} is not valid YAML:\n${lines.join('\n')}`)
  }
  const result = schema.safeParse(doc.toJS())
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.map(String)
    const pos = locate(doc, lineCounter, issue.path as (string | number)[])
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file
    return `${where}: ${path.length > 0 ? path.join('.') : '(top level)'}: ${readable(issue.message)}`
  })
  throw new WardlabError('WL_CONFIG_INVALID', `${file} has ${lines.length} problem${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`)
}

/** zod says "expected string, received undefined" for a field that is not there; people say "missing". */
function readable(message: string): string {
  const missing = message.match(/^Invalid input: expected (\w+), received undefined$/)
  return missing ? `missing (a ${missing[1]} is required here)` : message
}

/** The deepest node on `path` that exists: a missing field points at the object that lacks it. */
function locate(doc: Document, lineCounter: LineCounter, path: (string | number)[]): { line: number; col: number } | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0])
  }
  return null
}
