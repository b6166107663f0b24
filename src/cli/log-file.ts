import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { pino, type Logger } from 'pino'

/**
 * The log of a scripted run goes to a file in its run folder, so stdout holds the summary alone
 * (`wardlab run … > out` is the report, not 50 JSON warnings before it). Synchronous writes: the
 * CLI exits right after the summary, and the last lines must be in the file.
 */
export function fileLogger(file: string, level: string): Logger {
  mkdirSync(dirname(file), { recursive: true })
  return pino({ level }, pino.destination({ dest: file, sync: true }))
}
