import { WardlabError } from '../util/errors.ts'

/**
 * Commands declare their flags as data; parsing, validation and `--help` text all come from the
 * declaration, so a flag cannot exist without being documented and checked.
 */
export type OptionSpec =
  /** `canBeOff`: the flag also takes `off`, parsed as null, for a listener the user does not want. */
  | { type: 'port'; default?: number; canBeOff?: boolean; description: string }
  | { type: 'integer'; default?: number; min?: number; max?: number; description: string }
  | { type: 'number'; default?: number; min?: number; description: string }
  | { type: 'string'; default?: string; description: string; placeholder?: string }
  | { type: 'enum'; values: readonly string[]; default?: string; description: string }
  | { type: 'boolean'; description: string }
  /** A flag given any number of times (`--threshold a --threshold b`), in the order given. */
  | { type: 'list'; description: string; placeholder?: string }

export type OptionSpecs = Record<string, OptionSpec>

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'list' }
    ? string[]
    : S extends { type: 'port'; canBeOff: true }
      ? number | null
      : S extends { type: 'string' }
        ? S extends { default: string }
          ? string
          : string | undefined
        : S extends { type: 'enum' }
          ? S extends { default: string }
            ? string
            : string | undefined
          : S extends { default: number }
            ? number
            : number | undefined

export type ParsedOptions<S extends OptionSpecs> = { [K in keyof S]: ValueOf<S[K]> }

export interface CommandSpec<S extends OptionSpecs = OptionSpecs> {
  name: string
  usage: string
  options: S
  /** Positional arguments allowed (names, for help and checking). */
  positionals?: { name: string; required: boolean; description: string }[]
  run(options: ParsedOptions<S>, positionals: string[]): Promise<number>
}

export function defineCommand<S extends OptionSpecs>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec
}

/** The flags as parsed by the CLI library, to typed values or a usage error naming the flag. */
export function convertOptions<S extends OptionSpecs>(spec: CommandSpec<S>, raw: (name: string) => string | string[] | boolean | undefined): ParsedOptions<S> {
  const options: Record<string, unknown> = {}
  for (const [name, option] of Object.entries(spec.options)) options[name] = convert(spec.name, name, option, raw(name))
  return options as ParsedOptions<S>
}

function convert(command: string, name: string, option: OptionSpec, raw: string | string[] | boolean | undefined): unknown {
  const bad = (what: string) => new WardlabError('WL_USAGE', `wardlab ${command}: --${name} ${what}, got "${String(raw)}"`)
  if (option.type === 'boolean') return raw === true
  if (option.type === 'list') return Array.isArray(raw) ? raw : []
  if (raw === undefined) return option.default
  const text = String(raw)
  switch (option.type) {
    case 'string':
      if (text === '') throw bad('needs a value')
      return text
    case 'enum':
      if (!option.values.includes(text)) throw bad(`must be one of ${option.values.join(', ')}`)
      return text
    case 'port': {
      if (option.canBeOff && text === 'off') return null
      const port = Number(text)
      if (!/^\d+$/.test(text) || port > 65535)
        throw bad(`must be a port number from 0 to 65535 (0 picks a free port${option.canBeOff ? ', off opens none' : ''})`)
      return port
    }
    case 'integer': {
      const value = Number(text)
      if (!/^-?\d+$/.test(text) || (option.min !== undefined && value < option.min) || (option.max !== undefined && value > option.max)) {
        throw bad(`must be a whole number${option.min !== undefined ? ` ≥ ${option.min}` : ''}${option.max !== undefined ? ` and ≤ ${option.max}` : ''}`)
      }
      return value
    }
    case 'number': {
      const value = Number(text)
      if (text.trim() === '' || !Number.isFinite(value) || (option.min !== undefined && value < option.min)) {
        throw bad(`must be a number${option.min !== undefined ? ` ≥ ${option.min}` : ''}`)
      }
      return value
    }
  }
}

export function commandHelp(spec: CommandSpec<any>, summary: string): string {
  const lines = [`wardlab ${spec.name} — ${summary}`, '', `Usage: ${spec.usage}`]
  if (spec.positionals?.length) {
    lines.push('', 'Arguments:')
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`)
  }
  lines.push('', 'Options:')
  for (const [name, option] of Object.entries(spec.options as OptionSpecs)) {
    const value =
      option.type === 'boolean'
        ? ''
        : option.type === 'list'
          ? ` <${option.placeholder ?? 'value'}> (repeatable)`
          : option.type === 'enum'
            ? ` <${option.values.join('|')}>`
            : option.type === 'string'
              ? ` <${option.placeholder ?? 'value'}>`
              : option.type === 'port'
                ? ` <${option.canBeOff ? 'port|off' : 'port'}>`
                : ' <n>'
    const fallback = 'default' in option && option.default !== undefined ? ` (default ${option.default})` : ''
    lines.push(`${`  --${name}${value}`.padEnd(34)} ${option.description}${fallback}`)
  }
  lines.push(`${`  --help`.padEnd(34)} show this help`)
  return lines.join('\n')
}
