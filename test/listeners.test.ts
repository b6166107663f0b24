import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { Lab } from '../src/lab/lab.ts'
import { silentLogger } from '../src/util/log.ts'
import { connectAs, connectDevice, envelope, nextMessage, outputDir, testRegistry } from './support/lab.ts'
import { selfSignedCertificate } from './support/tls.ts'

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }))
  })
}

describe('listeners', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const step of cleanup) await step()
  })

  it('names the port and the flag when a port is in use', async () => {
    const { server, port } = await occupyPort()
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
    const attempt = Lab.start({
      registry: await testRegistry(),
      provisioningKey: Buffer.alloc(32),
      profile: 'lab',
      listeners: [
        { kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' },
        { kind: 'ws', host: '127.0.0.1', port, flag: '--ws-port' },
      ],
      seed: 1,
      speed: 1,
      simulate: false,
      log: silentLogger,
      outputDir: outputDir(),
    })
    await expect(attempt).rejects.toMatchObject({
      code: 'WL_PORT_IN_USE',
      message: expect.stringMatching(new RegExp(`port ${port} \\(MQTT over WebSocket\\).*--ws-port`)),
    })
  })

  it('serves MQTT over TLS with a certificate the user supplies', async () => {
    const tls = selfSignedCertificate()
    const lab = await Lab.start({
      registry: await testRegistry(),
      provisioningKey: Buffer.alloc(32),
      profile: 'strict',
      listeners: [
        { kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' },
        { kind: 'mqtts', host: '127.0.0.1', port: 0, flag: '--tls-port', tls },
      ],
      seed: 1,
      speed: 1,
      simulate: false,
      log: silentLogger,
      outputDir: outputDir(),
    })
    cleanup.push(() => lab.stop())
    const secure = await connectAs(lab, {
      kind: 'mqtts',
      clientId: 'obs-tls',
      username: 'ward-obs',
      password: 'observer-secret',
      ca: readFileSync(tls.certFile),
      servername: 'localhost',
    })
    expect(secure.connected).toBe(true)
    await secure.subscribeAsync('hospital/#', { qos: 1 })
    const device = await connectDevice(lab, 'mon-01')
    const got = nextMessage(secure, (t) => t.endsWith('/telemetry'))
    await device.publishAsync('hospital/icu/bedside-monitor/mon-01/telemetry', envelope('mon-01', 0), { qos: 1 })
    expect(JSON.parse((await got).payload.toString())).toMatchObject({ deviceId: 'mon-01' })
    await Promise.all([secure.endAsync(), device.endAsync()])
  })
})
