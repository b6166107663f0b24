import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLab } from '../src/lab/open-lab.ts'
import { replayCapture } from '../src/scenarios/capture-run.ts'
import { formatScore, readLabels, scoreFlows } from '../src/scenarios/label-scoring.ts'
import { silentLogger } from '../src/util/log.ts'
import { describeWithMqttset, mqttsetPath } from './support/mqttset.ts'

const labelsFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'wardlab-labels-')), 'flows.csv')
  writeFileSync(file, text)
  return file
}

describe('scoring flows against labels', () => {
  it('counts precision, recall and the confusion matrix from known truth', () => {
    const flows = [
      { id: 'a', client: '10.0.0.1', alerts: ['publish-flood' as const] },
      { id: 'b', client: '10.0.0.1', alerts: [] },
      { id: 'c', client: '10.0.0.2', alerts: ['publish-flood' as const] },
      { id: 'd', client: '10.0.0.3', alerts: ['auth-failure' as const] },
    ]
    const labels = [...readLabels(labelsFile('address,class\n10.0.0.1,flood\n')), ...readLabels(labelsFile('flow,label\nd,bruteforce\n'))]
    const score = scoreFlows(flows, labels)
    expect(score.matrix).toEqual({ 'publish-flood': { 'publish-flood': 1, benign: 1 }, benign: { 'publish-flood': 1 }, 'brute-force': { benign: 1 } })
    expect(score.perClass['publish-flood']).toMatchObject({ support: 2, predicted: 2, truePositives: 1, precision: 0.5, recall: 0.5 })
    expect(score.perClass['brute-force']).toMatchObject({ recall: 0, precision: null })
    expect(formatScore(score).join('\n')).toContain('confusion')
  })

  it('refuses a labels file without the columns it needs, or with a class it does not know', () => {
    expect(() => readLabels(labelsFile('src,kind\n1,2\n'))).toThrow(/flow or address column/)
    expect(() => readLabels(labelsFile('address,class\n10.0.0.1,teleportation\n'))).toThrow(/unknown class/)
  })
})

describeWithMqttset('a replay scored against dataset labels', () => {
  it('MQTTset slowite labelled by its attacker address: every held connection is a detected slow DoS', async () => {
    const report = await replayCapture({
      openLab,
      file: mqttsetPath('slowite'),
      speed: 'max',
      log: silentLogger,
      outputDir: mkdtempSync(join(tmpdir(), 'wardlab-labels-')),
    })
    const score = scoreFlows(report.flows, readLabels(labelsFile('address,target\n10.16.120.44,slowite\n')))
    expect(score.perClass['slow-dos']!.support).toBe(report.flows.length)
    expect(score.perClass['slow-dos']!.precision).toBe(1)
    expect(score.perClass['slow-dos']!.recall).toBeGreaterThan(0.9)
  }, 60_000)
})
