import { spawn, type ChildProcess } from 'node:child_process'
import { WardlabError } from '../util/errors.ts'
import { freeLoopbackPort } from '../util/free-port.ts'

export interface LocalRedis {
  url: string
  port: number
  /** redis-server's process, for CPU and memory readings (src/bench/proc-stats.ts). */
  pid: number
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

/**
 * A throw-away Debian `redis-server` (`apt-get install redis-server`) on a free loopback port, with
 * no RDB snapshots and no append-only file (`--save '' --appendonly no`): it starts empty and leaves
 * nothing behind, for the cluster tests and for `wardlab bench --target cluster:N`. A missing binary
 * is an error, not a skip: a cluster test or bench that silently does not run proves nothing.
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freeLoopbackPort()
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS)
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(err.code === 'ENOENT' ? new WardlabError('WL_FILE_NOT_FOUND', 'redis-server is not installed: apt-get install -y redis-server') : err)
    })
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.once('exit', (code) => reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${output}`)))
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
  }).catch((err: unknown) => {
    child.kill('SIGKILL')
    throw err
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
