/** aedes-persistence-level 9.2 ships no types: the factory takes an abstract-level database. */
declare module 'aedes-persistence-level' {
  import type { AbstractLevel } from 'abstract-level'

  /** An Aedes persistence (aedes-persistence's CallBackPersistence); `destroy()` closes the database. */
  export interface LevelPersistence {
    destroy(): Promise<void>
  }

  export default function aedesPersistenceLevel(db: AbstractLevel<any, any, any>): LevelPersistence
}
