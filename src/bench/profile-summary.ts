import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface FunctionTime {
  name: string
  /** Where it is defined: path relative to the project or package, and line. */
  at: string
  /** ms with this function anywhere on the stack (each sample counted once per function). */
  totalMs: number
  /** ms with this function at the top of the stack. */
  selfMs: number
}

/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and returns, for every function, the time it was on
 * the stack and the time it was running itself. Total time counts a sample once per function even
 * in recursion, so "Pipeline.ingest: 40 %" means 40 % of the samples had it somewhere below —
 * which is how the pipeline's share of the broker's CPU is read off.
 */
export function summariseProfile(file: string): { wallMs: number; busyMs: number; functions: FunctionTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  const total = new Map<string, number>()
  const self = new Map<string, number>()
  let busyMs = 0
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000
    const leaf = byId.get(id)!
    if (leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') return
    busyMs += ms
    self.set(keyOf(leaf), (self.get(keyOf(leaf)) ?? 0) + ms)
    const seen = new Set<string>()
    for (let node: ProfileNode | undefined = leaf; node; node = byId.get(parent.get(node.id) ?? -1)) {
      const key = keyOf(node)
      if (seen.has(key)) continue
      seen.add(key)
      total.set(key, (total.get(key) ?? 0) + ms)
    }
  })
  const functions = [...total.entries()].map(([key, totalMs]) => {
    const [name, at] = key.split('\u0000') as [string, string]
    return { name, at, totalMs, selfMs: self.get(key) ?? 0 }
  })
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs, functions: functions.sort((a, b) => b.totalMs - a.totalMs) }
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length)
  const src = url.search(/\/(src|devices)\//)
  // A compiled module (dist/, bin/wardlab.js) goes by its source's name; its line is the compiled file's.
  return src >= 0 ? url.slice(src + 1).replace(/\.js$/, '.ts') : url.replace(/^file:\/\//, '')
}

/** Where a broker's CPU went, by pipeline stage and sink, from the functions' total times. */
const BREAKDOWN: { label: string; match: (f: FunctionTime) => boolean }[] = [
  { label: 'pipeline, all of it (Pipeline.ingest)', match: (f) => f.name === 'ingest' && f.at.startsWith('src/pipeline/pipeline.ts') },
  { label: '  decode: topic, size, JSON.parse', match: stage('decode') },
  { label: '  validate: envelope and kind schemas (zod)', match: stage('validate') },
  { label: '  enrich: registry context', match: stage('enrich') },
  { label: '  detect: security detectors', match: stage('detect') },
  { label: '  score: NEWS2', match: stage('score') },
  { label: '  route: rules, templates, FHIR building', match: stage('route') },
  { label: '    of which FHIR Observations', match: (f) => f.name === 'vitalSignObservationsJson' },
  { label: '    of which topic filter matching', match: (f) => f.name === 'topicMatches' },
  { label: '  sinks: serialise and hand over outputs', match: (f) => f.name === 'deliver' && f.at.startsWith('src/pipeline/pipeline.ts') },
  { label: '    broker sink: JSON.stringify + republish', match: (f) => f.name === 'write' && f.at.startsWith('src/pipeline/sinks/broker.ts') },
  { label: '    file sinks: JSON.stringify + append', match: (f) => f.name === 'write' && f.at.startsWith('src/pipeline/sinks/jsonl.ts') },
  { label: 'zod, anywhere', match: (f) => f.at.startsWith('zod/') },
  { label: 'socket writes (writev)', match: (f) => f.name === 'writev' },
  { label: 'garbage collector', match: (f) => f.name === '(garbage collector)' },
]

function stage(name: string): (f: FunctionTime) => boolean {
  return (f) => f.name === 'process' && f.at.startsWith(`src/pipeline/stages/${name}.ts`)
}

/** The breakdown as table lines: ms, share of the broker's busy time, µs per device message. */
export function formatBreakdown(file: string, messages: number): string {
  const summary = summariseProfile(file)
  const lines = [
    `broker busy ${Math.round(summary.busyMs).toLocaleString('en-US')} ms of ${Math.round(summary.wallMs).toLocaleString('en-US')} ms, ${messages.toLocaleString('en-US')} device messages (${((summary.busyMs * 1000) / Math.max(1, messages)).toFixed(1)} µs each):`,
  ]
  for (const row of BREAKDOWN) {
    // Recursion and same-named helpers can match twice: a function's total time is what counts once.
    const ms = Math.max(0, ...summary.functions.filter(row.match).map((f) => f.totalMs))
    lines.push(
      `  ${row.label.padEnd(46)} ${ms.toFixed(0).padStart(7)} ms ${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)} % ${((ms * 1000) / Math.max(1, messages)).toFixed(2).padStart(7)} µs/msg`,
    )
  }
  return lines.join('\n')
}
