import { afterEach, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { registryChange } from '../src/lab/registry-change.ts'
import { deriveDevicePassword, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { until } from '../src/util/until.ts'
import { connectAs, connectDevice, PASSWORDS, startTestLab, testRegistry } from './support/lab.ts'

const PROVISIONING_KEY = Buffer.alloc(32, 7)

/** A registry replaced under a running lab (src/lab/registry-change.ts), with real clients and the simulated fleet. */
describe('a registry change in a running lab', () => {
  let lab: Lab | null = null
  afterEach(async () => {
    await lab?.stop()
    lab = null
  })

  it('starts a simulated device added, stops it when removed, and takes nothing else down', async () => {
    const registry = await testRegistry()
    lab = await startTestLab('lab', registry, { simulate: true, provisioningKey: PROVISIONING_KEY })
    const bystander = await connectDevice(lab, 'mon-01')
    const simulated = {
      id: 'sim-02',
      kind: 'bedside-monitor',
      ward: 'icu',
      bed: 'icu-02',
      patient: 'pt-02',
      passwordHash: await hashPassword(deriveDevicePassword(PROVISIONING_KEY, 'sim-02')),
      simulated: true,
      options: {},
    }
    const withSimulated: Registry = { ...registry, devices: [...registry.devices, simulated] }
    expect(await lab.applyRegistry(withSimulated)).toEqual({ added: ['sim-02'], removed: [], changed: [] })
    expect(await until(() => lab!.fleet!.device('sim-02')?.connected === true, 10_000)).toBe(true)

    expect(await lab.applyRegistry(registry)).toEqual({ added: [], removed: ['sim-02'], changed: [] })
    expect(lab.fleet!.device('sim-02')).toBeUndefined()
    expect(bystander.connected).toBe(true)
    bystander.end(true)
  })

  it('closes the session of a removed user and of a changed device; the removed one is refused, the changed one logs in again', async () => {
    const registry = await testRegistry()
    lab = await startTestLab('lab', registry)
    const nurse = await connectAs(lab, { clientId: 'nurse-op', username: 'nurse-op', password: PASSWORDS['nurse-op'] })
    const monitor = await connectAs(lab, { clientId: 'mon-02', username: 'mon-02', password: PASSWORDS['mon-02'], protocolVersion: 5 })
    const gone = (client: typeof nurse) => new Promise<void>((resolve) => client.once('close', () => resolve()))
    const nurseGone = gone(nurse)
    const monitorGone = gone(monitor)
    const told = new Promise<number | undefined>((resolve) => monitor.once('disconnect', (packet) => resolve(packet.reasonCode)))
    const next: Registry = {
      ...registry,
      users: registry.users.filter((u) => u.username !== 'nurse-op'),
      devices: registry.devices.map((d) => (d.id === 'mon-02' ? { ...d, bed: 'icu-01' } : d)),
    }
    expect(await lab.applyRegistry(next)).toEqual({ added: [], removed: ['nurse-op'], changed: ['mon-02'] })
    await Promise.all([nurseGone, monitorGone])
    // MQTT 5 §3.14.2.1: 0x98 Administrative action.
    expect(await told).toBe(0x98)
    await expect(connectAs(lab, { clientId: 'nurse-op', username: 'nurse-op', password: PASSWORDS['nurse-op'] })).rejects.toThrow(/bad user ?name or password/i)
    const again = await connectDevice(lab, 'mon-02')
    expect(lab.registry.device('mon-02')?.bed).toBe('icu-01')
    again.end(true)
  })

  it('compares entries, not the order of their keys', async () => {
    const registry = await testRegistry()
    const reordered: Registry = { ...registry, devices: registry.devices.map((d) => Object.fromEntries(Object.entries(d).reverse()) as typeof d) }
    expect(registryChange(registry, reordered)).toEqual({ added: [], removed: [], changed: [] })
  })
})
