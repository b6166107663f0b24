import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadPipelineConfig } from '../src/pipeline/config.ts'
import { compileRoute, routeSchema } from '../src/pipeline/routing/rules.ts'
import { compileTemplate } from '../src/pipeline/routing/template.ts'
import { routeStage } from '../src/pipeline/stages/route.ts'
import type { PipelineMessage } from '../src/pipeline/message.ts'

const route = (spec: unknown) => {
  const compiled = compileRoute(routeSchema.parse(spec))
  return { matches: (topic: string, body: unknown) => compiled.matchesTopic(topic.split('/')) && compiled.matchesFields(body) }
}

describe('routing rules', () => {
  it('match on topic filters and payload predicates together', () => {
    const helium = route({
      name: 'helium',
      topic: 'hospital/+/mri-scanner/+/telemetry',
      where: { 'data.heliumLevelPct': { lt: 40 }, 'data.state': { in: ['idle', 'scanning'] } },
      to: [{ sink: 'b', topic: 'x' }],
    })
    expect(helium.matches('hospital/rad/mri-scanner/mri-1/telemetry', { data: { heliumLevelPct: 35, state: 'idle' } })).toBe(true)
    expect(helium.matches('hospital/rad/mri-scanner/mri-1/telemetry', { data: { heliumLevelPct: 55, state: 'idle' } })).toBe(false)
    expect(helium.matches('hospital/rad/mri-scanner/mri-1/telemetry', { data: { heliumLevelPct: 35, state: 'service' } })).toBe(false)
    expect(helium.matches('hospital/rad/mri-scanner/mri-1/telemetry', { data: { state: 'idle' } })).toBe(false)
    expect(helium.matches('hospital/rad/ventilator/v-1/telemetry', { data: { heliumLevelPct: 35, state: 'idle' } })).toBe(false)
  })

  it.each([
    [{ eq: 'high' }, 'high', true],
    [{ eq: 'high' }, 'low', false],
    ['high', 'high', true],
    [{ ne: 'low' }, 'high', true],
    [{ ne: 'low' }, 'low', false],
    [{ gte: 7 }, 7, true],
    [{ gt: 7 }, 7, false],
    [{ lte: 5 }, 5, true],
    [{ lt: 5 }, '4', false],
    [{ exists: true }, 0, true],
    [{ exists: true }, undefined, false],
    [{ exists: false }, undefined, true],
    [{ gte: 5, lt: 7 }, 6, true],
    [{ gte: 5, lt: 7 }, 7, false],
    [true, true, true],
  ])('%# predicate %o on %o → %s', (predicate, value, expected) => {
    const r = route({ name: 'p', topic: '#', where: { v: predicate }, to: [{ sink: 's' }] })
    expect(r.matches('a/b', { v: value })).toBe(expected)
  })

  it('accepts several topic filters in one rule', () => {
    const r = route({ name: 'mri', topic: ['hospital/+/mri-scanner/+/telemetry', 'hospital/+/mri-scanner/+/event'], to: [{ sink: 's' }] })
    expect(r.matches('hospital/r/mri-scanner/m/event', {})).toBe(true)
    expect(r.matches('hospital/r/mri-scanner/m/alarm', {})).toBe(false)
  })

  it('renders topic templates from context and body, never producing empty or wildcard levels', () => {
    const render = compileTemplate('alerts/clinical/{ward}/{data.priority}')
    expect(render({ ward: 'icu' }, { data: { priority: 'high' } })).toBe('alerts/clinical/icu/high')
    expect(render({ ward: 'icu' }, { data: {} })).toBe('alerts/clinical/icu/unknown')
    expect(compileTemplate('ops/{deviceId}')({ deviceId: 'a/b+#' }, {})).toBe('ops/a_b__')
  })

  it('reads `context.` fields from the registry context given apart, everything else from the body', () => {
    const rule = compileRoute(
      routeSchema.parse({ name: 'c', topic: '#', where: { 'context.patientId': { exists: true }, 'data.hr': { gt: 100 } }, to: [{ sink: 's' }] }),
    )
    const body = { data: { hr: 120 }, context: { patientId: 'from-the-payload' } }
    expect(rule.matchesFields(body, { patientId: 'pt-01' })).toBe(true)
    // The registry's context, not the payload's: a device without one (null) has no patient, whatever it sends.
    expect(rule.matchesFields(body, null)).toBe(false)
    expect(rule.matchesFields({ data: { hr: 90 } }, { patientId: 'pt-01' })).toBe(false)
    // Given no context at all, the body is read as it is.
    expect(rule.matchesFields(body)).toBe(true)
    const render = compileTemplate('ops/{context.ward}/{data.hr}')
    expect(render({}, body, { ward: 'icu' })).toBe('ops/icu/120')
    expect(render({}, body, null)).toBe('ops/unknown/120')
  })

  it('sends one message to every matching route unless a route is final', () => {
    const stage = routeStage([
      routeSchema.parse({ name: 'first', topic: 'hospital/#', to: [{ sink: 'one', topic: 'x/{ward}' }] }),
      routeSchema.parse({ name: 'second', topic: 'hospital/+/+/+/alarm', final: true, to: [{ sink: 'two', topic: 'y' }, { sink: 'three' }] }),
      routeSchema.parse({ name: 'never', topic: '#', to: [{ sink: 'four' }] }),
    ])
    const message: PipelineMessage = {
      topic: 'hospital/icu/bedside-monitor/m1/alarm',
      payload: Buffer.from('{}'),
      receivedAt: 0,
      source: { clientId: 'm1', address: 'x' },
      envelope: { deviceId: 'm1', kind: 'bedside-monitor', seq: 0, ts: 1, data: { priority: 'high' } },
      context: { deviceId: 'm1', kind: 'bedside-monitor', ward: 'icu', wardName: 'ICU' },
      outputs: [],
    }
    const [out] = stage.process(message) as PipelineMessage[]
    expect(out!.outputs.map((o) => [o.route, o.sink, o.topic])).toEqual([
      ['first', 'one', 'x/icu'],
      ['second', 'two', 'y'],
      ['second', 'three', undefined],
    ])
  })

  it('builds outputs only for destinations whose sink takes them now', () => {
    const asked: [string, string | undefined][] = []
    const stage = routeStage(
      [
        routeSchema.parse({ name: 'ops', topic: 'hospital/#', to: [{ sink: 'broker', topic: 'ops/{ward}/{deviceId}' }, { sink: 'file' }] }),
        routeSchema.parse({ name: 'hl7', topic: 'hospital/#', to: [{ sink: 'hl7' }] }),
      ],
      (sink, topic) => {
        asked.push([sink, topic])
        return sink === 'file'
      },
    )
    const message: PipelineMessage = {
      topic: 'hospital/icu/bedside-monitor/m1/telemetry',
      payload: Buffer.from('{}'),
      receivedAt: 0,
      source: { clientId: 'm1', address: 'x' },
      envelope: { deviceId: 'm1', kind: 'bedside-monitor', seq: 0, ts: 1, data: {} },
      context: { deviceId: 'm1', kind: 'bedside-monitor', ward: 'icu', wardName: 'ICU' },
      outputs: [],
    }
    const [out] = stage.process(message) as PipelineMessage[]
    // The broker was asked with the topic it would have published on; only the file took its output.
    expect(asked).toEqual([
      ['broker', 'ops/icu/m1'],
      ['file', undefined],
      ['hl7', undefined],
    ])
    expect(out!.outputs.map((o) => [o.route, o.sink])).toEqual([['ops', 'file']])
  })
})

describe('pipeline configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wardlab-pipeline-'))

  it('loads the built-in pipeline', () => {
    const config = loadPipelineConfig()
    expect(config.stages).toEqual(['decode', 'validate', 'enrich', 'detect', 'score', 'route'])
    expect(config.routes.map((r) => r.name)).toContain('vital-signs-fhir')
  })

  it('points at the line of a route that names a missing sink or lacks a topic', () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(
      file,
      [
        'stages: [decode, validate, route]',
        'sinks:',
        '  broker: { type: broker }',
        'routes:',
        '  - name: a',
        '    topic: "#"',
        '    to:',
        '      - { sink: nowhere }',
        '      - { sink: broker }',
        '',
      ].join('\n'),
    )
    expect(() => loadPipelineConfig(file)).toThrow(
      /bad\.yaml:8:\d+: routes\[0\]\.to\[0\]\.sink: no sink named "nowhere"[\s\S]*bad\.yaml:9:\d+: routes\[0\]\.to\[1\]\.topic: sink "broker" publishes/,
    )
  })

  it('refuses a pipeline without validation', () => {
    const file = join(dir, 'novalidate.yaml')
    writeFileSync(file, 'stages: [decode, route]\nsinks: {}\nroutes: []\n')
    expect(() => loadPipelineConfig(file)).toThrow(/decode, validate and route are required/)
  })
})
