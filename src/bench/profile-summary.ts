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

/** A stretch of CLOCK_MONOTONIC, ms (clock.ts), which V8 stamps its samples on: the bench's measured window. */
export interface ProfileWindow {
  fromMs: number
  toMs: number
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
export function summariseProfile(file: string, window?: ProfileWindow): { wallMs: number; busyMs: number; functions: FunctionTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  const total = new Map<string, number>()
  const self = new Map<string, number>()
  let busyMs = 0
  // Sample i was taken at startTime + the deltas up to i, in µs of CLOCK_MONOTONIC.
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (window && (at < window.fromMs * 1000 || at >= window.toMs * 1000)) return
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
  const wallMs = window ? window.toMs - window.fromMs : (profile.endTime - profile.startTime) / 1000
  return { wallMs, busyMs, functions: functions.sort((a, b) => b.totalMs - a.totalMs) }
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
export function formatBreakdown(file: string, messages: number, window?: ProfileWindow): string {
  const summary = summariseProfile(file, window)
  const lines = [
    `broker busy ${Math.round(summary.busyMs).toLocaleString('en-US')} ms of ${Math.round(summary.wallMs).toLocaleString('en-US')} ms, ${messages.toLocaleString('en-US')} device messages (${((summary.busyMs * 1000) / Math.max(1, messages)).toFixed(1)} µs each):`,
  ]
  for (const row of BREAKDOWN) {
    // Recursion and same-named helpers can match twice: a function's total time is what counts once.
    const ms = Math.max(0, ...summary.functions.filter(row.match).map((f) => f.totalMs))
    lines.push(tableLine(row.label, ms, summary.busyMs, messages))
  }
  return lines.join('\n')
}

/**
 * Where a broker's own CPU went, by who wrote the code: each function's self time, summed by
 * area. wardlab's broker layer is every row under "wardlab"; a bare Aedes has none of them, so
 * `--target embedded,aedes --cpu-prof` sets the two side by side (issue 21). Self time misses
 * what a wardlab function spends in Node's built-ins (those count under "Node"), so the wardlab
 * rows are a floor of the layer's cost, and the GC row holds some of it too.
 */
const LAYER: { label: string; match: (at: string, name: string) => boolean }[] = [
  { label: 'wardlab: packet guards (size, conformance)', match: (at) => /^src\/broker\/(packet-size-limit|hooks\/(packet-)?conformance)\.ts/.test(at) },
  {
    label: 'wardlab: authenticate, connection gate',
    match: (at) => /^src\/(broker\/(hooks\/(authenticate|pre-connect)|connection-gate|client-id-owners)|registry\/)/.test(at),
  },
  {
    label: 'wardlab: publish ACL, reply grants, topics',
    match: (at) => /^src\/(broker\/(hooks\/authorize-publish|acl|reply-grants|retained-quota)|contract\/topics)\.ts/.test(at),
  },
  { label: 'wardlab: admission, rate limit', match: (at) => /^src\/broker\/(publish-admission|publish-rate-limit)\.ts/.test(at) },
  { label: 'wardlab: connection watch, signal bus', match: (at) => /^src\/(broker\/connection-signals|security\/signals)\.ts/.test(at) },
  { label: 'wardlab: security monitor, detectors', match: (at) => at.startsWith('src/security/') },
  { label: 'wardlab: delivery (forward, shedding, QoS)', match: (at) => /^src\/broker\//.test(at) },
  { label: 'wardlab: everything else (lab, metrics, …)', match: (at) => at.startsWith('src/') },
  {
    label: 'Aedes and its packages',
    match: (at) =>
      /^(aedes|mqtt-packet|mqemitter|qlobber|bl|fastparallel|fastfall|fastseries|reusify|retimer|uuid|debug|end-of-stream|process-nextick-args)[/-]/.test(at),
  },
  { label: 'garbage collector', match: (_, name) => name === '(garbage collector)' },
  { label: 'socket writes (writev)', match: (_, name) => name === 'writev' },
  { label: 'Node and V8, the rest', match: () => true },
]

/** The broker-layer table: self ms by area (each function in the first area that matches), share, µs per device message. */
export function formatLayerBreakdown(file: string, messages: number, window?: ProfileWindow): string {
  const summary = summariseProfile(file, window)
  const ms = LAYER.map(() => 0)
  for (const f of summary.functions) {
    if (f.selfMs === 0) continue
    const row = LAYER.findIndex((r) => r.match(f.at, f.name))
    ms[row] = (ms[row] ?? 0) + f.selfMs
  }
  const wardlab = ms
    .slice(
      0,
      LAYER.findIndex((r) => !r.label.startsWith('wardlab')),
    )
    .reduce((a, b) => a + b, 0)
  const line = (label: string, v: number) => tableLine(label, v, summary.busyMs, messages)
  return [
    `broker busy ${Math.round(summary.busyMs).toLocaleString('en-US')} ms of ${Math.round(summary.wallMs).toLocaleString('en-US')} ms${window ? ' (the measured window)' : ''}, ${messages.toLocaleString('en-US')} device messages (${((summary.busyMs * 1000) / Math.max(1, messages)).toFixed(1)} µs each), self time by area:`,
    ...LAYER.map((r, i) => line(r.label, ms[i]!)),
    line('wardlab broker layer, all rows above "Aedes"', wardlab),
  ].join('\n')
}

/** One row of a breakdown: ms, share of the broker's busy time, µs per device message. */
function tableLine(label: string, ms: number, busyMs: number, messages: number): string {
  return `  ${label.padEnd(46)} ${ms.toFixed(0).padStart(7)} ms ${((ms / busyMs) * 100).toFixed(1).padStart(5)} % ${((ms * 1000) / Math.max(1, messages)).toFixed(2).padStart(7)} µs/msg`
}
