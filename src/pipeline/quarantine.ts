import { parseDeviceTopic } from '../contract/topics.ts'
import type { PipelineMessage } from './message.ts'
import type { Sink } from './sinks/sink.ts'
import type { Rejection } from './stage.ts'

export interface QuarantineRecord {
  reason: Rejection['reason']
  detail: string
  issues?: Rejection['issues']
  stage: string
  topic: string
  clientId: string
  address: string
  receivedAt: number
  /** The bytes exactly as received, so nothing is lost and the sender's bug can be reproduced. */
  payloadBase64: string
  payloadBytes: number
}

/**
 * Invalid messages are never dropped: each is published on `quarantine/{ward}/{deviceId}` and
 * written to the quarantine file with its reason and original bytes.
 */
export class Quarantine {
  private readonly sinks: Sink[]

  constructor(sinks: Sink[]) {
    this.sinks = sinks
  }

  hold(message: PipelineMessage, stage: string, rejection: Rejection): QuarantineRecord {
    const record: QuarantineRecord = {
      reason: rejection.reason,
      detail: rejection.detail,
      ...(rejection.issues ? { issues: rejection.issues } : {}),
      stage,
      topic: message.topic,
      clientId: message.source.clientId,
      address: message.source.address,
      receivedAt: message.receivedAt,
      payloadBase64: message.payload.toString('base64'),
      payloadBytes: message.payload.length,
    }
    const device = message.device ?? parseDeviceTopic(message.topic)
    const topic = device ? `quarantine/${device.ward}/${device.deviceId}` : `quarantine/unknown/${message.source.clientId.replace(/[/+#]/g, '_') || 'unknown'}`
    for (const sink of this.sinks) sink.write(topic, record)
    return record
  }
}
