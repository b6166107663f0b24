/**
 * A wardlab broker alone in a process of its own, for what must happen to a real process: tests that
 * kill it with SIGKILL, and measurements of its memory under attack (attack-memory.ts). The broker
 * core as `wardlab start` builds it (createBroker: identities, ACL, hooks, the connection gate and
 * the listeners' limits) on the in-memory persistence, or a durable one — the LevelDB of
 * `--persistence DIR`, or a Redis cluster node with `--cluster URL` — listening on free loopback
 * ports, printed as `port N` (and `ws-port N` with `--ws`) once it accepts connections. Without the
 * simulator, the pipeline and the dashboard it starts in a fraction of the CLI's time, and what it
 * holds in memory is the broker's alone.
 *
 * Started with an IPC channel (measured-broker.ts), it answers the message `'status'` with a
 * BrokerStatus: its memory, measured after a full garbage collection when node runs with
 * --expose-gc (so two figures compare what is live, not when V8 last collected), the clients
 * connected and the security signals counted by type.
 *
 * node --import tsx src/reliability/broker-process.ts --registry FILE [--persistence DIR | --cluster URL --node-id ID]
 *   [--ws] [--drain-timeout MS] [--max-connections-per-address N] [--partial-packet-ms MS]
 */
import { parseArgs } from 'node:util'
import { ConnectionGate, addressLimit } from '../broker/connection-gate.ts'
import { ConnectionWatch } from '../broker/connection-signals.ts'
import { createBroker } from '../broker/create-broker.ts'
import { openListeners, type ListenerSpec } from '../broker/listeners.ts'
import { openDurablePersistence } from '../broker/persistence.ts'
import { profile } from '../broker/profile.ts'
import { connectCluster } from '../cluster/redis-backend.ts'
import { loadRegistry } from '../registry/load.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import { BanList } from '../security/ban-list.ts'
import { SignalBus } from '../security/signals.ts'
import type { BrokerStatus } from './measured-broker.ts'

const { values } = parseArgs({
  options: {
    registry: { type: 'string' },
    persistence: { type: 'string' },
    cluster: { type: 'string' },
    'node-id': { type: 'string' },
    ws: { type: 'boolean', default: false },
    'drain-timeout': { type: 'string' },
    'max-connections-per-address': { type: 'string', default: '0' },
    'partial-packet-ms': { type: 'string' },
  },
})
const registry = new HospitalRegistry(loadRegistry(values.registry!))
const durable = values.persistence ? await openDurablePersistence(values.persistence) : null
const cluster = values.cluster ? await connectCluster(values.cluster, values['node-id']) : null
const signals = new SignalBus()
const connections = new ConnectionWatch({ signals, now: Date.now })
const maxConnectionsPerAddress = Number(values['max-connections-per-address'])
const broker = await createBroker({
  registry,
  profile: profile('lab'),
  signals,
  security: { connections, bans: new BanList(), now: Date.now, maxConnectionsPerAddress },
  ...(values['drain-timeout'] ? { limits: { drainTimeout: Number(values['drain-timeout']) } } : {}),
  ...(values['partial-packet-ms'] ? { partialPacketMs: Number(values['partial-packet-ms']) } : {}),
  ...(durable
    ? { aedes: { persistence: durable.persistence, id: durable.brokerId }, sessionClocks: durable.sessionClocks, clientIdOwners: durable.clientIdOwners }
    : {}),
  ...(cluster ? { aedes: cluster.aedes, clientIdOwners: cluster.state.clientIdOwners } : {}),
})
const gate = new ConnectionGate(broker, undefined, addressLimit(maxConnectionsPerAddress, connections, signals))
const specs: ListenerSpec[] = [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }]
if (values.ws) specs.push({ kind: 'ws', host: '127.0.0.1', port: 0, flag: '--ws-port' })
const listeners = await openListeners((stream, req) => gate.handle(stream, req), specs)

const gc = (globalThis as { gc?: () => void }).gc
process.on('message', (message) => {
  if (message !== 'status') return
  // Twice: the first collection's finalizers free more for the second.
  gc?.()
  gc?.()
  const status: BrokerStatus = { memory: process.memoryUsage(), clients: broker.connectedClients, signals: Object.fromEntries(signals.counts) }
  process.send?.(status)
})
// The parent going away (a test's worker ending) ends this process too, rather than leaving a broker behind.
process.on('disconnect', () => process.exit(0))
for (const bound of listeners.bound) process.stdout.write(`${bound.kind === 'ws' ? 'ws-port' : 'port'} ${bound.port}\n`)
