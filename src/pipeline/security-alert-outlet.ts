import { join } from 'node:path'
import { securityAlertTopic } from '../contract/topics.ts'
import type { SecurityAlert } from '../contract/security-alert.ts'
import type { BrokerPublisher } from './sinks/bounded-publisher.ts'
import { brokerSink } from './sinks/broker.ts'
import { jsonlSink } from './sinks/jsonl.ts'
import type { Sink } from './sinks/sink.ts'

/** The run folder's file of every alert: the routes write clinical ones there, the outlet security ones. */
export const ALERTS_FILE = 'alerts.jsonl'

/**
 * Security alerts leave as every other output does: through sinks — published as the broker
 * itself through a bounded publisher on `security/alerts/{type}`, and appended to the run's
 * alerts.jsonl beside the clinical alerts. Built in, as quarantine is, so a pipeline file cannot
 * route the testbed's own alerts away. The file is opened for appending (O_APPEND), so its lines
 * and those of a route sink writing the same file land whole, each write at the end.
 */
export class SecurityAlertOutlet {
  readonly sinks: readonly Sink[]

  constructor(broker: BrokerPublisher, outputDir: string) {
    this.sinks = [brokerSink('security-alerts-broker', broker), jsonlSink('security-alerts-file', join(outputDir, ALERTS_FILE), { withTopic: true })]
  }

  write(alert: SecurityAlert): void {
    const topic = securityAlertTopic(alert.type)
    for (const sink of this.sinks) sink.write(topic, alert)
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.flush()))
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.close()))
  }
}
