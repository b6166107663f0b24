import { BenchAgent } from '../../bench/agent.ts'
import { DEFAULT_AGENT_PORT, formatAddress, parseHostPort, type HostPort } from '../../bench/agent-protocol.ts'
import type { Variant } from '../../bench/bench.ts'
import { WardlabError } from '../../util/errors.ts'
import type { OptionSpecs } from '../options.ts'

/** The flags of multi-machine runs, declared with the rest of `wardlab bench`'s. */
export const AGENT_OPTIONS = {
  agent: { type: 'boolean', description: 'wait for a coordinator and run the share of the load it gives (runs from several machines, BENCHMARKS.md)' },
  listen: {
    type: 'string',
    placeholder: 'host:port',
    description: `with --agent: where to wait (default 127.0.0.1:${DEFAULT_AGENT_PORT}); the channel has no authentication, keep it on a bench network`,
  },
  coordinator: { type: 'boolean', description: 'split the devices over --agents, start them together and merge what they measured' },
  agents: {
    type: 'string',
    placeholder: 'host:port,...',
    description: 'with --coordinator: the machines running wardlab bench --agent (--workers then counts per agent)',
  },
} as const satisfies OptionSpecs

interface AgentFlags {
  agent: boolean
  listen: string | undefined
  coordinator: boolean
  agents: string | undefined
}

const usage = (message: string) => new WardlabError('WL_USAGE', `wardlab bench: ${message}\nRun \`wardlab bench --help\` for the flags it takes.`)

/** Flags an agent has no use for: its load, target and reports come from the coordinator. */
const NOT_FOR_AGENTS = ['compare', 'json', 'svg', 'output', 'cpu-prof', 'total-rate', 'consume-outputs', 'subscriber-stall'] as const

/**
 * `wardlab bench --agent [--listen host:port]`: serves coordinators until SIGINT or SIGTERM,
 * one at a time, printing where it listens and what each run did to stderr.
 */
export async function serveAgent(options: AgentFlags & Record<(typeof NOT_FOR_AGENTS)[number], unknown>): Promise<number> {
  if (options.coordinator || options.agents !== undefined)
    throw usage('--agent and --coordinator/--agents are two ends of one run: start agents first, then one coordinator naming them')
  const given = NOT_FOR_AGENTS.filter((flag) => options[flag] !== undefined && options[flag] !== false)
  if (given.length > 0)
    throw usage(`--agent takes its load and target from the coordinator; give ${given.map((f) => `--${f}`).join(', ')} to the coordinator instead`)
  const listen = options.listen === undefined ? { host: '127.0.0.1', port: DEFAULT_AGENT_PORT } : parseHostPort(options.listen, DEFAULT_AGENT_PORT)
  if (!listen) throw usage(`--listen takes host:port, got "${options.listen}"`)
  const agent = await BenchAgent.listen({ ...listen, log: (line) => process.stderr.write(`${line}\n`) })
  process.stderr.write(`wardlab bench agent: waiting for a coordinator on ${agent.address} (Ctrl-C to stop)\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await agent.close()
  return 0
}

/**
 * The agents of `--coordinator --agents a,b`, or null for a run from this machine alone. Refuses
 * what a coordinated run does not do: several variants or rounds (one merged run per invocation),
 * and a cluster target (agents connect to one address; the cluster's nodes are several).
 */
export function coordinatedAgents(options: AgentFlags & { rounds: number; devices: number; gateway: number }, variants: readonly Variant[]): HostPort[] | null {
  if (options.listen !== undefined) throw usage('--listen goes with --agent')
  if (!options.coordinator) {
    if (options.agents !== undefined) throw usage('--agents goes with --coordinator')
    return null
  }
  if (options.agents === undefined) throw usage('--coordinator needs --agents host:port,host:port (the machines running wardlab bench --agent)')
  const agents = options.agents.split(',').map((text) => {
    const address = parseHostPort(text, DEFAULT_AGENT_PORT)
    if (!address) throw usage(`--agents takes host:port entries separated by commas, got "${text}"`)
    return address
  })
  const unique = new Set(agents.map(formatAddress))
  if (unique.size !== agents.length) throw usage('--agents names the same agent twice')
  const connections = Math.ceil(options.devices / options.gateway)
  if (agents.length > connections) throw usage(`--agents names ${agents.length} agents for ${connections} connections: each agent needs at least one`)
  if (variants.length !== 1 || options.rounds !== 1) throw usage('--coordinator makes one run: it does not take --compare, several --target or --rounds')
  if (variants[0]!.target.type === 'cluster') throw usage('--coordinator gives its agents one broker address; --target cluster:N is not supported with agents')
  return agents
}
