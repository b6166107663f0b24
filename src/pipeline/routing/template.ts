import { compileField } from './rules.ts'

/**
 * A compiled topic template. A one-level placeholder reads the vars, and the body when the vars
 * lack it; `context`: the message's registry context, for placeholders under `context.`
 * (rules.ts compileField).
 */
export type TopicTemplate = (vars: Readonly<Record<string, unknown>>, body: unknown, context?: unknown) => string

const NOT_TOPIC_SAFE = /[/+#]/
const NOT_TOPIC_SAFE_ALL = /[/+#]/g

/**
 * Renders destination topics like `alerts/clinical/{ward}/{data.priority}`. A placeholder that
 * has no value renders as `unknown` rather than an empty level, so a topic never gains `//` or
 * loses a level that subscribers filter on. Values are made topic-safe (no `/`, `+`, `#`).
 * Rendering is string concatenation over the parts split once here: it runs for every output.
 */
export function compileTemplate(template: string): TopicTemplate {
  const parts = template.split(/(\{[^}]+\})/g).filter((p) => p !== '')
  const slots = parts.map((part) => {
    if (!part.startsWith('{')) return part
    const path = part.slice(1, -1).split('.')
    return { name: path.length === 1 ? path[0]! : null, read: compileField(path) }
  })
  const render = (vars: Readonly<Record<string, unknown>>, body: unknown, context?: unknown) => {
    let topic = ''
    for (const slot of slots) {
      if (typeof slot === 'string') {
        topic += slot
        continue
      }
      const value = slot.name !== null && slot.name in vars ? vars[slot.name] : slot.read(body, context)
      if (value === undefined || value === null || value === '') topic += 'unknown'
      else {
        const text = String(value)
        topic += NOT_TOPIC_SAFE.test(text) ? text.replace(NOT_TOPIC_SAFE_ALL, '_') : text
      }
    }
    return topic
  }
  return render
}
