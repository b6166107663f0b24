import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { EXIT, WardlabError } from '../util/errors.ts'
import { benchCommand } from './commands/bench.ts'
import { deviceCommand } from './commands/device.ts'
import { replayCommand } from './commands/replay.ts'
import { runCommand } from './commands/run.ts'
import { schemaCommand } from './commands/schema.ts'
import { startCommand } from './commands/start.ts'
import { userCommand } from './commands/user.ts'
import { validateCommand } from './commands/validate.ts'
import { commandHelp, parseCommandArgs, type CommandSpec } from './options.ts'

const COMMANDS: CommandSpec<any>[] = [startCommand, runCommand, replayCommand, deviceCommand, userCommand, schemaCommand, validateCommand, benchCommand]

function overview(): string {
  return [
    'wardlab — a smart-hospital device testbed: MQTT broker, simulated ward, pipeline and security monitor.',
    '',
    'Usage: wardlab <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Run `wardlab <command> --help` for its options.',
    '',
    'Exit codes: 0 passed, 1 expectations or thresholds failed, 2 usage or invalid input, 3 runtime error.',
  ].join('\n')
}

/** Runs the CLI and returns the exit code (EXIT: 0 passed, 1 failed, 2 invalid input, 3 runtime error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n')
    return name ? EXIT.passed : EXIT.invalidInput
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`wardlab: unknown command "${name}"\n\n${overview()}\n`)
    return EXIT.invalidInput
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command) + '\n')
    return 0
  }
  try {
    const { options, positionals } = parseCommandArgs(command, rest)
    return await command.run(options, positionals)
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
