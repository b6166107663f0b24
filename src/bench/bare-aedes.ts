import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { brokerChild, type RunningMosquitto } from './mosquitto.ts'
import { siblingModule } from '../util/package-files.ts'

const PROCESS = fileURLToPath(siblingModule('./bare-aedes-process.ts', import.meta.url))

/**
 * Starts a bare Aedes (bare-aedes-process.ts) in a process of its own, as the embedded broker
 * runs in one: the bench then samples its CPU and memory the same way. Resolves once it listens.
 */
export async function startBareAedes(): Promise<RunningMosquitto> {
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS], { stdio: ['ignore', 'pipe', 'pipe'] })
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
