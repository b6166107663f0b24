import { isAbsolute, join } from 'node:path'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { PipelineConfig, StageName } from './config.ts'
import { Pipeline, type PipelineObserver } from './pipeline.ts'
import { Quarantine } from './quarantine.ts'
import { SecurityAlertOutlet } from './security-alert-outlet.ts'
import type { BrokerPublisher } from './sinks/bounded-publisher.ts'
import { brokerSink } from './sinks/broker.ts'
import { jsonlSink } from './sinks/jsonl.ts'
import type { Sink } from './sinks/sink.ts'
import { stdoutSink } from './sinks/stdout.ts'
import type { Stage } from './stage.ts'
import { decodeStage } from './stages/decode.ts'
import { detectStage, type MessageInspector } from './stages/detect.ts'
import { enrichStage } from './stages/enrich.ts'
import { routeStage } from './stages/route.ts'
import { scoreStage } from './stages/score.ts'
import { validateStage } from './stages/validate.ts'

export interface PipelineDeps {
  config: PipelineConfig
  registry: HospitalRegistry
  /** The security monitor's message detectors (`monitor.messages`), or a pipeline worker's own. */
  detectors: MessageInspector
  /** Where broker sinks publish: the embedded broker, or a client of an external one. */
  broker: BrokerPublisher
  /** Where relative sink files and the quarantine file go. */
  outputDir: string
  observer?: PipelineObserver
}

const STAGES: Record<StageName, (deps: PipelineDeps) => Stage> = {
  decode: (deps) => decodeStage({ maxPayloadBytes: deps.config.maxPayloadBytes }),
  validate: () => validateStage(),
  enrich: (deps) => enrichStage(deps.registry),
  detect: (deps) => detectStage(deps.detectors),
  score: (deps) => scoreStage(deps.registry),
  route: (deps) => routeStage(deps.config.routes),
}

/** Turns a pipeline configuration into running stages and open sinks. */
export function buildPipeline(deps: PipelineDeps): Pipeline {
  const file = (name: string) => (isAbsolute(name) ? name : join(deps.outputDir, name))
  const sinks = new Map<string, Sink>()
  for (const [name, spec] of Object.entries(deps.config.sinks)) {
    sinks.set(
      name,
      spec.type === 'broker' ? brokerSink(name, deps.broker, { qos: spec.qos, retain: spec.retain }) : spec.type === 'jsonl' ? jsonlSink(name, file(spec.file), { withTopic: spec.withTopic }) : stdoutSink(name),
    )
  }
  const quarantineSinks = [brokerSink('quarantine-broker', deps.broker), jsonlSink('quarantine-file', file('quarantine.jsonl'), { withTopic: true })]
  const alerts = new SecurityAlertOutlet(deps.broker, deps.outputDir)
  for (const sink of [...quarantineSinks, ...alerts.sinks]) sinks.set(sink.name, sink)
  return new Pipeline({
    stages: deps.config.stages.map((name) => STAGES[name](deps)),
    sinks,
    quarantine: new Quarantine(quarantineSinks, { limits: deps.config.quarantine, onSuppressed: (device) => deps.observer?.quarantineSuppressed?.(device) }),
    alerts,
    onQuarantine: (message, reason) => deps.detectors.quarantined(message, reason),
    ...(deps.observer ? { observer: deps.observer } : {}),
  })
}
