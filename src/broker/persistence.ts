import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import aedesPersistenceLevel, { type LevelPersistence } from 'aedes-persistence-level'
import { ClassicLevel } from 'classic-level'
import type { VerifiedLoginStore } from '../registry/verified-logins.ts'
import { WardlabError } from '../util/errors.ts'
import type { KeyValueStore } from '../util/key-value-store.ts'
import { cachedOwners, type ClientIdOwners } from './client-id-owners.ts'
import type { SessionClock, SessionClockStore } from './session-expiry.ts'

export interface DurablePersistence {
  /** For Aedes' `persistence` option. */
  persistence: LevelPersistence
  /** For Aedes' `id` option: see timeOrderedBrokerId. */
  brokerId: string
  /** Session expiry clocks, in the same database (src/broker/session-expiry.ts). */
  sessionClocks: SessionClockStore
  /** Fingerprints of verified logins, so a restart's reconnect storm needs no hashes (src/registry/verified-logins.ts). */
  verifiedLogins: VerifiedLoginStore
  /** Who owns each client id (src/broker/client-id-owners.ts), in the same database. */
  clientIdOwners: ClientIdOwners
  /** A named store in the same database for another component's durable state (the HL7 links' backlogs, src/hl7/link-journal.ts). */
  store(name: string): KeyValueStore
  /** Closes the database (after the broker has closed), releasing its lock for the next broker. */
  close(): Promise<void>
}

/**
 * Aedes persistence on an on-disk LevelDB (classic-level), so persistent sessions, their
 * subscriptions, the QoS 1 and 2 messages queued for them while they are away, retained messages,
 * wills and the sessions' expiry clocks survive a restart of the broker (MQTT 3.1.1 §3.1.2.4,
 * MQTT 5 §3.1.2.11.2: the server keeps a session's state until it is resumed or expires). The
 * in-memory default loses all of that. aedes-persistence-level 9.2 on classic-level 3, with
 * aedes-packet 4 (package.json overrides) so queued v5 messages keep their properties.
 */
export async function openDurablePersistence(dir: string): Promise<DurablePersistence> {
  mkdirSync(dir, { recursive: true })
  const db = new ClassicLevel(dir)
  try {
    await db.open()
  } catch (err) {
    // LevelDB locks its folder: one broker per persistence folder.
    const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
    throw new WardlabError(
      'WL_PERSISTENCE',
      locked
        ? `the persistence folder ${dir} (--persistence) is in use by another broker`
        : `cannot open the persistence folder ${dir} (--persistence): ${(err as Error).message}`,
      { cause: err },
    )
  }
  const inFlight = new InFlight()
  const persistence = inFlight.wrap(aedesPersistenceLevel(db))
  const sessionClocks = levelSessionClocks(db, inFlight)
  const owners = db.sublevel<string, string>('wardlab-client-id-owners', { valueEncoding: 'utf8' })
  const clientIdOwners = cachedOwners(new Map(await owners.iterator().all()), (clientId, name) => inFlight.write(() => owners.put(clientId, name)))
  return {
    persistence,
    brokerId: timeOrderedBrokerId(),
    sessionClocks,
    verifiedLogins: levelVerifiedLogins(db, inFlight),
    clientIdOwners,
    store: (name) => levelStore(db, name, inFlight),
    close: async () => {
      await inFlight.settled()
      inFlight.closed = true
      await persistence.destroy()
    },
  }
}

/**
 * Database operations under way, so the database closes only once they are done. Aedes 2 reports
 * `close` as soon as it has closed its clients, while the writes their closing started — deleting
 * or publishing a will, wiping an ended session, stopping a session's clock (aedes.js
 * `publishWill`, `_wipeSession`, lib/client.js `close`, session-expiry.ts) — are still under way; on
 * a closed database they fail, and a will whose deletion failed is published again after the next
 * start.
 */
class InFlight {
  private readonly pending = new Set<Promise<unknown>>()
  /** Set once the database is closing: wardlab's own writes after that are moot, and skipped. */
  closed = false

  /**
   * One of wardlab's own writes (session clocks, client-id owners, remembered logins). A login or a
   * disconnect can still come in while the lab shuts down, after the database has closed: its write
   * is skipped rather than failing as an unhandled rejection that ends the process with exit 1.
   */
  write(operation: () => Promise<void>): Promise<void> {
    return this.closed ? Promise.resolve() : this.track(operation())
  }

  track<T>(operation: Promise<T>): Promise<T> {
    this.pending.add(operation)
    const forget = () => this.pending.delete(operation)
    operation.then(forget, forget)
    return operation
  }

  /**
   * Resolves once nothing has been under way for a few turns of the event loop: a will Aedes
   * publishes as the broker closes goes authorize, store, emit, then delete the will, and between
   * two of those steps nothing is pending for a moment (aedes.js `publishWill`; seen as a delWill on
   * a closed database when the shutdown CLI test ran beside others).
   */
  async settled(): Promise<void> {
    for (let quietTurns = 0; quietTurns < 3; ) {
      if (this.pending.size > 0) {
        quietTurns = 0
        await Promise.allSettled([...this.pending])
      } else {
        quietTurns++
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }

  /** The persistence with every method that returns a promise tracked. */
  wrap(persistence: LevelPersistence): LevelPersistence {
    return new Proxy(persistence, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown
        if (typeof value !== 'function') return value
        // Aedes 2 checks that `setup` is an async function (aedes.js listen); a bound one still is.
        if (key === 'setup') return value.bind(target)
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args)
          return result instanceof Promise ? this.track(result) : result
        }
      },
    })
  }
}

/** Session clocks under their own sublevel, apart from aedes-persistence-level's keys. */
function levelSessionClocks(db: ClassicLevel, inFlight: InFlight): SessionClockStore {
  const clocks = db.sublevel<string, SessionClock>('wardlab-session-clocks', { valueEncoding: 'json' })
  return {
    all: async () => new Map(await inFlight.track(clocks.iterator().all())),
    put: (clientId, clock) => inFlight.write(() => clocks.put(clientId, clock)),
    del: (clientId) => inFlight.write(() => clocks.del(clientId)),
  }
}

/** Verified-login fingerprints under their own sublevel; written as logins succeed, read once at start. */
function levelVerifiedLogins(db: ClassicLevel, inFlight: InFlight): VerifiedLoginStore {
  const logins = db.sublevel<string, string>('wardlab-verified-logins', { valueEncoding: 'utf8' })
  return {
    all: async () => new Map(await inFlight.track(logins.iterator().all())),
    put: (name, fingerprint) => inFlight.write(() => logins.put(name, fingerprint)),
  }
}

/** A sublevel as a KeyValueStore; writes after the database has begun closing are skipped like wardlab's others. */
function levelStore(db: ClassicLevel, name: string, inFlight: InFlight): KeyValueStore {
  const level = db.sublevel<string, string>(name, { valueEncoding: 'utf8' })
  return {
    // '\uffff' sorts after every character a key of ours uses: the range is "starts with prefix".
    list: (prefix) => inFlight.track(level.iterator({ gte: prefix, lt: `${prefix}\uffff` }).all()),
    batch: (ops) => inFlight.write(() => level.batch(ops.map((op) => ({ ...op })))),
  }
}

/**
 * A broker id that sorts after every earlier one. aedes-persistence-level keys a session's queued
 * messages `outgoing:{client}:{brokerId}:{counter}` and replays them in key order; with Aedes' random
 * UUID ids, messages queued after a restart could be delivered before the ones queued before it,
 * breaking the order MQTT 3.1.1 §4.6 requires. Start time first (fixed-width base 36), then a
 * random part so two brokers started in the same millisecond still differ.
 */
export function timeOrderedBrokerId(now = Date.now()): string {
  return `${now.toString(36).padStart(10, '0')}-${randomUUID().slice(0, 8)}`
}
