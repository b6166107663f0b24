import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { siblingModule, TSX_LOADER } from '../util/package-files.ts'

/** What a broker process (broker-process.ts) reports of itself. */
export interface BrokerStatus {
  /** process.memoryUsage() after a full garbage collection. */
  memory: NodeJS.MemoryUsage
  /** Aedes' connectedClients. */
  clients: number
  /** Security signals so far, by type (load-shed, connect-refused, …). */
  signals: Record<string, number>
}

export interface MeasuredBroker {
  child: ChildProcess
  /** mqtt://127.0.0.1:port */
  url: string
  /** The WebSocket listener's port, with `--ws`. */
  wsPort: number | null
  status(): Promise<BrokerStatus>
  stop(): Promise<void>
}

const BROKER_PROCESS = fileURLToPath(siblingModule('./broker-process.ts', import.meta.url))

/**
 * Starts broker-process.ts with `args` in a process of its own, with --expose-gc and an IPC channel
 * to ask it for its status: memory measured there is the broker's alone, not the attacker's or the
 * test runner's.
 */
export async function startMeasuredBroker(args: string[]): Promise<MeasuredBroker> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', TSX_LOADER, BROKER_PROCESS, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const ports = await new Promise<{ port: number; wsPort: number | null }>((resolve, reject) => {
    let out = ''
    const wantsWs = args.includes('--ws')
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const port = /^port (\d+)$/m.exec(out)
      const wsPort = /^ws-port (\d+)$/m.exec(out)
      if (port && (wsPort || !wantsWs)) resolve({ port: Number(port[1]), wsPort: wsPort ? Number(wsPort[1]) : null })
    })
    child.once('exit', (code) => reject(new Error(`broker process exited with ${code} before listening`)))
  })
  return {
    child,
    url: `mqtt://127.0.0.1:${ports.port}`,
    wsPort: ports.wsPort,
    status: () =>
      new Promise((resolve, reject) => {
        child.once('message', (status) => resolve(status as BrokerStatus))
        if (!child.send('status')) reject(new Error('the broker process is gone'))
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  }
}
