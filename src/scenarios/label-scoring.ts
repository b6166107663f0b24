import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { ALERT_TYPES, type AlertType } from '../contract/security-alert.ts'
import { WardlabError } from '../util/errors.ts'
import type { FlowReport } from './capture-lab.ts'

/**
 * Scoring a replay against a dataset's labels. Published datasets label a flow (MQTTset's
 * per-file classes, CICIoMT2024) or an address (the attacker's IP); a labels CSV gives either, one
 * row each: `flow,class` (a flow id as the report prints it) or `address,class`. A flow's own row
 * wins over its address's; flows without a row are benign.
 */
export const labelRowSchema = z.object({ key: z.string().min(1), class: z.string().min(1) })
export type LabelRow = z.infer<typeof labelRowSchema>

/** Dataset class names → the alert type that answers them ('benign' for legitimate traffic). */
const CLASS_ALIASES: Record<string, string> = {
  benign: 'benign',
  legitimate: 'benign',
  normal: 'benign',
  flood: 'publish-flood',
  dos: 'publish-flood',
  malariados: 'publish-flood',
  'ddos-publish': 'publish-flood',
  'dos-publish': 'publish-flood',
  bruteforce: 'brute-force',
  slowite: 'slow-dos',
  malformed: 'malformed-packet',
  'malformed-data': 'malformed-packet',
  'connect-flood': 'connect-flood',
}

export function canonicalClass(name: string): string {
  const lower = name.trim().toLowerCase()
  if (CLASS_ALIASES[lower]) return CLASS_ALIASES[lower]
  if ((ALERT_TYPES as readonly string[]).includes(lower)) return lower
  throw new WardlabError('WL_CONFIG_INVALID', `labels: unknown class "${name}" (known: ${Object.keys(CLASS_ALIASES).join(', ')}, or an alert type)`)
}

export function readLabels(path: string): { by: 'flow' | 'address'; rows: LabelRow[] }[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read labels ${path}`, { cause })
  }
  const [header = '', ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const columns = header.split(',').map((c) => c.trim().toLowerCase())
  const keyAt = columns.findIndex((c) => c === 'flow' || c === 'address')
  const classAt = columns.findIndex((c) => c === 'class' || c === 'label' || c === 'target')
  if (keyAt < 0 || classAt < 0)
    throw new WardlabError(
      'WL_CONFIG_INVALID',
      `labels ${path}: the header needs a flow or address column and a class, label or target column, got "${header}"`,
    )
  const rows = lines.map((line, i) => {
    const cells = line.split(',')
    const parsed = labelRowSchema.safeParse({ key: cells[keyAt]?.trim(), class: cells[classAt]?.trim() })
    if (!parsed.success) throw new WardlabError('WL_CONFIG_INVALID', `labels ${path}: line ${i + 2}: ${parsed.error.issues[0]?.message}`)
    return { ...parsed.data, class: canonicalClass(parsed.data.class) }
  })
  return [{ by: columns[keyAt] as 'flow' | 'address', rows }]
}

export interface ClassScore {
  support: number
  predicted: number
  truePositives: number
  precision: number | null
  recall: number | null
}

export interface LabelScore {
  classes: string[]
  /** matrix[true class][predicted class] = flows */
  matrix: Record<string, Record<string, number>>
  perClass: Record<string, ClassScore>
}

/**
 * Per flow, the true class from the labels and the predicted one from its alerts: its true class
 * when one of its alerts is that class (a flood that also trips the malformed detector is still a
 * detected flood), else its first attack alert, else benign. auth-failure is informational.
 */
export function scoreFlows(flows: readonly Pick<FlowReport, 'id' | 'client' | 'alerts'>[], labels: ReturnType<typeof readLabels>): LabelScore {
  const byFlow = new Map<string, string>()
  const byAddress = new Map<string, string>()
  for (const set of labels) for (const row of set.rows) (set.by === 'flow' ? byFlow : byAddress).set(row.key, row.class)
  const matrix: Record<string, Record<string, number>> = {}
  const classes = new Set<string>(['benign'])
  for (const flow of flows) {
    const truth = byFlow.get(flow.id) ?? byAddress.get(flow.client) ?? 'benign'
    const attacks = flow.alerts.filter((a): a is AlertType => a !== 'auth-failure')
    const predicted = (attacks as string[]).includes(truth) ? truth : (attacks[0] ?? 'benign')
    classes.add(truth).add(predicted)
    matrix[truth] ??= {}
    matrix[truth][predicted] = (matrix[truth][predicted] ?? 0) + 1
  }
  const sorted = [...classes].sort((a, b) => (a === 'benign' ? -1 : b === 'benign' ? 1 : a.localeCompare(b)))
  const perClass: Record<string, ClassScore> = {}
  for (const c of sorted) {
    const support = Object.values(matrix[c] ?? {}).reduce((n, v) => n + v, 0)
    const predicted = sorted.reduce((n, t) => n + (matrix[t]?.[c] ?? 0), 0)
    const truePositives = matrix[c]?.[c] ?? 0
    perClass[c] = {
      support,
      predicted,
      truePositives,
      precision: predicted === 0 ? null : truePositives / predicted,
      recall: support === 0 ? null : truePositives / support,
    }
  }
  return { classes: sorted, matrix, perClass }
}

/** The score as terminal lines: per-class precision and recall, then the confusion matrix. */
export function formatScore(score: LabelScore, unit = 'flows'): string[] {
  const pct = (v: number | null) => (v === null ? '   –  ' : `${(v * 100).toFixed(1).padStart(5)}%`)
  const width = Math.max(...score.classes.map((c) => c.length), 10)
  const lines = [`scoring against labels (${unit}):`, `  ${'class'.padEnd(width)}  precision  recall  support`]
  for (const c of score.classes)
    lines.push(`  ${c.padEnd(width)}  ${pct(score.perClass[c]!.precision)}    ${pct(score.perClass[c]!.recall)}  ${score.perClass[c]!.support}`)
  lines.push(`  confusion (rows: true, columns: predicted): ${score.classes.join(' | ')}`)
  for (const t of score.classes) lines.push(`  ${t.padEnd(width)}  ${score.classes.map((p) => String(score.matrix[t]?.[p] ?? 0).padStart(6)).join(' ')}`)
  return lines
}
