import { monoMs } from './clock.ts'
import { sampleProcess, sumSamples, type ProcSample } from './proc-stats.ts'

/** One /proc reading of every process, `at` monotonic ms; the first is taken as the load starts. */
export interface Sample {
  at: number
  /** Every broker node together (a cluster's summed); null for a broker the bench did not start. */
  broker: ProcSample | null
  /** Each broker node apart, in node order. */
  nodes: (ProcSample | null)[]
  /** A cluster's redis-server. */
  redis: ProcSample | null
  generators: (ProcSample | null)[]
  subscriber: ProcSample | null
}

export function startSampler(startAt: number, pids: { brokers: number[]; redis: number | null; generators: number[] }): { samples: Sample[]; stop(): void } {
  const samples: Sample[] = []
  const take = () => {
    const nodes = pids.brokers.map((pid) => sampleProcess(pid))
    samples.push({
      at: monoMs(),
      broker: sumSamples(nodes),
      nodes,
      redis: pids.redis === null ? null : sampleProcess(pids.redis),
      generators: pids.generators.map((pid) => sampleProcess(pid)),
      subscriber: sampleProcess(process.pid),
    })
  }
  let interval: NodeJS.Timeout | null = null
  const first = setTimeout(
    () => {
      take()
      interval = setInterval(take, 1000)
    },
    Math.max(0, startAt - monoMs()),
  )
  return {
    samples,
    stop() {
      clearTimeout(first)
      if (interval) clearInterval(interval)
      take()
    },
  }
}
