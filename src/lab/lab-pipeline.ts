import type { Aedes } from 'aedes'
import type { PcdMessage } from '../clinical/hl7/pcd-message.ts'
import type { PublishAdmission } from '../broker/publish-admission.ts'
import type { ChartRequests } from '../pipeline/sinks/chart-requests.ts'
import { buildPipeline } from '../pipeline/build.ts'
import { loadPipelineConfig, type PipelineConfig } from '../pipeline/config.ts'
import { PipelinePool } from '../pipeline/offload/pipeline-pool.ts'
import { combineObservers, type PipelineObserver, type PipelineRunner } from '../pipeline/pipeline.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import type { SecurityConfig } from '../security/config.ts'
import type { SecurityMonitor } from '../security/monitor.ts'
import { WardlabError } from '../util/errors.ts'
import { siblingModule } from '../util/package-files.ts'
import type { BrokerPublisher } from '../pipeline/sinks/bounded-publisher.ts'
import type { InterestFeed } from '../pipeline/output-interest.ts'

/** The embedded broker as the inline pipeline publishes to it, knowing who can receive what when it can. */
function publisherOf(broker: Aedes, interest: InterestFeed | null): BrokerPublisher {
  if (!interest) return broker
  return { publish: (packet, done) => broker.publish(packet, done), hasSubscribers: (topic) => interest.matches(topic) }
}

export interface LabPipelineParts {
  config: PipelineConfig | undefined
  /** 0: inline on the broker's thread; N: that many worker threads, sharded by patient. */
  workers: number
  registryData: Registry
  registry: HospitalRegistry
  security: SecurityConfig
  monitor: SecurityMonitor
  broker: Aedes
  outputDir: string
  metrics: PipelineObserver
  observer: PipelineObserver | undefined
  admission: PublishAdmission
  /** Where HL7 sinks hand their messages: the lab's links (`--hl7`). */
  hl7: ((message: PcdMessage) => void) | null
  /** Every session's subscriptions, where this broker knows them all (not with durable persistence or a cluster). */
  interest: InterestFeed | null
  /** "Chart now" requests for the HL7 sinks; only an inline pipeline's sinks can take them. */
  chartRequests?: ChartRequests | null
}

/**
 * The lab's pipeline, where it was asked to run. Inline, every stage runs on the broker's thread
 * between one publish and the next — deterministic, which scenario runs on a virtual clock need.
 * In workers, the broker's thread only hands messages over and publishes what comes back.
 */
export async function startLabPipeline(parts: LabPipelineParts): Promise<PipelineRunner> {
  const config = parts.config ?? loadPipelineConfig()
  if (parts.workers === 0)
    return buildPipeline({
      config,
      registry: parts.registry,
      detectors: parts.monitor.messages,
      broker: publisherOf(parts.broker, parts.interest),
      outputDir: parts.outputDir,
      observer: combineObservers(parts.metrics, parts.observer),
      hl7: parts.hl7,
      chartRequests: parts.chartRequests ?? null,
    })
  // A recorder sees each accepted message as it passes; across threads it would see copies, late.
  if (parts.observer) throw new WardlabError('WL_USAGE', 'a pipeline observer (scenario recording) needs the pipeline inline: pipeline workers must be 0')
  return PipelinePool.start({
    workers: parts.workers,
    setup: {
      registry: parts.registryData,
      config,
      detectors: { module: siblingModule('../security/create-detectors.ts', import.meta.url).href, options: parts.security },
      outputDir: parts.outputDir,
      hl7: parts.hl7 !== null,
      interest: parts.interest !== null,
    },
    registry: parts.registry,
    broker: parts.broker,
    ...(parts.interest ? { interest: parts.interest } : {}),
    findings: (finding) => parts.monitor.recordFinding(finding),
    observer: parts.metrics,
    admission: parts.admission,
    ...(parts.hl7 ? { hl7: parts.hl7 } : {}),
  })
}
