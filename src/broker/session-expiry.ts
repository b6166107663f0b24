import type { Aedes, AedesPublishPacket, Client } from 'aedes'

/**
 * The longest a persistent session outlives its connection unless `--max-session-expiry` says
 * otherwise: a day. Long enough for any outage a scenario or a night's soak simulates; short enough
 * that sessions of decommissioned devices and one-off tools (a `mosquitto_sub -c` left behind) do
 * not pin their queues for ever. EMQX caps 3.1.1 persistent sessions the same way (2 h by default).
 */
export const DEFAULT_MAX_SESSION_EXPIRY_S = 86_400

/** MQTT 5 "never expires" (§3.1.2.11.2). */
const NEVER = 0xffffffff

/** When a session's clock runs: its interval, and since when its client has been away (null: connected). */
export interface SessionClock {
  intervalS: number
  disconnectedAt: number | null
}

/** Where session clocks are kept, so a restart does not make the sessions it inherits immortal. */
export interface SessionClockStore {
  all(): Promise<Map<string, SessionClock>>
  put(clientId: string, clock: SessionClock): Promise<void>
  del(clientId: string): Promise<void>
}

export function memorySessionClocks(): SessionClockStore {
  const clocks = new Map<string, SessionClock>()
  return {
    all: async () => new Map(clocks),
    put: async (clientId, clock) => void clocks.set(clientId, clock),
    del: async (clientId) => void clocks.delete(clientId),
  }
}

/** The parts of Aedes 2's session-expiry machinery (aedes.js) this module drives. */
interface ExpiringBroker {
  closed: boolean
  id: string
  expiringSessions: Map<string, unknown>
  _takingOver: Set<string>
  _armIdTimer(map: Map<string, unknown>, id: string, delayMs: number, onFire: () => void): void
  scheduleSessionExpiry(client: Client): void
  clearSessionExpiry(clientId: string): void
  persistence: Persistence
  mq: { on(topic: string, listener: (packet: AedesPublishPacket, done: () => void) => void): void }
}

interface Persistence {
  cleanSubscriptions(client: { id: string }): Promise<unknown>
  delWill(client: { id: string; brokerId: string }): Promise<unknown>
  outgoingStream(client: { id: string }): AsyncIterable<AedesPublishPacket>
  outgoingUpdate(client: { id: string }, packet: AedesPublishPacket): Promise<unknown>
  outgoingClearMessageId(client: { id: string }, packet: AedesPublishPacket): Promise<unknown>
}

/**
 * Session expiry for every client, MQTT 5 and 3.1.1 alike, that holds across a restart and across
 * cluster nodes. Aedes 2 (2.0.0-beta.1, aedes.js `scheduleSessionExpiry`) expires v5 sessions on an
 * in-memory timer and keeps 3.1.1 persistent sessions for ever; this module closes four gaps:
 *
 * 1. A server maximum for everyone: Aedes clamps a v5 client's interval to
 *    `sessionExpiryIntervalLimit` (and says so in the CONNACK, §3.2.2.3.2); a 3.1.1 session with
 *    CleanSession 0 has no interval of its own, and gets the maximum.
 * 2. Restarts: the timers die with the process, so after a restart (or `kill -9`) a session would
 *    never expire. Each persistent session's clock is kept in `store` — the LevelDB with
 *    `--persistence` — and re-armed at start; a client connected when the broker died is counted
 *    away from the restart on.
 * 3. Wiping: `_wipeSession` clears queued messages by packet identifier, and messages queued while
 *    the client was away have none yet (aedes-persistence-level `outgoingClearMessageId`), so they
 *    would wait in the store for the next client with that id. Each is given one and cleared.
 * 4. Clusters: a client that resumes its session on another node leaves the old node's timer
 *    running, which would wipe the session under it; every node clears its timer when any node
 *    registers the client (`$SYS/{node}/new/clients`, which Aedes publishes on every connect).
 */
export async function expireSessions(aedes: Aedes, options: { maxSeconds: number; store: SessionClockStore; now?: () => number }): Promise<void> {
  const broker = aedes as unknown as ExpiringBroker
  const { maxSeconds, store } = options
  const now = options.now ?? Date.now
  const intervalOf = (client: Client): number => {
    if (client.version === 5) return client.sessionExpiryInterval
    if (client.clean) return 0
    return maxSeconds > 0 ? maxSeconds : NEVER
  }
  const clocked = new Set<string>()
  const putClock = (clientId: string, clock: SessionClock) => {
    clocked.add(clientId)
    void store.put(clientId, clock)
  }
  const dropClock = (clientId: string) => {
    if (clocked.delete(clientId)) void store.del(clientId)
  }
  const wipe = async (clientId: string) => {
    dropClock(clientId)
    await wipeSession(broker, clientId)
  }
  const arm = (clientId: string, delayMs: number, onExpired: () => void) => {
    broker._armIdTimer(broker.expiringSessions, clientId, delayMs, () => {
      wipe(clientId).then(onExpired, (error: Error) => aedes.emit('error', error))
    })
  }

  broker.scheduleSessionExpiry = (client) => {
    const intervalS = intervalOf(client)
    // Closing: the session outlives this process; the clock says since when it has been away.
    if (broker.closed) {
      if (intervalS > 0 && intervalS < NEVER) putClock(client.id, { intervalS, disconnectedAt: now() })
      return
    }
    if (broker._takingOver.has(client.id)) return
    broker.clearSessionExpiry(client.id)
    if (intervalS === 0) {
      // A 3.1.1 clean session stores nothing; an MQTT 5 one may have resumed a session, which ends now.
      if (client.version === 5) void wipe(client.id).catch((error: Error) => aedes.emit('error', error))
      return
    }
    if (intervalS >= NEVER) return
    putClock(client.id, { intervalS, disconnectedAt: now() })
    arm(client.id, intervalS * 1000, () => aedes.emit('sessionExpired', client))
  }

  // A connected client's clock stands still; if the broker dies, it starts at the next start.
  aedes.on('clientReady', (client) => {
    const intervalS = intervalOf(client)
    if (intervalS > 0 && intervalS < NEVER) putClock(client.id, { intervalS, disconnectedAt: null })
    else dropClock(client.id)
  })

  broker.mq.on('$SYS/+/new/clients', (packet, done) => {
    const node = packet.topic.split('/')[1]
    if (node !== broker.id) broker.clearSessionExpiry(packet.payload.toString())
    done()
  })

  const startedAt = now()
  for (const [clientId, clock] of await store.all()) {
    clocked.add(clientId)
    const awayMs = startedAt - (clock.disconnectedAt ?? startedAt)
    const leftMs = clock.intervalS * 1000 - awayMs
    if (leftMs <= 0) await wipe(clientId)
    else arm(clientId, leftMs, () => aedes.emit('sessionExpired', { id: clientId }))
  }
}

/** Everything a session holds: subscriptions, will, and every queued message (see point 3 above). */
async function wipeSession(broker: ExpiringBroker, clientId: string): Promise<void> {
  const session = { id: clientId }
  const persistence = broker.persistence
  await persistence.cleanSubscriptions(session)
  await persistence.delWill({ id: clientId, brokerId: broker.id })
  const queued: AedesPublishPacket[] = []
  for await (const packet of persistence.outgoingStream(session)) queued.push(packet)
  // Stored without one, a packet comes back with `undefined` (memory) or `null` (msgpack, LevelDB).
  const sent = (packet: AedesPublishPacket) => typeof packet.messageId === 'number'
  const unsent = queued.filter((packet) => !sent(packet))
  for (const packet of queued) if (sent(packet)) await persistence.outgoingClearMessageId(session, packet)
  // Identifiers are free now that every sent message is cleared.
  let messageId = 0
  for (const packet of unsent) {
    packet.messageId = ++messageId
    await persistence.outgoingUpdate(session, packet)
    await persistence.outgoingClearMessageId(session, packet)
  }
}
