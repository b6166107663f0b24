import type { IClientPublishOptions, IPublishPacket } from 'mqtt'
import { commandAckSchema } from '../contract/channels.ts'

/**
 * MQTT 5 request/response (§4.10): a requester that wants the answer itself, rather than watching
 * the device's `event` channel, puts a Response Topic (and optionally Correlation Data) on the
 * command's PUBLISH. A 3.1.1 PUBLISH has no properties, so a 3.1.1 command never asks for a reply.
 */
export interface ReplyRequest {
  topic: string
  /** Opaque to the device: handed back byte for byte, so the requester can match answer to question. */
  correlationData?: Buffer
}

export function replyRequestOf(packet: Pick<IPublishPacket, 'properties'>): ReplyRequest | null {
  const topic = packet.properties?.responseTopic
  if (!topic) return null
  const correlationData = packet.properties?.correlationData
  return correlationData === undefined ? { topic } : { topic, correlationData }
}

/** QoS 1 like the `event` channel the same answer goes to: a requester waiting on it must not lose it. */
export function replyPublishOptions(request: ReplyRequest): IClientPublishOptions {
  return {
    qos: 1,
    properties: { contentType: 'application/json', ...(request.correlationData === undefined ? {} : { correlationData: request.correlationData }) },
  }
}

/** Only the command's acknowledgement answers the request; other events a command causes (exam started, …) stay on `event`. */
export function isCommandAck(data: unknown): boolean {
  return commandAckSchema.safeParse(data).success
}
