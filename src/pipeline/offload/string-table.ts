/**
 * Strings that cross between threads again and again (topics, client ids, addresses) go over once:
 * the sender numbers each new one and ships only the new ones with a batch, the receiver keeps the
 * same list. A structured clone of three strings per message cost the broker's thread more than
 * the rest of the hand-over (BENCHMARKS.md (a)). Once full, the table starts over after the batch
 * in hand (ids already given out in it must stay valid), so a client inventing topics cannot grow
 * either side without bound.
 */
export class StringTable<K = string> {
  private readonly ids = new Map<K, number>()
  private added: string[] = []
  private restarted = false
  private readonly capacity: number

  constructor(capacity = 100_000) {
    this.capacity = capacity
  }

  /**
   * The number of `key`; `text` is what the receiver is sent for it the first time. Keys may be
   * objects (a connection's source), looked up by identity: cheaper than building and hashing a
   * string per message.
   */
  idOf(key: K, text: (key: K) => string = String): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.ids.size
      this.ids.set(key, id)
      this.added.push(text(key))
    }
    return id
  }

  /** What the receiver needs to learn before it reads the ids handed out since the last call. */
  takeChanges(): TableChanges {
    const changes: TableChanges = { restart: this.restarted, added: this.added }
    this.added = []
    this.restarted = this.ids.size >= this.capacity
    if (this.restarted) this.ids.clear()
    return changes
  }
}

export interface TableChanges {
  /** The sender started numbering from 0 again: forget everything before `added`. */
  restart: boolean
  added: string[]
}

/** The receiving side of a StringTable; `decode` turns each string into what the receiver uses, once. */
export class StringTableMirror<T = string> {
  private entries: T[] = []
  private readonly decode: (text: string) => T

  constructor(decode: (text: string) => T) {
    this.decode = decode
  }

  apply(changes: TableChanges): void {
    if (changes.restart) this.entries = []
    for (const text of changes.added) this.entries.push(this.decode(text))
  }

  get(id: number): T {
    return this.entries[id]!
  }
}
