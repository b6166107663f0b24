import type { z } from 'zod'
import type { PcdMessage } from '../../clinical/hl7/pcd-message.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { BrokerPublisher } from './bounded-publisher.ts'
import type { ChartRequests } from './chart-requests.ts'

/**
 * Where routed outputs go. Writes are synchronous hand-offs (the pipeline is on the broker's hot
 * path); `flush` waits until everything handed over is durable or delivered, which is what a clean
 * shutdown awaits so that nothing accepted is lost.
 */
export interface Sink {
  readonly name: string
  write(topic: string | undefined, body: unknown): void
  /**
   * Whether an output written now would go anywhere: the route stage asks before it builds one.
   * Absent means always (files keep everything); an HL7 sink without receivers takes nothing.
   */
  takes?(topic: string | undefined): boolean
  flush(): Promise<void>
  close(): Promise<void>
  /** Outputs written since start. */
  readonly written: number
}

/** What a sink may be built from. */
export interface SinkContext {
  /** Where broker sinks publish: the embedded broker, or a client of an external one. */
  broker: BrokerPublisher
  /** A sink file's path: relative names land in the run's output folder. */
  file(name: string): string
  /** Patients, beds and wards, for sinks that name them (HL7 PID and PV1). */
  registry: HospitalRegistry
  /** Where HL7 sinks hand their messages: the lab's links (`--hl7`), or null when there are none. */
  hl7: ((message: PcdMessage) => void) | null
  /** "Chart now" requests for HL7 PCD-01 sinks (inline pipeline only); null when none can come. */
  chartRequests?: ChartRequests | null
}

/**
 * A sink as a pipeline file declares it (`sinks: { name: { type, ...options } }`): each sink
 * module exports one, with the zod shape of its options, and src/pipeline/sinks/index.ts lists
 * them. Adding a sink is its file and one line there; the pipeline file's schema follows.
 */
export interface SinkType<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly type: string
  readonly options: Shape
  create(name: string, options: z.infer<z.ZodObject<Shape>>, context: SinkContext): Sink
  /** Why every route to it must render a topic (it publishes, or records topics), or null when none is needed. */
  needsTopic(options: z.infer<z.ZodObject<Shape>>): string | null
}
