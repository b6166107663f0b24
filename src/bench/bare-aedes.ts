import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brokerChild, type RunningMosquitto } from './mosquitto.ts'
import { siblingModule, TSX_LOADER } from '../util/package-files.ts'

const PROCESS = fileURLToPath(siblingModule('./bare-aedes-process.ts', import.meta.url))
const CPU_PROF_DIR = '--cpu-prof-dir'
/** The folder, inside `--cpu-prof`'s, where a bare Aedes target writes its profiles. */
export const BARE_AEDES_PROFILES = 'aedes'

/**
 * Starts a bare Aedes (bare-aedes-process.ts) in a process of its own, as the embedded broker
 * runs in one: the bench then samples its CPU and memory the same way. Resolves once it listens.
 * `execArgv` are Node's flags for it, as the embedded broker gets them (`--cpu-prof`: both sides
 * of `--target embedded,aedes` profiled the same way).
 */
export async function startBareAedes(execArgv: readonly string[] = []): Promise<RunningMosquitto> {
  // Profiles go to an `aedes` folder inside the embedded broker's, so the report tells the two apart.
  const flags = execArgv.map((flag) => (flag.startsWith(`${CPU_PROF_DIR}=`) ? join(flag, BARE_AEDES_PROFILES) : flag))
  const child = spawn(process.execPath, [...flags, '--import', TSX_LOADER, PROCESS], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = out.match(/port (\d+)/)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => reject(new Error(`the bare Aedes exited (${code}) before it listened: ${stderr.trim()}`)))
  })
  return brokerChild(child, port, exited)
}
