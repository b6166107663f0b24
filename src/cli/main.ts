import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { EXIT, WardlabError } from '../util/errors.ts'
import { overview, parseInvocation } from './program.ts'

/** Runs the CLI and returns the exit code (EXIT: 0 passed, 1 failed, 2 invalid input, 3 runtime error). */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    process.stderr.write(`${overview()}\n`)
    return EXIT.invalidInput
  }
  try {
    const invocation = await parseInvocation(argv)
    if ('exit' in invocation) return invocation.exit
    return await invocation.spec.run(invocation.options, invocation.positionals)
  } catch (err) {
    if (err instanceof WardlabError) {
      process.stderr.write(`${err.message}\n`)
      return err.exitCode
    }
    throw err
  }
}

/**
 * Everything wardlab writes holds secrets or patients' details: the registry (every device id is
 * an MQTT user name), the provisioning key, run folders with alerts, FHIR observations and the
 * quarantine, reports, and the --persistence LevelDB (sessions, queued messages, remembered
 * logins). With this umask each file is created 0600 and each folder 0700, whoever creates it —
 * our own writes, a pipeline worker thread, LevelDB's native code, a `--nodes` child process.
 */
export const PRIVATE_UMASK = 0o077

/** Runs the CLI for this process and exits with its code: the entry for `tsx src/cli/main.ts` and bin/wardlab.js. */
export function runAsProcess(argv: string[]): void {
  process.umask(PRIVATE_UMASK)
  main(argv).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`wardlab: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(EXIT.runtime)
    },
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) runAsProcess(process.argv.slice(2))
