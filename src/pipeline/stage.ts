import type { DeviceMessage, QuarantineReason } from '../contract/device-message.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { Route } from './routing/rules.ts'
import type { PipelineMessage } from './message.ts'

/**
 * The one interface every stage has, as every Benthos processor does: a message in, zero or more
 * messages out, or a rejection that sends the message to quarantine with its reason. Stages are
 * synchronous — the pipeline runs on the broker's hot path, and nothing here needs to wait.
 */
export interface Stage {
  readonly name: string
  process(message: PipelineMessage): PipelineMessage[] | Rejection
}

export interface Rejection {
  rejected: true
  reason: QuarantineReason
  /** One line a person can act on. */
  detail: string
  /** zod issues, when the reason is `schema`: the path and what is wrong there. */
  issues?: { path: string; message: string }[]
}

export function reject(reason: QuarantineReason, detail: string, issues?: Rejection['issues']): Rejection {
  return issues ? { rejected: true, reason, detail, issues } : { rejected: true, reason, detail }
}

export function isRejection(result: PipelineMessage[] | Rejection): result is Rejection {
  return !Array.isArray(result)
}

/** Where the detect stage shows messages to the security detectors (src/security/message-detectors.ts). */
export interface MessageInspector {
  inspect(message: DeviceMessage): void
  quarantined(message: DeviceMessage, reason: QuarantineReason): void
}

/** Whether an output for `sink` (published on `topic`, for sinks that publish) would go anywhere now (`Sink.takes`). */
export type SinkTakes = (sink: string, topic: string | undefined) => boolean

/** What a stage may be built from: the pipeline file's settings and the lab's parts. */
export interface StageContext {
  registry: HospitalRegistry
  detectors: MessageInspector
  maxPayloadBytes: number
  routes: readonly Route[]
  sinkTakes: SinkTakes
}

/**
 * A stage as a pipeline file names it: each stage module exports one, and src/pipeline/stages/index.ts
 * lists them. Adding a stage is its file and one line there.
 */
export interface StageType {
  readonly name: string
  create(context: StageContext): Stage
}
