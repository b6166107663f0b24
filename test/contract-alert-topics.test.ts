import { describe, expect, it } from 'vitest'
import { CLINICAL_ALERTS_ROOT, NEWS2_ALERTS_ROOT, NEWS2_SCORES_ROOT, TECHNICAL_ALERTS_ROOT } from '../src/contract/topics.ts'
import { loadPipelineConfig } from '../src/pipeline/config.ts'

describe('the alert topics of the topic contract', () => {
  it('are the ones the default pipeline routes to, so what reads them (the run recorder) reads what is published', () => {
    const alertTopics = loadPipelineConfig()
      .routes.flatMap((route) => route.to.map((to) => ('topic' in to ? to.topic : undefined)))
      .filter((topic): topic is string => topic?.startsWith('alerts/') === true)
    const roots = [CLINICAL_ALERTS_ROOT, TECHNICAL_ALERTS_ROOT, NEWS2_ALERTS_ROOT]
    for (const topic of alertTopics)
      expect(
        roots.some((root) => topic.startsWith(`${root}/`)),
        topic,
      ).toBe(true)
    for (const root of roots)
      expect(
        alertTopics.some((topic) => topic.startsWith(`${root}/`)),
        root,
      ).toBe(true)
  })

  it("hold the NEWS2 scores' root the default pipeline retains them under, which the dashboard subscribes to", () => {
    const topics = loadPipelineConfig().routes.flatMap((route) => route.to.map((to) => ('topic' in to ? to.topic : undefined)))
    expect(topics).toContain(`${NEWS2_SCORES_ROOT}/{ward}/{patientId}`)
  })
})
