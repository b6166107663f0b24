import { parseArgs } from 'node:util'
import type { MqttClient } from 'mqtt'
import { Lab } from '../../lab/lab.ts'
import { deriveDevicePassword } from '../../registry/passwords.ts'
import { inProcessConnector } from '../../simulation/connector.ts'
import { Fleet } from '../../simulation/fleet.ts'
import { silentLogger } from '../../util/log.ts'
import { benchRegistry } from '../../bench/bench-registry.ts'

/**
 * Memory per simulated device (issue 3): one process holds an embedded broker and N in-process
 * connections, either bare mqtt.js clients (a connection and nothing else) or SimulatedDevices
 * (the same connection plus the kind's state, patient model, timers and outbox). Heap is read
 * after a forced full GC, once the fleet has run for a while, so the difference between the two
 * is what the devices themselves cost. Run each mode in a fresh process:
 *
 *   node --expose-gc --import tsx src/cli/processes/device-memory.ts --mode devices --devices 5000
 */
const { values } = parseArgs({
  options: { mode: { type: 'string', default: 'devices' }, devices: { type: 'string', default: '5000' }, settle: { type: 'string', default: '20' } },
})
const count = Number(values.devices)
const mode = values.mode as 'broker' | 'bare' | 'devices'
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

const key = Buffer.alloc(32, 9)
const registry = benchRegistry({ devices: count, gateway: 1, key, simulated: true })
const lab = await Lab.start({
  registry,
  provisioningKey: key,
  profile: 'lab',
  listeners: [],
  seed: 'memory',
  speed: 1,
  simulate: false,
  log: silentLogger,
  outputDir: `/tmp/wardlab-device-memory-${process.pid}`,
  pipeline: false,
})
const heap = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20, externalMB: m.external / 2 ** 20 }
}
const before = heap()
let connected = () => 0
let clients: MqttClient[] = []
let fleet: Fleet | null = null
if (mode === 'bare') {
  const connector = inProcessConnector((stream) => lab.broker.handle(stream))
  clients = registry.devices.map((d) =>
    connector({
      protocolVersion: 4,
      clientId: d.id,
      username: d.id,
      password: deriveDevicePassword(key, d.id),
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
    }),
  )
  connected = () => clients.filter((c) => c.connected).length
} else if (mode === 'devices') {
  fleet = new Fleet({
    registry,
    provisioningKey: key,
    seed: 'memory',
    clock: lab.clock,
    connector: inProcessConnector((stream) => lab.broker.handle(stream)),
    log: silentLogger,
    connectRate: 2000,
  })
  fleet.start()
  connected = () => fleet!.connectedCount()
}
const deadline = Date.now() + 120_000
while (mode !== 'broker' && connected() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
// Let every kind tick for a while, so state that grows with time (alarm latches, outboxes, trackers) is there.
await new Promise((r) => setTimeout(r, Number(values.settle) * 1000))
const after = heap()
process.stdout.write(
  `${JSON.stringify({
    mode,
    devices: count,
    connected: connected(),
    heapMB: after.heapMB,
    rssMB: after.rssMB,
    heapDeltaMB: after.heapMB - before.heapMB,
    heapPerDeviceKB: mode === 'broker' ? 0 : ((after.heapMB - before.heapMB) * 1024) / count,
    pipelineReceived: lab.pipeline.counters.received,
  })}\n`,
)
await fleet?.stop()
await Promise.all(clients.map((c) => c.endAsync()))
await lab.stop()
