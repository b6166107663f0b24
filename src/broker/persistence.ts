import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import aedesPersistenceLevel, { type LevelPersistence } from 'aedes-persistence-level'
import { ClassicLevel } from 'classic-level'
import { WardlabError } from '../util/errors.ts'

export interface DurablePersistence {
  /** For Aedes' `persistence` option. */
  persistence: LevelPersistence
  /** For Aedes' `id` option: see timeOrderedBrokerId. */
  brokerId: string
  /** Closes the database (after the broker has closed), releasing its lock for the next broker. */
  close(): Promise<void>
}

/**
 * Aedes persistence on an on-disk LevelDB (classic-level), so sessions with CleanSession = 0, their
 * subscriptions, the QoS 1 and 2 messages queued for them while they are away, retained messages
 * and wills survive a restart of the broker (MQTT 3.1.1 §3.1.2.4: the server keeps a session's
 * state until it is resumed). The in-memory default loses all of that. aedes-persistence-level 9.2
 * on classic-level 3 is the pair checked with Aedes 1.2 (shared/reference/mqtt-stack.md).
 */
export async function openDurablePersistence(dir: string): Promise<DurablePersistence> {
  mkdirSync(dir, { recursive: true })
  const db = new ClassicLevel(dir)
  try {
    await db.open()
  } catch (err) {
    // LevelDB locks its folder: one broker per persistence folder.
    const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
    throw new WardlabError('WL_PERSISTENCE', locked ? `the persistence folder ${dir} (--persistence) is in use by another broker` : `cannot open the persistence folder ${dir} (--persistence): ${(err as Error).message}`, { cause: err })
  }
  const persistence = settlingBeforeClose(aedesPersistenceLevel(db))
  return { persistence, brokerId: timeOrderedBrokerId(), close: () => persistence.destroy() }
}

/**
 * Lets every persistence operation Aedes has started finish before the database closes. Aedes 2
 * reports `close` as soon as it has closed its clients, while the writes their closing started —
 * deleting or publishing a will, wiping an ended session (aedes.js `publishWill`, `_wipeSession`,
 * lib/client.js `close`) — are still under way; on a closed database they fail, and a will whose
 * deletion failed is published again after the next start. `destroy()` here waits for them.
 */
function settlingBeforeClose(persistence: LevelPersistence): LevelPersistence {
  const pending = new Set<Promise<unknown>>()
  const destroy = persistence.destroy.bind(persistence)
  return new Proxy(persistence, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown
      if (key === 'destroy') {
        return async () => {
          while (pending.size > 0) await Promise.allSettled([...pending])
          await destroy()
        }
      }
      if (typeof value !== 'function') return value
      // Aedes 2 checks that `setup` is an async function (aedes.js listen); a bound one still is.
      if (key === 'setup') return value.bind(target)
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (!(result instanceof Promise)) return result
        pending.add(result)
        const forget = () => pending.delete(result)
        result.then(forget, forget)
        return result
      }
    },
  })
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
