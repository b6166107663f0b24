import type { CommandSpec } from '../options.ts'

/**
 * Every command by name and summary, with its module loaded only when it runs: `wardlab --help`,
 * `--version` and a typo in a command name load none of them (each pulls in the broker, the
 * simulator or the bench), and `wardlab start` loads only start's.
 */
export interface CommandEntry {
  name: string
  summary: string
  load(): Promise<CommandSpec<any>>
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'start', summary: 'run the broker, the simulated ward and the pipeline until Ctrl-C', load: async () => (await import('./start.ts')).startCommand },
  { name: 'run', summary: 'run a scenario file; exit 0 only if every expectation holds', load: async () => (await import('./run.ts')).runCommand },
  {
    name: 'replay',
    summary: 'replay a pcap/pcapng capture into an embedded lab and report the alerts each flow raised',
    load: async () => (await import('./replay.ts')).replayCommand,
  },
  {
    name: 'device',
    summary: 'register, list or remove a real device (add prints its one-time password)',
    load: async () => (await import('./device.ts')).deviceCommand,
  },
  {
    name: 'user',
    summary: 'add, list or remove an observer, operator or admin (add prints the one-time password)',
    load: async () => (await import('./user.ts')).userCommand,
  },
  {
    name: 'schema',
    summary: 'print the JSON Schema of a wardlab file or payload, for editor completion',
    load: async () => (await import('./schema.ts')).schemaCommand,
  },
  {
    name: 'validate',
    summary: 'check a scenario, registry or pipeline file: every problem at once, with line and field',
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  {
    name: 'bench',
    summary: 'measure throughput, loss and latency of the embedded broker (pipeline on or off) or any MQTT broker',
    load: async () => (await import('./bench.ts')).benchCommand,
  },
]
