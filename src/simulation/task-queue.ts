/**
 * Tasks ordered by simulated time, ties broken by scheduling order so that equal times run in the
 * order they were asked for — which keeps runs deterministic. A binary min-heap: a fleet of
 * thousands of devices costs O(log n) per tick.
 */
export interface ScheduledTask {
  at: number
  order: number
  task: () => void
  cancelled: boolean
}

export class TaskQueue {
  private readonly heap: ScheduledTask[] = []
  private order = 0

  get size(): number {
    return this.heap.length
  }

  push(at: number, task: () => void): ScheduledTask {
    const entry: ScheduledTask = { at, order: this.order++, task, cancelled: false }
    const heap = this.heap
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
    return entry
  }

  /** The earliest task that has not been cancelled, without removing it. */
  peek(): ScheduledTask | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop()
    return this.heap[0]
  }

  pop(): ScheduledTask | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        if (l < heap.length && before(heap[l]!, heap[smallest]!)) smallest = l
        if (r < heap.length && before(heap[r]!, heap[smallest]!)) smallest = r
        if (smallest === i) break
        ;[heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!]
        i = smallest
      }
    }
    return top
  }

  clear(): void {
    this.heap.length = 0
  }
}

function before(a: ScheduledTask, b: ScheduledTask): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order)
}
