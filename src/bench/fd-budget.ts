import { readFileSync } from 'node:fs'
import { WardlabError } from '../util/errors.ts'

/**
 * Files a bench process opens besides its MQTT sockets: stdio, the IPC channel, epoll and
 * eventfd, libuv's signal pipe, the tsx loader, log and output files. Measured on Node 20 at
 * about 30; twice that leaves room.
 */
export const RESERVED_FILES = 64

/** Linux's soft RLIMIT_NOFILE for this process (`ulimit -n`), which its children inherit. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER
    const value = Number(soft)
    return Number.isFinite(value) && value > 0 ? value : 1024
  } catch {
    // Not Linux: assume the POSIX-typical default rather than guess high and die of EMFILE.
    return 1024
  }
}

export interface SocketPlan {
  devices: number
  /** Devices per connection. */
  gateway: number
  workers: number
  /** The target holds every connection in one process (the embedded broker, a local Mosquitto). */
  brokerIsLocalProcess: boolean
  /** Subscriber connections held by the broker besides the devices'. */
  subscribers: number
  limit: number
}

export interface SocketNeeds {
  connections: number
  perWorker: number
  broker: number
  maxSocketsPerProcess: number
}

export function socketNeeds(plan: SocketPlan): SocketNeeds {
  const connections = Math.ceil(plan.devices / plan.gateway)
  return {
    connections,
    perWorker: Math.ceil(connections / plan.workers),
    broker: plan.brokerIsLocalProcess ? connections + plan.subscribers : 0,
    maxSocketsPerProcess: Math.max(0, plan.limit - RESERVED_FILES),
  }
}

/**
 * Refuses, before anything starts, a load that cannot fit under the per-process open-file limit:
 * past it every new socket fails with EMFILE and the figures would measure the failure. The
 * message names the numbers and the flags that make it fit: `--workers` spreads the generator's
 * sockets over processes, `--gateway` multiplexes devices per connection and is the only fix when
 * the broker itself is the process that cannot hold them all.
 */
export function assertSocketsFit(plan: SocketPlan): SocketNeeds {
  const needs = socketNeeds(plan)
  const max = needs.maxSocketsPerProcess
  const problems: string[] = []
  if (needs.perWorker > max) {
    const workers = Math.ceil(needs.connections / max)
    problems.push(
      `the generator would hold ${fmt(needs.perWorker)} sockets in each of ${plan.workers} worker process${plan.workers === 1 ? '' : 'es'}: ` +
        `use --workers ${workers} or more (${fmt(Math.ceil(needs.connections / workers))} each), or --gateway ${Math.ceil(plan.devices / (max * plan.workers))} or more`,
    )
  }
  if (needs.broker > max) {
    const gateway = Math.ceil(plan.devices / (max - plan.subscribers))
    problems.push(
      `the broker holds every connection in one process: ${fmt(needs.connections)} device connections + ${plan.subscribers} subscriber = ${fmt(needs.broker)} sockets; ` +
        `--workers cannot help there: use --gateway ${gateway} or more (${fmt(Math.ceil(plan.devices / gateway))} connections)`,
    )
  }
  if (problems.length > 0) {
    throw new WardlabError(
      'WL_USAGE',
      `wardlab bench: ${fmt(plan.devices)} devices at ${plan.gateway} per connection need ${fmt(needs.connections)} connections, which do not fit. ` +
        `Each process may have ${fmt(plan.limit)} open files (ulimit -n; it cannot be raised here) and keeps ${RESERVED_FILES} for other files, so it holds at most ${fmt(max)} sockets:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    )
  }
  return needs
}

function fmt(n: number): string {
  return n.toLocaleString('en-US')
}
