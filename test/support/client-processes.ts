import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Third-party MQTT clients run as child processes: Debian's mosquitto_pub / mosquitto_sub and
 * Eclipse Paho for Python (test/support/paho-client.py). Every one is bounded by a timeout and
 * remembered, so a test file's afterEach can kill whatever a failing test left running.
 */

const running = new Set<ChildProcess>()

const INSTALL_HINTS: Record<string, string> = {
  mosquitto_pub: 'mosquitto_pub is not installed: apt-get install mosquitto-clients (.ci/run does this)',
  mosquitto_sub: 'mosquitto_sub is not installed: apt-get install mosquitto-clients (.ci/run does this)',
  python3: 'python3 is not installed: the Paho interop tests need python3 with paho-mqtt 2 (.ci/run installs paho-mqtt)',
}

export interface ChildRun {
  /** Lines the process has written to stdout so far. */
  lines(): string[]
  stderr(): string
  /** Resolves with the exit code (null when killed); rejects when the program is not installed. */
  exited: Promise<number | null>
  /** Resolves once a stdout line satisfies `match`; rejects after `ms` or when the process ends without one. */
  line(match: (line: string) => boolean, ms?: number): Promise<string>
  /** SIGTERM: mosquitto_sub disconnects cleanly on it. */
  stop(): void
}

export function spawnClient(command: string, args: string[], options: { stdin?: string; timeoutMs?: number } = {}): ChildRun {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(child)
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000)
  let out = ''
  let err = ''
  let ended = false
  const waiters = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const wake of waiters) wake()
  })
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  child.stdin.on('error', () => undefined)
  child.stdin.end(options.stdin ?? '')
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? (INSTALL_HINTS[command] ?? `${command} is not installed`) : e.message)),
    )
    child.once('close', (code) => resolve(code))
  }).finally(() => {
    ended = true
    clearTimeout(killer)
    running.delete(child)
    for (const wake of waiters) wake()
  })
  exited.catch(() => undefined)
  const lines = () => out.split('\n').filter((l) => l.length > 0)
  return {
    lines,
    stderr: () => err,
    exited,
    stop: () => child.kill('SIGTERM'),
    line(match, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`${command}: no matching line within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`)), ms)
        const finish = (error: Error | null, found?: string) => {
          clearTimeout(timer)
          waiters.delete(check)
          if (error) reject(error)
          else resolve(found!)
        }
        const check = () => {
          const found = lines().find(match)
          if (found !== undefined) return finish(null, found)
          if (ended) finish(new Error(`${command} ended without a matching line; stdout:\n${out}\nstderr:\n${err}`))
        }
        waiters.add(check)
        exited.catch((e: Error) => finish(e))
        check()
      })
    },
  }
}

/** Kills every client process still running (afterEach). */
export function killClientProcesses(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

/** One line of test/support/paho-client.py's output. */
export type PahoEvent = { event: string; [field: string]: unknown }

export interface PahoRun {
  events(): PahoEvent[]
  /** The first event of this kind, once it has happened. */
  next(kind: string, ms?: number): Promise<PahoEvent>
  /** Every event, once the script has ended; rejects with a clear message when paho-mqtt is missing. */
  finished: Promise<PahoEvent[]>
}

const PAHO_CLIENT = fileURLToPath(new URL('./paho-client.py', import.meta.url))
const PAHO_MISSING = 3

let interpreter: string | undefined
/**
 * The interpreter `python3` stands for. Where python3 is a pyenv shim (a bash script that looks up
 * the version on every call), starting the interpreter itself saves about a second per client on a
 * busy machine.
 */
function python(): string {
  try {
    interpreter ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error(INSTALL_HINTS.python3)
  }
  return interpreter
}

/** Runs test/support/paho-client.py with `script` (see its header) on stdin. */
export function paho(script: object, timeoutMs = 10_000): PahoRun {
  const child = spawnClient(python(), [PAHO_CLIENT], { stdin: JSON.stringify(script), timeoutMs })
  const events = () => child.lines().map((l) => JSON.parse(l) as PahoEvent)
  const finished = child.exited.then((code) => {
    if (code === PAHO_MISSING) throw new Error(String(events()[0]?.message ?? 'paho-mqtt is not installed: pip install paho-mqtt'))
    if (code === 2 || code === null)
      throw new Error(`paho-client.py failed (exit ${code}): ${String(events().find((e) => e.event === 'error')?.message ?? child.stderr())}`)
    return events()
  })
  finished.catch(() => undefined)
  return {
    events,
    finished,
    next: async (kind, ms) => JSON.parse(await child.line((l) => (JSON.parse(l) as PahoEvent).event === kind, ms)) as PahoEvent,
  }
}
