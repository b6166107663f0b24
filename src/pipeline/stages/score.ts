import { deviceContract } from '../../contract/devices/index.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { News2Result } from '../../clinical/news2.ts'
import { BandConfirmation } from '../../clinical/band-confirmation.ts'
import { news2Inputs } from '../../clinical/news2-inputs.ts'
import { createNews2Tracker, type News2BandChange, type News2Tracker } from '../../clinical/news2-tracker.ts'
import type { PipelineMessage } from '../message.ts'
import type { Stage, StageType } from '../stage.ts'
import { DERIVED_ROOT } from '../../contract/topics.ts'

/** A band must be sustained this long (simulated) before it is announced; see BandConfirmation. */
const CONFIRM_MS = 60_000

export const NEWS2_DERIVED_ROOT = `${DERIVED_ROOT}/news2`
/** The current score per patient, for displays (the default pipeline retains it on `ops/news2/{ward}/{patientId}`). */
export const NEWS2_SCORE_ROOT = `${DERIVED_ROOT}/news2-score`
/**
 * A changed score is republished at most this often per patient (simulated): numerics arrive every
 * second and a value at a band edge flips the score with every reading, which a display need not follow.
 */
const SCORE_EVERY_MS = 5_000

/**
 * Stage 5: clinical scoring. Each patient's NEWS2 is recomputed as vitals arrive from any of
 * their devices; a change of risk band sustained for a minute becomes a new message on
 * `derived/news2/{ward}/{patientId}`, which the route stage sends on like any other. The current
 * score itself goes out on `derived/news2-score/{ward}/{patientId}` when it changes.
 */
export function scoreStage(registry: HospitalRegistry, options: { confirmMs?: number; tracker?: News2Tracker } = {}): Stage {
  const tracker = options.tracker ?? createNews2Tracker()
  const bands = new BandConfirmation(options.confirmMs ?? CONFIRM_MS)
  const seeded = new Set<string>()
  const published = new Map<string, { key: string; at: number }>()

  /** The patient's score if it differs from the one last published and that one is old enough. */
  const scoreToPublish = (patientId: string, at: number): News2Result | null => {
    const result = tracker.latest(patientId)
    if (!result) return null
    const key = `${result.aggregate}/${result.band}/${result.complete}`
    const last = published.get(patientId)
    if (last && (last.key === key || at - last.at < SCORE_EVERY_MS)) return null
    published.set(patientId, { key, at })
    return result
  }

  return {
    name: 'score',
    process(message) {
      const patientId = message.context?.patientId
      const envelope = message.envelope
      if (!patientId || !envelope || message.device?.channel !== 'telemetry') return [message]
      const values = news2Inputs(deviceContract(message.device.kind)!, envelope.data)
      if (!values) return [message]
      const patient = registry.patient(patientId)
      // Oxygen by mask or cannula reaches no device; the registry's admission state stands until a ventilator says otherwise.
      if (!seeded.has(patientId)) {
        seeded.add(patientId)
        values.onOxygen ??= patient?.onOxygen ?? false
      }
      tracker.update({ patientId, atMs: envelope.ts, values, scale: patient?.hypercapnic ? 2 : 1 })
      const result = tracker.latest(patientId)!
      const change = bands.observe(patientId, result.band, envelope.ts)
      const confirmed = change ? { patientId, ...change, score: result.aggregate, atMs: envelope.ts, result } : null
      const score = scoreToPublish(patientId, envelope.ts)
      const out = [message]
      if (confirmed) out.push(bandChangeMessage(message, confirmed))
      if (score) out.push(scoreMessage(message, patientId, score, envelope.ts))
      return out
    },
  }
}

function bandChangeMessage(cause: PipelineMessage, change: News2BandChange): PipelineMessage {
  const body = {
    type: 'news2-band-change',
    ...scoreFields(cause, change.patientId, change.result, change.atMs),
    from: change.from,
    to: change.to,
    subScores: change.result.subScores,
    singleParameterThree: change.result.singleParameterThree,
  }
  return derivedMessage(cause, `${NEWS2_DERIVED_ROOT}/${cause.context!.ward}/${change.patientId}`, body)
}

function scoreMessage(cause: PipelineMessage, patientId: string, result: News2Result, atMs: number): PipelineMessage {
  const body = { type: 'news2-score', ...scoreFields(cause, patientId, result, atMs), band: result.band }
  return derivedMessage(cause, `${NEWS2_SCORE_ROOT}/${cause.context!.ward}/${patientId}`, body)
}

function scoreFields(cause: PipelineMessage, patientId: string, result: News2Result, atMs: number) {
  const context = cause.context!
  return {
    patientId,
    ward: context.ward,
    ...(context.bed ? { bed: context.bed } : {}),
    score: result.aggregate,
    scale: result.scale,
    complete: result.complete,
    missing: result.missing,
    ts: atMs,
  }
}

function derivedMessage(cause: PipelineMessage, topic: string, body: object): PipelineMessage {
  const context = cause.context!
  return {
    topic,
    payload: cause.payload,
    receivedAt: cause.receivedAt,
    source: cause.source,
    body,
    context,
    outputs: [],
  }
}

export const score: StageType = { name: 'score', create: (context) => scoreStage(context.registry) }
