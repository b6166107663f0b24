import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/wardlab.js', import.meta.url))

export interface RunningCli {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern` in stdout, or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

/** `wardlab start` on ports the system picks, with no simulated device: a lab for a test to poke. */
export const QUIET_START = ['start', '--port', '0', '--ws-port', '0', '--http-port', '0', '--devices', '0']

/**
 * Runs the real CLI as a user would (bin/wardlab.js: the compiled CLI in dist/ while it is fresh, as
 * after `npm ci`, else the sources through tsx), with JSON logs since stdout is not a TTY. Compiled,
 * a process starts without loading a compiler: about 1.4 s of CPU less for each `wardlab start`.
 */
export function spawnWardlab(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, VITEST: '', WARDLAB_LOG_LEVEL: 'info', ...env } })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, ms = 20_000) =>
      pollOutput(
        () => out,
        pattern,
        () => child.exitCode !== null,
        ms,
        () => err,
      ),
  }
}

/** Resolves with the first match of `pattern` in `text()`, or rejects once the process is gone or after `ms`. */
export function pollOutput(text: () => string, pattern: RegExp, gone: () => boolean, ms: number, more: () => string = () => ''): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms
    const check = () => {
      const match = text().match(pattern)
      if (match) return resolve(match)
      if (gone() || Date.now() > deadline) return reject(new Error(`no ${pattern} in output:\n${text()}\n${more()}`))
      setTimeout(check, 50)
    }
    check()
  })
}

/** Runs the CLI to completion. */
export async function runWardlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnWardlab(args)
  const code = await cli.exited
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** `wardlab start`'s listeners on free ports (MQTT, WebSocket, HTTP) and its data folder: what every end-to-end start needs. */
export function onFreePorts(dataDir: string): string[] {
  return ['--port', '0', '--ws-port', '0', '--http-port', '0', '--data-dir', dataDir]
}
