/**
 * Password hashes the process may run at once. scrypt runs on libuv's thread pool, which also
 * serves every file write (the pipeline's sinks, LevelDB with --persistence: a PUBACK waits for
 * it) and DNS lookups. Handed to the pool unbounded, 300 wrong-password CONNECTs queue 300
 * hashes in front of all of that, and in front of a real device's login: 17.3 s. Half the pool
 * (UV_THREADPOOL_SIZE, 4 by default) goes to hashes, so file work always has threads left; on a
 * two-core machine two hashes already take both cores from the broker's own thread half the time.
 */
export function defaultHashConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4
  return Math.max(1, Math.floor(pool / 2))
}

/**
 * The longest a second login from one address may expect to wait for its hash before it is
 * refused instead (CONNACK 3, server unavailable). One hash at N = 2^14 costs 30–140 ms here, so
 * 2 s is 30–140 logins ahead at two a time. An address with logins already waiting is flooding or
 * retrying: refusing it costs the broker nothing, and a device retries with its backoff. A first
 * login from an address is never refused for the wait: a ward's reconnect storm is one login per
 * device, and each waits its turn (test/reliability-storm.test.ts: 5,000 at once).
 */
export const MAX_HASH_WAIT_MS = 2000
/** Logins waiting at most, whatever their addresses: a memory bound, far above a ward's storm. */
export const MAX_WAITING = 20_000

/** How much the running average of a hash's duration moves with each new one. */
const AVERAGE_WEIGHT = 0.2

export class HashQueueFull extends Error {
  constructor(waitMs: number) {
    super(`password checks are about ${Math.round(waitMs)} ms behind; try again later`)
  }
}

interface Job {
  task: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * A small queue in front of scrypt: at most `concurrency` hashes in the thread pool, the rest
 * waiting here in one lane per source address, served in turn. A flood from a few addresses then
 * only delays its own lanes: a login from anywhere else goes next whatever they have queued.
 * Logins that need no hash (a name whose password was verified before, registry.ts) never come
 * here at all.
 */
export class HashQueue {
  readonly concurrency: number
  readonly maxWaitMs: number
  private readonly lanes = new Map<string, Job[]>()
  private waiting = 0
  private running = 0
  private mostRunning = 0
  /** Running average of a hash's wall time, in ms; 0 until one has run. */
  private averageMs = 0

  constructor(options: { concurrency?: number; maxWaitMs?: number } = {}) {
    this.concurrency = options.concurrency ?? defaultHashConcurrency()
    this.maxWaitMs = options.maxWaitMs ?? MAX_HASH_WAIT_MS
  }

  /** Hashes running now, and the most that ever ran at once. */
  get load(): { running: number; mostRunning: number } {
    return { running: this.running, mostRunning: this.mostRunning }
  }

  /**
   * Runs `task` when its lane's turn comes. Rejects with HashQueueFull when the lane already has
   * jobs waiting and this one's wait would be over maxWaitMs — a lane holding k jobs is served
   * after every other lane has had k + 1 turns — or when MAX_WAITING are waiting in all.
   */
  run<T>(lane: string, task: () => Promise<T>): Promise<T> {
    const queued = this.lanes.get(lane)?.length ?? 0
    const expectedWaitMs = (Math.min(this.waiting, (queued + 1) * this.lanes.size) * this.averageMs) / this.concurrency
    if ((queued > 0 && expectedWaitMs > this.maxWaitMs) || this.waiting >= MAX_WAITING) return Promise.reject(new HashQueueFull(expectedWaitMs))
    return new Promise<T>((resolve, reject) => {
      const jobs = this.lanes.get(lane)
      const job: Job = { task, resolve: resolve as (value: unknown) => void, reject }
      if (jobs) jobs.push(job)
      else this.lanes.set(lane, [job])
      this.waiting++
      this.startNext()
    })
  }

  private startNext(): void {
    while (this.running < this.concurrency && this.waiting > 0) {
      // Round robin: take the first lane's oldest job, then move that lane to the back.
      const [lane, jobs] = this.lanes.entries().next().value as [string, Job[]]
      const job = jobs.shift()!
      this.lanes.delete(lane)
      if (jobs.length > 0) this.lanes.set(lane, jobs)
      this.waiting--
      this.running++
      this.mostRunning = Math.max(this.mostRunning, this.running)
      const started = performance.now()
      job
        .task()
        .then(job.resolve, job.reject)
        .finally(() => {
          const ms = performance.now() - started
          this.averageMs = this.averageMs === 0 ? ms : this.averageMs + AVERAGE_WEIGHT * (ms - this.averageMs)
          this.running--
          this.startNext()
        })
    }
  }
}

/** The one queue of the process: the thread pool it guards is the process's. */
export const passwordHashQueue = new HashQueue()
