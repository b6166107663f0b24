import { spawn, type ChildProcess } from 'node:child_process'
import { WardlabError } from '../util/errors.ts'
import { freeLoopbackPort } from '../util/free-port.ts'

export interface LocalRedis {
  url: string
  port: number
  /** redis-server's process, for CPU and memory readings (src/bench/proc-stats.ts). */
  pid: number
  /**
   * Clients Redis has closed for overcoming their output buffer limit, from its log. For a broker
   * node's pub/sub connection the limit is 32 MB (`client-output-buffer-limit pubsub 32mb 8mb 60`,
   * the default): a node that falls that far behind loses its subscription, and with it every
   * message until it has subscribed again.
   */
  readonly outputBufferEvictions: number
  stop(): Promise<void>
}

/** What Redis logs, at warning level, when it closes such a client (networking.c, Redis 5 to 7). */
const OUTPUT_BUFFER_EVICTION = 'for overcoming of output buffer limits'

const START_TIMEOUT_MS = 10_000

/**
 * A throw-away Debian `redis-server` (`apt-get install redis-server`) on a free loopback port, with
 * no RDB snapshots and no append-only file (`--save '' --appendonly no`): it starts empty and leaves
 * nothing behind, for the cluster tests and for `wardlab bench --target cluster:N`. A missing binary
 * is an error, not a skip: a cluster test or bench that silently does not run proves nothing.
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freeLoopbackPort()
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let evictions = 0
  let partialLine = ''
  const onLog = (chunk: Buffer) => {
    const lines = (partialLine + chunk.toString()).split('\n')
    partialLine = lines.pop()!
    evictions += lines.filter((line) => line.includes(OUTPUT_BUFFER_EVICTION)).length
  }
  child.stdout!.on('data', onLog)
  child.stderr!.on('data', onLog)
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS)
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(err.code === 'ENOENT' ? new WardlabError('WL_FILE_NOT_FOUND', 'redis-server is not installed: apt-get install -y redis-server') : err)
    })
    const untilReady = (chunk: Buffer) => {
      output += chunk.toString()
      if (!output.includes('Ready to accept connections')) return
      clearTimeout(timer)
      child.stdout!.off('data', untilReady)
      child.stderr!.off('data', untilReady)
      resolve()
    }
    child.once('exit', (code) => reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${output}`)))
    child.stdout!.on('data', untilReady)
    child.stderr!.on('data', untilReady)
  }).catch((err: unknown) => {
    child.kill('SIGKILL')
    throw err
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    get outputBufferEvictions() {
      return evictions
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
