import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TSX_LOADER } from '../util/package-files.ts'

/**
 * A bench process (broker, generator) driven over Node's IPC channel with the `advanced`
 * serialisation, which copies typed arrays as raw bytes instead of JSON number lists — the send
 * and receive logs cross it every second.
 */
export class BenchChild<In extends { type: string }, Out extends { type: string }> {
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
  private readonly waiters: { type: string; resolve: (message: Out) => void; reject: (err: Error) => void }[] = []
  private readonly listeners = new Map<string, ((message: Out) => void)[]>()
  private stderr = ''

  constructor(entry: URL, options: { name: string; execArgv?: string[] }) {
    this.process = fork(fileURLToPath(entry), [], {
      execArgv: ['--import', TSX_LOADER, ...(options.execArgv ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, WARDLAB_BENCH_CHILD: options.name },
    })
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000)
    })
    this.process.on('message', (message: Out) => {
      for (const listener of this.listeners.get(message.type) ?? []) listener(message)
      const i = this.waiters.findIndex((w) => w.type === message.type)
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message)
    })
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code) => {
        const err = new Error(`bench ${options.name} process exited (code ${code}) ${this.stderr.trim() ? `:\n${this.stderr.trim()}` : ''}`)
        for (const w of this.waiters.splice(0)) w.reject(err)
        resolve(code)
      }),
    )
  }

  get pid(): number {
    return this.process.pid!
  }

  /** Sends unless the process has gone; a gone process answers every `next` with its exit. */
  send(message: In): void {
    if (this.process.connected) this.process.send(message)
  }

  /** The next message of `type`, or the process's exit as an error. */
  next<T extends Out['type']>(type: T): Promise<Extract<Out, { type: T }>> {
    if (this.process.exitCode !== null) return Promise.reject(new Error(`bench process already exited: ${this.stderr.trim()}`))
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve: resolve as (m: Out) => void, reject }))
  }

  on<T extends Out['type']>(type: T, listener: (message: Extract<Out, { type: T }>) => void): void {
    const list = this.listeners.get(type) ?? []
    list.push(listener as (m: Out) => void)
    this.listeners.set(type, list)
  }

  /** Waits for a clean exit, then kills after `graceMs`. */
  async finish(graceMs = 10_000): Promise<void> {
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}
