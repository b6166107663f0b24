import { spawn } from 'node:child_process'
import { pollOutput } from './cli.ts'

export interface Terminal {
  /** Types into the terminal (`\x03` is Ctrl-C: SIGINT for the foreground process group). */
  write(text: string): void
  /** Everything the terminal showed so far, escape codes and `\r` included. */
  output(): string
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

/**
 * Runs a shell command in a real pseudo-terminal (util-linux `script`), as a person at a terminal
 * runs it: stdout is a TTY, and Ctrl-C goes through the terminal's line discipline. The command is
 * `exec`ed so that it, not a shell, is the foreground process group, as under an interactive shell:
 * `script` runs `$SHELL -c`, and where SHELL is unset (CI) that is dash, which would take the SIGINT
 * itself and make `script` report 130 however cleanly the program stopped.
 */
export function inTerminal(command: string, env: Record<string, string> = {}, cwd?: string): Terminal {
  const child = spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], {
    env: { ...process.env, VITEST: '', NO_COLOR: '', ...env },
    ...(cwd ? { cwd } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    write: (text) => void child.stdin.write(text),
    output: () => out,
    exited,
    waitFor: (pattern, ms = 60_000) =>
      pollOutput(
        () => out,
        pattern,
        () => child.exitCode !== null,
        ms,
      ),
  }
}
