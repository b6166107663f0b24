import { parseDeviceTopic } from '../../contract/topics.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import { hashString } from '../../util/hash.ts'
import { BoundedMemo, MAX_REMEMBERED_TOPICS } from '../../util/bounded-memo.ts'

/**
 * Which worker a message goes to. Every device of one patient goes to the same worker, because
 * NEWS2 combines the monitor's and the ventilator's readings of that patient; devices with no
 * patient (MRI, environment sensors) are spread by their own id. The answer per topic is
 * remembered, so the broker thread splits a topic once, not once per message.
 */
export class PatientSharding {
  private readonly registry: HospitalRegistry
  private readonly shards: number
  private readonly byTopic = new BoundedMemo<string, number>(MAX_REMEMBERED_TOPICS)

  constructor(registry: HospitalRegistry, shards: number) {
    this.registry = registry
    this.shards = shards
  }

  shardOf(topic: string, clientId: string): number {
    if (this.shards === 1) return 0
    return this.byTopic.get(topic, () => {
      const deviceId = parseDeviceTopic(topic)?.deviceId ?? clientId
      return hashString(this.registry.device(deviceId)?.patient ?? deviceId) % this.shards
    })
  }
}
