import { mkdirSync } from 'node:fs'
import aedesPersistenceLevel, { type LevelPersistence } from 'aedes-persistence-level'
import { ClassicLevel } from 'classic-level'
import { WardlabError } from '../util/errors.ts'

export interface DurablePersistence {
  /** For Aedes' `persistence` option. */
  persistence: LevelPersistence
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
  const persistence = aedesPersistenceLevel(db)
  return { persistence, close: () => persistence.destroy() }
}
