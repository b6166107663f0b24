import { compileFilter } from './topics.ts'

/** A shared subscription (`$share/{group}/{filter}`, MQTT 5 §4.8.2) receives what its filter matches. */
const SHARED = /^\$share\/[^/]+\//

/**
 * Whether any of a set of topic filters matches a topic: a multiset of filters (several sessions
 * may hold the same one), answered per topic from a memo that any change clears. Filters are
 * grouped by their first level, so a ward's thousands of device `cmd` subscriptions are not
 * walked to answer for `fhir/Observation`.
 */
export class TopicInterest {
  private readonly counts = new Map<string, number>()
  private readonly byFirstLevel = new Map<string, Map<string, (levels: readonly string[]) => boolean>>()
  private readonly answers = new Map<string, boolean>()

  add(filter: string): void {
    const count = this.counts.get(filter) ?? 0
    this.counts.set(filter, count + 1)
    if (count > 0) return
    const plain = filter.replace(SHARED, '')
    const first = firstLevel(plain)
    let group = this.byFirstLevel.get(first)
    if (!group) this.byFirstLevel.set(first, (group = new Map()))
    group.set(filter, compileFilter(plain))
    this.answers.clear()
  }

  remove(filter: string): void {
    const count = this.counts.get(filter)
    if (count === undefined) return
    if (count > 1) {
      this.counts.set(filter, count - 1)
      return
    }
    this.counts.delete(filter)
    const first = firstLevel(filter.replace(SHARED, ''))
    const group = this.byFirstLevel.get(first)
    group?.delete(filter)
    if (group?.size === 0) this.byFirstLevel.delete(first)
    this.answers.clear()
  }

  /** Each filter once, however many sessions hold it. */
  filters(): string[] {
    return [...this.counts.keys()]
  }

  /** Replaces the whole set (a pipeline worker's copy of the broker thread's). */
  replace(filters: readonly string[]): void {
    this.counts.clear()
    this.byFirstLevel.clear()
    this.answers.clear()
    for (const filter of filters) this.add(filter)
  }

  matches(topic: string): boolean {
    const known = this.answers.get(topic)
    if (known !== undefined) return known
    const levels = topic.split('/')
    const answer = [levels[0]!, '+', '#'].some((first) => [...(this.byFirstLevel.get(first)?.values() ?? [])].some((matches) => matches(levels)))
    // Output topics are few; a bounded memo all the same, since its keys could come from clients.
    if (this.answers.size >= 10_000) this.answers.clear()
    this.answers.set(topic, answer)
    return answer
  }
}

function firstLevel(filter: string): string {
  const slash = filter.indexOf('/')
  return slash < 0 ? filter : filter.slice(0, slash)
}
