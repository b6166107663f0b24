import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QUIET_START, type RunningCli, spawnWardlab } from './support/cli.ts'

/** A raw TCP connection to the broker, and when it was closed (ms after opening), if it was within `ms`. */
async function openRaw(port: number): Promise<{ socket: Socket; closedWithin(ms: number): Promise<number | null> }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.on('error', () => {})
  // Reading, so the broker's close is seen (a socket nobody reads never notices the FIN).
  socket.resume()
  const opened = performance.now()
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)))
  return { socket, closedWithin: (ms) => Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]) }
}

const CONNECT = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'limits', keepalive: 0 })

/** A QoS 0 PUBLISH announcing `length` bytes after its fixed header, cut after its topic: begun, never finished. */
function publishHead(length: number): Buffer {
  const topic = 'lab/limits'
  const payload = Buffer.alloc(length - 2 - topic.length)
  const whole = generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false })
  return whole.subarray(0, whole.length - payload.length)
}

describe('wardlab start: the broker limits are flags', () => {
  let cli: RunningCli
  let port: number

  beforeAll(async () => {
    cli = spawnWardlab([
      ...QUIET_START,
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'wardlab-limits-')),
      '--max-packet-size',
      '2048',
      '--partial-packet-timeout',
      '0.5',
      '--max-connections-per-address',
      '3',
    ])
    port = Number((await cli.waitFor(/mqtt:\/\/127\.0\.0\.1:(\d+)/))[1])
    await cli.waitFor(/"msg":"wardlab started"/)
  }, 60_000)

  afterAll(async () => {
    cli?.child.kill('SIGINT')
    await cli?.exited
  })

  it('--max-packet-size: a packet announcing more is refused before its bytes arrive', async () => {
    const { socket, closedWithin } = await openRaw(port)
    socket.write(CONNECT)
    socket.write(publishHead(4096))
    expect(await closedWithin(3000)).not.toBeNull()
  })

  it('--partial-packet-timeout: a packet begun and not finished closes its connection after the timeout', async () => {
    const { socket, closedWithin } = await openRaw(port)
    socket.write(CONNECT)
    socket.write(publishHead(1000))
    const closedAfter = await closedWithin(5000)
    expect(closedAfter).not.toBeNull()
    expect(closedAfter!).toBeGreaterThanOrEqual(450)
  })

  it('--max-connections-per-address: the connection past the limit is refused at once', async () => {
    const held = await Promise.all([openRaw(port), openRaw(port), openRaw(port)])
    const fourth = await openRaw(port)
    expect(await fourth.closedWithin(3000)).not.toBeNull()
    for (const { closedWithin } of held) expect(await closedWithin(200)).toBeNull()
    for (const { socket } of held) socket.destroy()
  })
})
