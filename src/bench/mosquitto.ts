import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WardlabError } from '../util/errors.ts'
import { freeLoopbackPort } from '../util/free-port.ts'

export interface RunningMosquitto {
  port: number
  pid: number
  stop(): Promise<void>
}

/**
 * Starts Debian's Mosquitto (`apt-get install mosquitto`) on a free loopback port, configured for
 * a benchmark: anonymous clients, no persistence, no logging, and no cap on queued or in-flight
 * QoS 1 messages per client (the defaults, 1,000 queued and 20 in flight, would drop messages to
 * a subscriber that falls behind — loss the bench would then blame on the broker).
 */
export async function startMosquitto(binary = 'mosquitto'): Promise<RunningMosquitto> {
  const port = await freeLoopbackPort()
  const dir = mkdtempSync(join(tmpdir(), 'wardlab-mosquitto-'))
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join(
      '\n',
    ),
  )
  const child: ChildProcess = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' ? new WardlabError('WL_FILE_NOT_FOUND', `--target mosquitto needs the mosquitto broker: apt-get install -y mosquitto`) : err,
      ),
    ),
  )
  await Promise.race([untilListening(port, 5000, () => stderr), spawnError])
  return brokerChild(child, port, exited, () => rmSync(dir, { recursive: true, force: true }))
}

async function untilListening(port: number, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`mosquitto did not listen on port ${port} within ${timeoutMs} ms: ${stderr().trim()}`)
}

/** A broker process the bench started: stopped with SIGTERM, then whatever it leaves is cleaned up. */
export function brokerChild(child: ChildProcess, port: number, exited: Promise<void>, cleanUp: () => void = () => undefined): RunningMosquitto {
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM')
      await exited
      cleanUp()
    },
  }
}
