import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { cleanUp, startBroker, subscribe } from './support/crash.ts'
import { PASSWORDS, testRegistry } from './support/lab.ts'
import { until } from './support/reliability.ts'

const QUEUED = 40
const servers: Server[] = []

afterEach(() => {
  cleanUp()
  for (const server of servers.splice(0)) server.close()
})

/** The last message of the queue, by its payload: once the proxy holds it, it holds the whole queue. */
const LAST = Buffer.from(`q:${QUEUED - 1}`)

/**
 * A TCP proxy to the broker that holds what the broker sends until it has the CONNACK and the whole
 * resumed queue (or 10 s pass), then writes it in one piece: what a subscriber on a busy machine
 * reads when it gets to its socket late. Waiting for the last message, not for a fixed time, keeps
 * it one read however slowly the broker sends the queue (a fixed 300 ms was not enough beside
 * three test files at a time).
 */
async function coalescingProxy(brokerUrl: string): Promise<string> {
  const target = new URL(brokerUrl)
  const server = createServer((client) => {
    const broker = createConnection(Number(target.port), target.hostname)
    const held: Buffer[] = []
    let holding = true
    const release = () => {
      if (!holding) return
      holding = false
      clearTimeout(deadline)
      client.write(Buffer.concat(held))
    }
    const deadline = setTimeout(release, 10_000)
    broker.on('data', (chunk: Buffer) => {
      if (!holding) return client.write(chunk)
      held.push(chunk)
      if (Buffer.concat(held).includes(LAST)) release()
    })
    client.on('data', (chunk) => broker.write(chunk))
    for (const [a, b] of [
      [client, broker],
      [broker, client],
    ] as const) {
      a.on('error', () => b.destroy())
      a.on('close', () => b.destroy())
    }
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`
}

/** A stopped persistent session with QUEUED acknowledged QoS 1 messages stored for it, on a broker restarted after kill -9. */
async function queuedAfterCrash(registryFile: string): Promise<string> {
  const store = mkdtempSync(join(tmpdir(), 'wardlab-crash-db-'))
  const first = await startBroker(['--registry', registryFile, '--persistence', store])
  ;(await subscribe(first.url, new Set())).end(true)
  const publisher = await connectAsync(first.url, { clientId: 'crash-pub', username: 'nurse-op', password: PASSWORDS['nurse-op'], reconnectPeriod: 0 })
  for (let i = 0; i < QUEUED; i++) await publisher.publishAsync('lab/crash', `q:${i}`, { qos: 1 })
  publisher.end(true)
  const exited = once(first.child, 'exit')
  first.child.kill('SIGKILL')
  await exited
  return (await startBroker(['--registry', registryFile, '--persistence', store])).url
}

describe('the crash tests count every message their subscriber is sent (issue 16)', () => {
  let registryFile: string

  beforeAll(async () => {
    registryFile = join(mkdtempSync(join(tmpdir(), 'wardlab-crash-')), 'registry.yaml')
    saveRegistry(registryFile, await testRegistry())
  })

  it('a listener attached after `await connectAsync` misses a resumed queue read with the CONNACK (what lost 40 messages of crash 4)', async () => {
    const url = await coalescingProxy(await queuedAfterCrash(registryFile))
    const received: string[] = []
    const client = await connectAsync(url, { clientId: 'crash-sub', username: 'root', password: PASSWORDS.root, clean: false, reconnectPeriod: 0 })
    client.on('message', (_topic, payload) => received.push(payload.toString()))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    client.end(true)
    // mqtt.js 5 emitted and acknowledged them before the listener existed.
    expect(received.length).toBeLessThan(QUEUED)
  }, 30_000)

  it("the harness's subscriber receives the whole queue, read with the CONNACK", async () => {
    const url = await coalescingProxy(await queuedAfterCrash(registryFile))
    const received = new Set<string>()
    await subscribe(url, received)
    await until(() => received.size === QUEUED, 5000, 'the queued messages')
    expect(received.size).toBe(QUEUED)
  }, 30_000)
})
