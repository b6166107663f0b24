import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generate } from 'mqtt-packet'
import type { Lab } from '../src/lab/lab.ts'
import { deriveDevicePassword } from '../src/registry/passwords.ts'
import { runWardlab, spawnWardlab } from './support/cli.ts'
import { connectAs, startTestLab } from './support/lab.ts'
import { exchange } from './support/raw-mqtt.ts'

/**
 * A CONNECT with a zero-byte client id and CleanSession = 0, which mqtt-packet refuses to generate:
 * made with CleanSession = 1, then the flag cleared in the connect flags byte (§3.1.2.3, after the
 * fixed header, the protocol name and the level).
 */
function emptyIdPersistentConnect(): Buffer {
  const packet = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: '', keepalive: 30 })
  packet[9] = packet[9]! & ~0x02
  return packet
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

describe('security defaults', () => {
  let strict: Lab
  let lab: Lab
  beforeAll(async () => {
    strict = await startTestLab('strict')
    lab = await startTestLab('lab')
  })
  afterAll(async () => {
    await strict?.stop()
    await lab?.stop()
  })

  it('strict profile: every anonymous action is refused — CONNECT over TCP and WebSocket, and packets without CONNECT', async () => {
    for (const kind of ['mqtt', 'ws'] as const) {
      await expect(connectAs(strict, { kind, clientId: `anon-${kind}` })).rejects.toMatchObject({ code: 5 })
    }
    // CONNACK 5 and the connection closed, for a raw anonymous CONNECT with a will.
    const will = generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'anon-will',
      keepalive: 30,
      will: { topic: 'hospital/icu/x', payload: Buffer.from('x'), qos: 1, retain: true },
    })
    expect([...(await exchange(strict, will))]).toEqual([0x20, 0x02, 0x00, 0x05])
    // A SUBSCRIBE or PUBLISH without CONNECT gets nothing back but a closed connection (§3.1.0-1).
    expect(await exchange(strict, generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 0 }] }))).toHaveLength(0)
    expect(
      await exchange(strict, generate({ cmd: 'publish', topic: 'hospital/icu/x', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })),
    ).toHaveLength(0)
    expect(strict.signals.counts.get('auth-failed')).toBeGreaterThanOrEqual(3)
    expect(strict.broker.connectedClients).toBe(0)
  })

  it('MQTT-3.1.3-8: a zero-byte client id with CleanSession = 0 gets CONNACK 0x02 and the connection closes; with CleanSession = 1 it is let in', async () => {
    expect([...(await exchange(lab, emptyIdPersistentConnect()))]).toEqual([0x20, 0x02, 0x00, 0x02])
    expect(lab.signals.counts.get('protocol-error')).toBe(1)
    const accepted = await connectAs(lab, { clientId: '', clean: true })
    expect(accepted.connected).toBe(true)
    await accepted.endAsync()
  })

  it('no plain-text password in any file or log: device add, user add and a run of start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-secrets-'))
    const device = await runWardlab([
      'device',
      'add',
      '--id',
      'pump-secret',
      '--kind',
      'infusion-pump',
      '--ward',
      'icu',
      '--bed',
      'icu-08',
      '--data-dir',
      dataDir,
    ])
    const user = await runWardlab(['user', 'add', '--username', 'nurse-secret', '--role', 'operator', '--data-dir', dataDir])
    const printed = [device.stdout, user.stdout].map((out) => out.match(/password \(shown once\): (\S+)/)![1]!)
    const cli = spawnWardlab(['start', '--port', '0', '--ws-port', '0', '--http-port', '0', '--data-dir', dataDir, '--devices', '4', '--log-level', 'debug'])
    try {
      await cli.waitFor(/"msg":"wardlab started"/)
      const [, port] = cli.stdout().match(/mqtt:\/\/127\.0\.0\.1:(\d+)/)!
      // Log in with the printed credentials, and fail with a wrong one, so the logs have logins to tell of.
      const url = `mqtt://127.0.0.1:${port}`
      const { connectAsync } = await import('mqtt')
      const nurse = await connectAsync(url, {
        protocolVersion: 4,
        clientId: 'nurse-secret',
        username: 'nurse-secret',
        password: printed[1]!,
        reconnectPeriod: 0,
      })
      await nurse.endAsync()
      await expect(
        connectAsync(url, { protocolVersion: 4, clientId: 'pump-secret', username: 'pump-secret', password: `${printed[0]}x`, reconnectPeriod: 0 }),
      ).rejects.toMatchObject({ code: 4 })
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    // Simulated devices' passwords are derived from the provisioning key; none may appear either.
    const key = Buffer.from(readFileSync(join(dataDir, 'provisioning.key'), 'utf8').trim(), 'base64')
    const derived = ['mon-icu-01', 'pump-icu-01', 'vent-icu-01'].map((id) => deriveDevicePassword(key, id))
    const secrets = [...printed, ...derived]
    const written = [cli.stdout(), cli.stderr(), device.stderr, user.stderr, ...filesUnder(dataDir).map((file) => readFileSync(file, 'latin1'))]
    for (const secret of secrets) for (const text of written) expect(text.includes(secret)).toBe(false)
    expect(filesUnder(dataDir).length).toBeGreaterThan(3)
  }, 60_000)
})
