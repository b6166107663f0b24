import { parseDeviceTopic, type DeviceTopic } from '../../contract/topics.ts'
import { BoundedMemo, MAX_REMEMBERED_TOPICS } from '../../util/bounded-memo.ts'
import { reject, type Stage, type StageType } from '../stage.ts'

/**
 * Stage 1: the bytes become JSON. Malformed input is a result, not an exception: oversize and
 * unparsable payloads are rejected with the reason, and the original bytes go to quarantine.
 */
export function decodeStage(options: { maxPayloadBytes: number }): Stage {
  // A device publishes on the same few topics all day: split each once, share the frozen parts.
  const topics = new BoundedMemo<string, Readonly<DeviceTopic> | null>(MAX_REMEMBERED_TOPICS)
  const parseFrozen = (topic: string) => {
    const parsed = parseDeviceTopic(topic)
    return parsed && Object.freeze(parsed)
  }
  const deviceTopic = (topic: string) => topics.get(topic, parseFrozen)
  return {
    name: 'decode',
    process(message) {
      const device = deviceTopic(message.topic)
      if (!device) return reject('unknown-kind', `"${message.topic}" is not a device topic (hospital/{ward}/{kind}/{deviceId}/{channel})`)
      if (message.payload.length > options.maxPayloadBytes) {
        return reject('oversize', `payload of ${message.payload.length} bytes is over the ${options.maxPayloadBytes}-byte limit`)
      }
      let body: unknown
      try {
        body = JSON.parse(message.payload.toString('utf8'))
      } catch (err) {
        return reject('not-json', `payload is not JSON: ${(err as Error).message}`)
      }
      message.device = device
      message.body = body
      return [message]
    },
  }
}

export const decode: StageType = { name: 'decode', create: (context) => decodeStage({ maxPayloadBytes: context.maxPayloadBytes }) }
