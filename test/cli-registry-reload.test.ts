import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { onFreePorts, runWardlab, spawnWardlab } from './support/cli.ts'

const STATUS_TOPIC = 'hospital/icu/infusion-pump/pump-bed9/status'

/**
 * `wardlab start` follows its registry file: what `wardlab device add|remove` writes takes effect
 * in the running lab, through the real CLI, a real broker and real MQTT clients.
 */
describe('a running wardlab start follows its registry file', () => {
  it('lets an added device log in and publish; an invalid edit changes nothing; a removed device is cut off and refused', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-reload-'))
    const files = ['--data-dir', dataDir]
    const registryFile = join(dataDir, 'registry.yaml')
    const cli = spawnWardlab(['start', ...onFreePorts(dataDir), '--devices', '1'])
    const clients: MqttClient[] = []
    try {
      // Generous: on a loaded shared machine, tsx and the ward's start take a while.
      const [, port] = await cli.waitFor(/mqtt:\/\/127\.0\.0\.1:(\d+)/, 60_000)
      await cli.waitFor(/"msg":"wardlab started"/, 60_000)
      const url = `mqtt://127.0.0.1:${port}`

      const added = await runWardlab(['device', 'add', '--id', 'pump-bed9', '--kind', 'infusion-pump', '--ward', 'icu', '--bed', 'icu-08', ...files])
      expect(added.code, added.stderr).toBe(0)
      expect(added.stdout).not.toMatch(/restart wardlab start/i)
      const password = added.stdout.match(/password \(shown once\): (\S+)/)![1]!
      // Only the new device: the devices already running are left alone.
      await cli.waitFor(/"added":\["pump-bed9"\],"removed":\[\],"changed":\[\],"msg":"registry reloaded/)

      const observer = await connectAsync(url, { clientId: 'reload-observer', reconnectPeriod: 0 })
      clients.push(observer)
      await observer.subscribeAsync(STATUS_TOPIC, { qos: 1 })
      const seen = new Promise<string>((resolve) => observer.once('message', (_topic, payload) => resolve(payload.toString())))
      const device = await connectAsync(url, { clientId: 'pump-bed9', username: 'pump-bed9', password, reconnectPeriod: 0, protocolVersion: 4 })
      clients.push(device)
      await device.publishAsync(STATUS_TOPIC, '{"state":"online"}', { qos: 1 })
      expect(await seen).toBe('{"state":"online"}')

      // One edit that removes the pump and breaks another device: applied whole or not at all.
      const valid = readFileSync(registryFile, 'utf8')
      const edited = parse(valid) as { devices: { id: string; kind: string }[] }
      edited.devices = edited.devices.filter((d) => d.id !== 'pump-bed9')
      edited.devices[0]!.kind = 'toaster'
      writeFileSync(registryFile, stringify(edited))
      const [refusal] = await cli.waitFor(/"msg":"registry change not applied[^\n]*/)
      expect(refusal).toMatch(/registry\.yaml:\d+:\d+: devices\[0\]\.kind: unknown device kind \\"toaster\\"/)
      expect(refusal).toContain('the registry loaded before stays in force')
      expect(device.connected).toBe(true)
      await device.publishAsync(STATUS_TOPIC, '{"state":"online"}', { qos: 1 })

      writeFileSync(registryFile, valid)
      await cli.waitFor(/"added":\[\],"removed":\[\],"changed":\[\],"msg":"registry reloaded/)
      const closed = new Promise<void>((resolve) => device.once('close', () => resolve()))
      const removed = await runWardlab(['device', 'remove', '--id', 'pump-bed9', ...files])
      expect(removed.code, removed.stderr).toBe(0)
      await closed
      await cli.waitFor(/"removed":\["pump-bed9"\].*"msg":"registry reloaded/)
      await expect(connectAsync(url, { clientId: 'pump-bed9', username: 'pump-bed9', password, reconnectPeriod: 0, protocolVersion: 4 })).rejects.toThrow(
        /bad user ?name or password/i,
      )
    } finally {
      for (const client of clients) client.end(true)
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    const stopped = JSON.parse(
      cli
        .stdout()
        .split('\n')
        .find((line) => line.includes('"msg":"wardlab stopped"'))!,
    )
    // The pipeline worker knew the pump while it was registered: none of its messages was quarantined.
    expect(stopped.quarantined).toBe(0)
  })
})
