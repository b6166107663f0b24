/**
 * A wardlab broker alone in a process of its own, for tests that kill it with SIGKILL: the broker
 * core as `wardlab start` builds it (createBroker: identities, ACL, hooks) on a durable persistence —
 * the LevelDB of `--persistence DIR`, or a Redis cluster node with `--cluster URL` — listening on a
 * free loopback port, printed as `port N` once it accepts connections. Without the simulator, the
 * pipeline and the dashboard it starts in a fraction of the CLI's time, so a test can kill and
 * restart it ten times.
 *
 * node --import tsx test/support/broker-child.ts --registry FILE (--persistence DIR | --cluster URL --node-id ID)
 */
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import { createBroker } from '../../src/broker/create-broker.ts'
import { openDurablePersistence } from '../../src/broker/persistence.ts'
import { profile } from '../../src/broker/profile.ts'
import { connectCluster } from '../../src/cluster/redis-backend.ts'
import { loadRegistry } from '../../src/registry/load.ts'
import { HospitalRegistry } from '../../src/registry/registry.ts'
import { SignalBus } from '../../src/security/signals.ts'

const { values } = parseArgs({ options: { registry: { type: 'string' }, persistence: { type: 'string' }, cluster: { type: 'string' }, 'node-id': { type: 'string' } } })
const registry = new HospitalRegistry(loadRegistry(values.registry!))
const durable = values.persistence ? await openDurablePersistence(values.persistence) : null
const cluster = values.cluster ? await connectCluster(values.cluster, values['node-id']) : null
const broker = await createBroker({
  registry,
  profile: profile('lab'),
  signals: new SignalBus(),
  ...(durable ? { aedes: { persistence: durable.persistence, id: durable.brokerId }, sessionClocks: durable.sessionClocks, clientIdOwners: durable.clientIdOwners } : {}),
  ...(cluster ? { aedes: cluster.aedes, clientIdOwners: cluster.state.clientIdOwners } : {}),
})
const server = createServer((socket) => broker.handle(socket))
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`)
})
