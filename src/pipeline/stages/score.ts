import { deviceKind } from '../../../devices/index.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { News2Band } from '../clinical/news2.ts'
import { news2Inputs } from '../clinical/news2-inputs.ts'
import { createNews2Tracker, type News2BandChange, type News2Tracker } from '../clinical/news2-tracker.ts'
import type { PipelineMessage } from '../message.ts'
import type { Stage } from '../stage.ts'

/** A band must hold this long (simulated) before it is announced, so noise at a boundary does not flap. */
const CONFIRM_MS = 60_000

export const NEWS2_DERIVED_ROOT = 'derived/news2'

/**
 * Stage 5: clinical scoring. Each patient's NEWS2 is recomputed as vitals arrive from any of
 * their devices; a change of risk band that holds for a minute becomes a new message on
 * `derived/news2/{ward}/{patientId}`, which the route stage sends on like any other.
 */
export function scoreStage(registry: HospitalRegistry, options: { confirmMs?: number; tracker?: News2Tracker } = {}): Stage {
  const tracker = options.tracker ?? createNews2Tracker()
  const confirmMs = options.confirmMs ?? CONFIRM_MS
  const announced = new Map<string, News2Band>()
  const pending = new Map<string, { change: News2BandChange; since: number }>()
  const seeded = new Set<string>()

  const confirm = (patientId: string, change: News2BandChange | null, at: number): News2BandChange | null => {
    if (change) {
      if (change.to === announced.get(patientId)) pending.delete(patientId)
      else pending.set(patientId, { change, since: at })
    }
    const candidate = pending.get(patientId)
    if (!candidate || at - candidate.since < confirmMs) return null
    pending.delete(patientId)
    const from = announced.get(patientId) ?? null
    announced.set(patientId, candidate.change.to)
    return { ...candidate.change, from }
  }

  return {
    name: 'score',
    process(message) {
      const patientId = message.context?.patientId
      const envelope = message.envelope
      if (!patientId || !envelope || message.device?.channel !== 'telemetry') return [message]
      const values = news2Inputs(deviceKind(message.device.kind)!, envelope.data)
      if (!values) return [message]
      const patient = registry.patient(patientId)
      // Oxygen by mask or cannula reaches no device; the registry's admission state stands until a ventilator says otherwise.
      if (!seeded.has(patientId)) {
        seeded.add(patientId)
        values.onOxygen ??= patient?.onOxygen ?? false
      }
      const change = tracker.update({ patientId, atMs: envelope.ts, values, scale: patient?.hypercapnic ? 2 : 1 })
      const confirmed = confirm(patientId, change, envelope.ts)
      return confirmed ? [message, bandChangeMessage(message, confirmed)] : [message]
    },
  }
}

function bandChangeMessage(cause: PipelineMessage, change: News2BandChange): PipelineMessage {
  const context = cause.context!
  const body = {
    type: 'news2-band-change',
    patientId: change.patientId,
    ward: context.ward,
    ...(context.bed ? { bed: context.bed } : {}),
    from: change.from,
    to: change.to,
    score: change.score,
    scale: change.result.scale,
    complete: change.result.complete,
    missing: change.result.missing,
    subScores: change.result.subScores,
    singleParameterThree: change.result.singleParameterThree,
    ts: change.atMs,
  }
  return {
    topic: `${NEWS2_DERIVED_ROOT}/${context.ward}/${change.patientId}`,
    payload: cause.payload,
    receivedAt: cause.receivedAt,
    source: cause.source,
    body,
    context,
    outputs: [],
  }
}
