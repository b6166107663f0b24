import { readPath } from './rules.ts'

/**
 * Renders destination topics like `alerts/clinical/{ward}/{data.priority}`. A placeholder that
 * has no value renders as `unknown` rather than an empty level, so a topic never gains `//` or
 * loses a level that subscribers filter on. Values are made topic-safe (no `/`, `+`, `#`).
 */
export function compileTemplate(template: string): (vars: Record<string, unknown>, body: unknown) => string {
  const parts = template.split(/(\{[^}]+\})/g).filter((p) => p !== '')
  const renderers = parts.map((part) => {
    if (!part.startsWith('{')) return () => part
    const path = part.slice(1, -1).split('.')
    const [head] = path
    return (vars: Record<string, unknown>, body: unknown) => {
      const value = path.length === 1 && head! in vars ? vars[head!] : readPath(body, path)
      return value === undefined || value === null || value === '' ? 'unknown' : String(value).replace(/[/+#]/g, '_')
    }
  })
  return (vars, body) => renderers.map((render) => render(vars, body)).join('')
}
