import type { DeviceMessage } from '../contract/device-message.ts'

/**
 * What flows between pipeline stages: the device message (src/contract/device-message.ts), each
 * stage filling in what it learned, and what the route stage decided to send where.
 */
export interface PipelineMessage extends DeviceMessage {
  /** Set by route: what goes to which sink. */
  outputs: Output[]
}
export interface Output {
  /** Name of the sink in the pipeline configuration. */
  sink: string
  /** For sinks that publish: the rendered topic. */
  topic?: string
  body: unknown
  /** The route that produced it, for metrics and debugging. */
  route: string
}
