import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { WardlabError } from '../util/errors.ts'
import { COMMANDS, type CommandEntry } from './commands/index.ts'
import { commandHelp, convertOptions, type CommandSpec, type OptionSpecs, type ParsedOptions } from './options.ts'
import { packageFile } from '../util/package-files.ts'

/**
 * wardlab's command line on commander (README "Commands"): commander parses, suggests the flag or
 * command a typo meant, prints per-command help (`wardlab help start`, `wardlab start --help`) and
 * `--version`; wardlab's own declarations (options.ts) keep the values' validation and the help
 * text. Only the command being run (or asked about) is loaded.
 */
export function overview(): string {
  return [
    'wardlab — a smart-hospital device testbed: MQTT broker, simulated ward, pipeline and security monitor.',
    '',
    'Usage: wardlab <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Run `wardlab <command> --help` (or `wardlab help <command>`) for its options; `wardlab --version` for the version.',
    '',
    'Exit codes: 0 passed, 1 expectations or thresholds failed, 2 usage or invalid input, 3 runtime error.',
  ].join('\n')
}

export function version(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version
}

/** What the command line asks for: a command to run with its parsed input, or an exit code (help, version, usage errors). */
export type Invocation = { exit: number } | { spec: CommandSpec<any>; options: ParsedOptions<any>; positionals: string[] }

export async function parseInvocation(argv: string[]): Promise<Invocation> {
  const asked = argv[0] === 'help' ? argv[1] : argv[0]
  const entry = COMMANDS.find((c) => c.name === asked)
  const spec = entry ? await entry.load() : undefined
  let invocation: Invocation = { exit: 0 }
  const program = new Command('wardlab')
    .version(version(), '-V, --version', 'print the version')
    .configureHelp({ formatHelp: () => `${overview()}\n` })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
  for (const command of COMMANDS) {
    const sub = program.command(command.name).description(command.summary)
    if (command === entry && spec) {
      declare(sub, spec, command, (done) => (invocation = done))
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return { exit: 0 }
    const where = spec ? `wardlab ${spec.name}` : 'wardlab'
    const hint = spec ? `Run \`wardlab ${spec.name} --help\` for the flags it takes.` : 'Run `wardlab --help` for the commands.'
    throw new WardlabError(
      'WL_USAGE',
      `${where}: ${err.message
        .replace(/^error: /, '')
        .replace(/\n\((Did you mean [^)]*)\)/, ' ($1)')
        .replace(/\(Did you mean/, '(did you mean')}\n${hint}`,
    )
  }
  return invocation
}

/** The command's flags and arguments as commander options; values stay strings until convertOptions checks them. */
function declare(sub: Command, spec: CommandSpec<any>, entry: CommandEntry, found: (invocation: Invocation) => void): void {
  const declared = new Map<string, Option>()
  for (const [name, option] of Object.entries(spec.options as OptionSpecs)) {
    const flag = new Option(option.type === 'boolean' ? `--${name}` : `--${name} <value>`)
    if (option.type === 'list') flag.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    declared.set(name, flag)
    sub.addOption(flag)
  }
  for (const p of spec.positionals ?? []) sub.argument(p.required ? `<${p.name}>` : `[${p.name}]`, p.description)
  sub
    .configureHelp({ formatHelp: () => `${commandHelp(spec, entry.summary)}\n` })
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action((...args: unknown[]) => {
      const positionals = (args.slice(0, spec.positionals?.length ?? 0) as (string | undefined)[]).filter((p): p is string => p !== undefined)
      const options = convertOptions(spec, (name) => sub.getOptionValue(declared.get(name)!.attributeName()) as string | string[] | boolean | undefined)
      found({ spec, options, positionals })
    })
}
