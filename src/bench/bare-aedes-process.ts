/**
 * A bare Aedes of the version wardlab runs (the `aedes` in package.json), with none of wardlab's
 * layer: no identities, ACL, hooks, connection gate, admission, signals or pipeline. What
 * `wardlab bench --target embedded,aedes` compares wardlab's broker against, so the ratio is the
 * cost of wardlab's own broker layer (issue 21). Aedes' defaults throughout, except the emitter's
 * concurrency, which wardlab runs uncapped (src/broker/create-broker.ts, brokerLimits): with the
 * cap, a backlog of deliveries is queued and drained differently, which would measure that setting
 * rather than the layer. Prints `port N` once it listens on a free loopback port.
 */
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const broker = await Aedes.createBroker({ concurrency: 0 })
const server = createServer((socket) => broker.handle(socket))
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`)
})
process.on('SIGTERM', () => server.close(() => broker.close(() => process.exit(0))))
