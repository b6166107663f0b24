import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { replayCapture, type CaptureReplayOptions } from '../src/scenarios/capture-run.ts'
import { openLab } from '../src/lab/open-lab.ts'
import { silentLogger } from '../src/util/log.ts'
import { describeWithMqttset, mqttsetPath, type MqttsetClass } from './support/mqttset.ts'

const replay = (name: MqttsetClass, options: Pick<CaptureReplayOptions, 'speed' | 'windowMs'>) =>
  replayCapture({ openLab, file: mqttsetPath(name), log: silentLogger, outputDir: mkdtempSync(join(tmpdir(), 'wardlab-mqttset-')), ...options })

const typesOf = (report: Awaited<ReturnType<typeof replay>>) => new Set(report.alerts.map((a) => a.type))

describeWithMqttset('each MQTTset attack capture raises its class', () => {
  it('flood: one client far above the ceiling for clients that are not devices', async () => {
    const report = await replay('flood', { speed: 10 })
    const flood = report.alerts.find((a) => a.type === 'publish-flood')
    expect(flood).toMatchObject({ address: '192.168.1.100', evidence: { over: 'messages', topic: 'Temperature' } })
    expect(report.flows[0]!.alerts).toContain('publish-flood')
  })

  it('malariados: a distributed flood from several new clients, besides each worker over its own limit', async () => {
    const report = await replay('malariados', { speed: 5 })
    const floods = report.alerts.filter((a) => a.type === 'publish-flood')
    expect(floods.find((a) => a.evidence.distributed === true)).toMatchObject({ address: '192.168.1.90', evidence: { addresses: ['192.168.1.90'] } })
    expect(floods.filter((a) => a.evidence.distributed === undefined).length).toBeGreaterThanOrEqual(3)
  })

  it('slowite: slow DoS from hundreds of held connections with keep-alive 65,535', async () => {
    const report = await replay('slowite', { speed: 1 })
    expect(report.alerts.find((a) => a.type === 'slow-dos')).toMatchObject({ address: '10.16.120.44', evidence: { keepaliveSeconds: 65535 } })
    expect(report.flows.filter((f) => f.alerts.includes('slow-dos')).length).toBeGreaterThan(600)
  })

  it('malformed: crafted packets and $SYS enumeration', async () => {
    const report = await replay('malformed', { speed: 20, windowMs: 60_000 })
    expect(typesOf(report)).toContain('malformed-packet')
    expect(typesOf(report)).toContain('wildcard-snooping')
    expect(report.alerts.find((a) => a.type === 'wildcard-snooping')).toMatchObject({ evidence: { filter: '$SYS/#' } })
  })
})
