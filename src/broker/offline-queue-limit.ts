import type { Aedes, AedesPublishPacket } from 'aedes'
import type { LoadShedding } from './load-shedding.ts'

/**
 * What one persistent session may have queued and unacknowledged: 10,000 messages or 64 MiB. A
 * device of the default ward sends about one message a second, so 10,000 is close to three hours of
 * one device's data for a subscriber that is away — a night shift's dashboard left closed — and
 * 64 MiB is that many messages of the 1 MiB packet cap's 0.6 %: well past real telemetry, small
 * enough that a few dozen abandoned sessions do not fill a laptop. Mosquitto's default is 1,000.
 */
export const OFFLINE_QUEUE_LIMIT = { messages: 10_000, bytes: 64 * 1024 * 1024 }

interface Backlog {
  messages: number
  bytes: number
  /** Inside a full episode: reported once when it starts. */
  full: boolean
}

interface QueueStore {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPublishPacket): Promise<unknown>
  outgoingClearMessageId(client: { id: string }, packet: AedesPublishPacket): Promise<AedesPublishPacket | undefined>
}

const sizeOf = (packet: AedesPublishPacket) => packet.topic.length + (packet.payload?.length ?? 0)

/**
 * Bounds each persistent session's queue. Aedes stores every QoS 1/2 message for every persistent
 * subscription as it is published (aedes.js `enqueueOffline`) and frees it when the client
 * acknowledges it, with no limit: a session whose client never comes back grew 31.9 MB in 75 s
 * under the default ward (issue 16). Policy when full: the session keeps what it has — the oldest,
 * in order — and newer messages are not queued for it, each counted as `queue-full` load shedding
 * (one signal per episode) so the gap is on record, as Mosquitto does past `max_queued_messages`.
 * The session's own client sees the gap in the devices' `seq`.
 *
 * This is also what bounds a frozen persistent subscriber once it is dropped (issue 16, defect 6):
 * Aedes' drainTimeout destroys its connection (lib/client.js `_handleDrainTimeout`) and `close()`
 * removes its emitter listeners but keeps its persistent subscriptions, so from then on every QoS 1
 * message for it goes through `enqueueOffline` into this queue. Measured with the limit taken out
 * (test/reliability-frozen-memory.test.ts, a broker process of its own): +41 MB of heap and buffers
 * for 30,000 1 KB messages after the drop; with it, +0.1 MB.
 *
 * Counted from this run's start: what a session had queued before a restart is not known without
 * reading every message back, so across a restart the bound can be exceeded by what was there.
 */
export function limitOfflineQueues(broker: Aedes, shedding: LoadShedding, limit = OFFLINE_QUEUE_LIMIT): void {
  const persistence = (broker as unknown as { persistence: QueueStore }).persistence
  const backlogs = new Map<string, Backlog>()
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence)
  persistence.outgoingEnqueueCombi = (subs, packet) => {
    const size = sizeOf(packet)
    const room = subs.filter((sub) => {
      const backlog = backlogs.get(sub.clientId) ?? { messages: 0, bytes: 0, full: false }
      backlogs.set(sub.clientId, backlog)
      if (backlog.messages < limit.messages && backlog.bytes + size <= limit.bytes) {
        backlog.messages++
        backlog.bytes += size
        backlog.full = false
        return true
      }
      if (!backlog.full) {
        backlog.full = true
        shedding.recordOffline(
          'queue-full',
          sub.clientId,
          `has ${backlog.messages} messages (${backlog.bytes} bytes) queued, the limit is ${limit.messages} (${limit.bytes} bytes); newer messages are not queued for it until it catches up`,
        )
      }
      return false
    })
    return enqueue(room, packet)
  }
  const clear = persistence.outgoingClearMessageId.bind(persistence)
  const clearCounted = async (client: { id: string }, packet: AedesPublishPacket) => {
    const cleared = await clear(client, packet)
    const backlog = backlogs.get(client.id)
    if (backlog && cleared) {
      backlog.messages = Math.max(0, backlog.messages - 1)
      backlog.bytes = Math.max(0, backlog.bytes - sizeOf(cleared))
      if (backlog.messages === 0) backlogs.delete(client.id)
    }
    return cleared
  }
  // Every PUBACK of every QoS 1 delivery clears here; a client with nothing queued offline (every
  // clean session) has no backlog to count down, so it costs no extra promise (issue 21).
  persistence.outgoingClearMessageId = (client, packet) => (backlogs.has(client.id) ? clearCounted(client, packet) : clear(client, packet))
}
