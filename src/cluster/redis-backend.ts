import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { Redis } from 'ioredis'
import createMq from 'mqemitter-redis'
import { OFFLINE_QUEUE_LIMIT } from '../broker/offline-queue-limit.ts'
import { timeOrderedBrokerId } from '../broker/persistence.ts'
import { WardlabError } from '../util/errors.ts'
import { RedisBans } from './redis-bans.ts'
import { RedisClusterState } from './redis-state.ts'

/** aedes-persistence-redis 12 ships no types; Aedes types its `persistence` option as `any` too. */
const createPersistence = createRequire(import.meta.url)('aedes-persistence-redis') as (options: { conn: Redis; maxSessionDelivery: number }) => unknown

/** What a broker node needs to join the others on one Redis. */
export interface ClusterBackend {
  /** This node's Aedes id: its `$SYS/{id}/...` topics and its share of the cluster's state. */
  readonly nodeId: string
  /** Passed to Aedes: messages through Redis pub/sub, sessions and retained messages in Redis. */
  readonly aedes: { mq: unknown; persistence: unknown; id: string }
  readonly state: RedisClusterState
  /** Bans every node enforces, decided on any of them. */
  readonly bans: RedisBans
  /** Redis settings that put messages at risk, in words an operator can act on (logged at start). */
  readonly warnings: string[]
  /** After the broker has closed (which closes `mq`): the persistence's, the bans' and the state's connections. */
  close(): Promise<void>
}

/**
 * Connects a broker node to the cluster's Redis the way Aedes scales out: `mqemitter-redis` carries
 * every message between nodes, `aedes-persistence-redis` keeps subscriptions, QoS 1/2 queues of
 * offline persistent sessions and retained messages where any node finds them. Fails fast when
 * Redis does not answer, rather than running a node that silently belongs to no cluster.
 */
export async function connectCluster(url: string, nodeId: string = `wardlab-${randomUUID().slice(0, 8)}`): Promise<ClusterBackend> {
  if (!/^rediss?:\/\//.test(url)) throw new WardlabError('WL_USAGE', `--cluster wants a redis:// URL, got ${url}`)
  const state = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 })
  let bans: RedisBans
  try {
    await state.connect()
    await state.ping()
    bans = await RedisBans.join(state, nodeId)
  } catch (err) {
    state.disconnect()
    throw new WardlabError('WL_CLUSTER_UNREACHABLE', `cannot reach Redis at ${url}: ${(err as Error).message}`)
  }
  // Uncapped like the single-node emitter (src/broker/create-broker.ts): Aedes' own `concurrency`
  // option only reaches the emitter it creates, and this one queues the same way past its cap.
  const mq = createMq({ connectionString: url, concurrency: 0 })
  const persistenceConnection = new Redis(url)
  // aedes-persistence-redis replays at most `maxSessionDelivery` (default 1,000) of a resumed
  // session's queue and leaves the rest until the client reconnects; the queue's own bound is the
  // right number (offline-queue-limit.ts).
  const persistence = createPersistence({ conn: persistenceConnection, maxSessionDelivery: OFFLINE_QUEUE_LIMIT.messages })
  return {
    nodeId,
    warnings: await pubsubLimitWarnings(state, url),
    // Aedes' id names this run of the node, not the node: aedes-persistence-redis keys each stored
    // message by broker id and counter (`packetKey`), and the counter starts again at 0 with every
    // start, so a node restarted under the same id overwrote messages its last run had stored and
    // not yet delivered (600 of them over ten kill -9s, test/reliability-crash.test.ts). A fresh id
    // per run also makes the last run's wills those of a dead broker, which the others publish.
    aedes: { mq, persistence, id: `${nodeId}~${timeOrderedBrokerId()}` },
    state: new RedisClusterState(state, nodeId),
    bans,
    async close() {
      // Publishes under way when the broker closed finish after its 'closed' event (aedes.js
      // enqueueOffline → outgoingEnqueueCombi, an RPUSH per offline session): let the connection
      // go quiet first, or they fail on a closed connection — seen as `write EPIPE` and, in the
      // bench, as a node dying of an unhandled "Connection is closed" on its way down.
      await untilQuiet(persistenceConnection)
      // Errors from here on are the closing itself, not an outage to report.
      for (const connection of [persistenceConnection, state]) connection.on('error', () => undefined)
      // Not persistence.destroy(): it unsubscribes through the broker's mq, which broker.close has
      // already closed, and would wait forever. Its own connection is all there is left to close.
      await Promise.all([persistenceConnection.quit().catch(() => undefined), bans.close(), state.quit().catch(() => undefined)])
    },
  }
}

/** ioredis keeps the commands awaiting a reply in `commandQueue`; it has no public count. */
type WithQueue = { commandQueue: { length: number } }

/** Resolves once no command has been awaiting a reply for three polls in a row, or after `maxMs`. */
async function untilQuiet(connection: Redis, maxMs = 2000): Promise<void> {
  const deadline = performance.now() + maxMs
  let quietPolls = 0
  while (quietPolls < 3 && performance.now() < deadline) {
    quietPolls = (connection as unknown as WithQueue).commandQueue.length === 0 ? quietPolls + 1 : 0
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Redis closes a pub/sub subscriber once its `client-output-buffer-limit pubsub` is reached, and
 * what was buffered for it is gone — messages other nodes had already acknowledged with a PUBACK
 * (BENCHMARKS.md (g): 47 % delivered flat out at the default 32 MB). Said at start, where the
 * operator can still raise it. Managed Redis services may refuse CONFIG: then nothing is said.
 */
async function pubsubLimitWarnings(state: Redis, url: string): Promise<string[]> {
  let setting: string
  try {
    const reply = (await state.config('GET', 'client-output-buffer-limit')) as string[]
    setting = reply[1] ?? ''
  } catch {
    return []
  }
  const pubsub = /pubsub (\d+) (\d+) (\d+)/.exec(setting)
  if (!pubsub || (pubsub[1] === '0' && pubsub[2] === '0')) return []
  const mb = (bytes: string) => `${Math.round(Number(bytes) / 1048576)} MB`
  return [
    `Redis at ${url} drops a node's message stream once ${mb(pubsub[1]!)} wait for it (client-output-buffer-limit pubsub ${pubsub[1]} ${pubsub[2]} ${pubsub[3]}): ` +
      `a node that falls behind then loses messages other nodes have acknowledged. Raise it (CONFIG SET client-output-buffer-limit "pubsub 0 0 0", with memory to match) on a cluster that must not lose any.`,
  ]
}
