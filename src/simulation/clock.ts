/**
 * Simulated time. Devices and scenarios schedule work in simulated milliseconds (epoch-based, so
 * payload `ts` values are real dates); the clock maps them onto wall time at `speed` × real time.
 * One timer drives the whole fleet from a min-heap, which keeps thousands of devices cheap and
 * makes the order of events a function of simulated time alone.
 */
export interface SimClock {
  /** Current simulated time, epoch ms. */
  now(): number
  readonly speed: number
  /** Runs `task` at simulated time `at` (or as soon as possible if that is past). */
  at(at: number, task: () => void): Cancel
  /** Stops firing; pending tasks are dropped. */
  stop(): void
}

export type Cancel = () => void

interface Entry {
  at: number
  order: number
  task: () => void
  cancelled: boolean
}

export function createSimClock(options: { start: number; speed: number }): SimClock {
  if (!(options.speed > 0)) throw new Error(`speed must be positive, got ${options.speed}`)
  const wallStart = performance.now()
  const heap: Entry[] = []
  let order = 0
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity
  let stopped = false

  const now = () => options.start + (performance.now() - wallStart) * options.speed

  const push = (entry: Entry) => {
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  const pop = (): Entry | undefined => {
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

  const arm = () => {
    if (stopped) return
    while (heap.length > 0 && heap[0]!.cancelled) pop()
    const next = heap[0]
    if (!next) return
    if (timer && timerAt <= next.at) return
    if (timer) clearTimeout(timer)
    timerAt = next.at
    const delayMs = Math.max(0, (next.at - now()) / options.speed)
    timer = setTimeout(fire, delayMs)
  }

  const fire = () => {
    timer = null
    timerAt = Infinity
    const current = now()
    // Bounded per turn so a backlog at high speed cannot starve the event loop (and the broker).
    for (let budget = 5000; budget > 0 && heap.length > 0 && heap[0]!.at <= current; budget--) {
      const entry = pop()!
      if (!entry.cancelled) entry.task()
    }
    arm()
  }

  return {
    now,
    speed: options.speed,
    at(at, task) {
      const entry: Entry = { at, order: order++, task, cancelled: false }
      push(entry)
      arm()
      return () => {
        entry.cancelled = true
      }
    },
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      heap.length = 0
    },
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order)
}
