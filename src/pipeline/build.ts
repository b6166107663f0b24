import { isAbsolute, join } from 'node:path'
import type { PcdMessage } from '../clinical/hl7/pcd-message.ts'
import type { ChartRequests } from './sinks/chart-requests.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import { sinkType, type PipelineConfig } from './config.ts'
import { Pipeline, type PipelineObserver } from './pipeline.ts'
import { Quarantine } from './quarantine.ts'
import { SecurityAlertOutlet } from './security-alert-outlet.ts'
import type { BrokerPublisher } from './sinks/bounded-publisher.ts'
import { brokerSink } from './sinks/broker.ts'
import { jsonlSink } from './sinks/jsonl.ts'
import type { Sink } from './sinks/sink.ts'
import type { MessageInspector, StageContext } from './stage.ts'
import { STAGE_TYPES } from './stages/index.ts'

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
  /** Where HL7 sinks hand their messages (the lab's links, or a worker's list for the broker thread); none without `--hl7`. */
  hl7?: ((message: PcdMessage) => void) | null
  /** "Chart now" requests the HL7 sinks take (src/pipeline/sinks/chart-requests.ts); inline pipelines only. */
  chartRequests?: ChartRequests | null
}

/** Turns a pipeline configuration into running stages and open sinks. */
export function buildPipeline(deps: PipelineDeps): Pipeline {
  const file = (name: string) => (isAbsolute(name) ? name : join(deps.outputDir, name))
  const sinks = new Map<string, Sink>()
  for (const [name, spec] of Object.entries(deps.config.sinks))
    sinks.set(
      name,
      sinkType(spec.type).create(name, spec, {
        broker: deps.broker,
        file,
        registry: deps.registry,
        hl7: deps.hl7 ?? null,
        chartRequests: deps.chartRequests ?? null,
      }),
    )
  const context: StageContext = {
    registry: deps.registry,
    detectors: deps.detectors,
    maxPayloadBytes: deps.config.maxPayloadBytes,
    routes: deps.config.routes,
    sinkTakes: (sink, topic) => sinks.get(sink)?.takes?.(topic) ?? true,
  }
  const quarantineSinks = [brokerSink('quarantine-broker', deps.broker), jsonlSink('quarantine-file', file('quarantine.jsonl'), { withTopic: true })]
  const alerts = new SecurityAlertOutlet(deps.broker, deps.outputDir)
  for (const sink of [...quarantineSinks, ...alerts.sinks]) sinks.set(sink.name, sink)
  return new Pipeline({
    stages: deps.config.stages.map((name) => STAGE_TYPES.find((stage) => stage.name === name)!.create(context)),
    sinks,
    quarantine: new Quarantine(quarantineSinks, { limits: deps.config.quarantine, onSuppressed: (device) => deps.observer?.quarantineSuppressed?.(device) }),
    alerts,
    onQuarantine: (message, reason) => deps.detectors.quarantined(message, reason),
    ...(deps.observer ? { observer: deps.observer } : {}),
  })
}
