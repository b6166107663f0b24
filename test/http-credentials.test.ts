import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountDashboard } from '../src/dashboard/mount.ts'
import type { Lab } from '../src/lab/lab.ts'
import { PASSWORDS, startTestLab } from './support/lab.ts'

const HTTP = { host: '127.0.0.1', port: 0 }

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
}

describe('the HTTP API in the strict profile', () => {
  let strict: Lab
  let lab: Lab
  beforeAll(async () => {
    strict = await startTestLab('strict', undefined, { http: HTTP })
    lab = await startTestLab('lab', undefined, { http: HTTP })
    mountDashboard(strict)
    mountDashboard(lab)
  })
  afterAll(async () => {
    await strict?.stop()
    await lab?.stop()
  })

  it('asks anyone without credentials for them: the layout (device ids, patients), the snapshot, the metrics and the page itself', async () => {
    for (const path of ['/api/layout', '/api/stats', '/api/snapshot', '/metrics', '/', '/no-such-page']) {
      const response = await fetch(`${strict.http!.url}${path}`)
      expect(response.status, path).toBe(401)
      expect(response.headers.get('www-authenticate'), path).toBe('Basic realm="wardlab", charset="UTF-8"')
      const body = await response.text()
      expect(body, path).not.toContain('mon-01')
      expect(body, path).not.toContain('pt-01')
    }
    // Only "is it up" stays open, for an orchestrator's probe.
    expect((await fetch(`${strict.http!.url}/healthz`)).status).toBe(200)
  })

  it('refuses a wrong password (401) and a device (403); lets a registry user of role observer or above read', async () => {
    expect((await fetch(`${strict.http!.url}/api/layout`, { headers: basic('ward-obs', 'wrong') })).status).toBe(401)
    expect((await fetch(`${strict.http!.url}/api/layout`, { headers: basic('ghost', 'wrong') })).status).toBe(401)
    const device = await fetch(`${strict.http!.url}/api/layout`, { headers: basic('mon-01', PASSWORDS['mon-01']) })
    expect(device.status).toBe(403)
    expect(await device.text()).toContain('mon-01 is a device')
    for (const user of ['ward-obs', 'nurse-op', 'root'] as const) {
      const layout = await fetch(`${strict.http!.url}/api/layout`, { headers: basic(user, PASSWORDS[user]) })
      expect(layout.status, user).toBe(200)
      expect(JSON.stringify(await layout.json())).toContain('mon-01')
    }
    const metrics = await fetch(`${strict.http!.url}/metrics`, { headers: basic('ward-obs', PASSWORDS['ward-obs']) })
    expect(await metrics.text()).toContain('wardlab_clients_connected')
    // Checked as an MQTT login is: the observer's password was verified once, then remembered.
    expect(strict.registry.logins.remembered).toBeGreaterThanOrEqual(1)
  })

  it('counts a refused HTTP login like a refused MQTT login: ten wrong passwords from one address raise brute-force', async () => {
    const before = strict.monitor.alertCounts.get('brute-force') ?? 0
    const failed: string[] = []
    strict.signals.on((signal) => signal.type === 'auth-failed' && signal.clientId === '(http basic)' && failed.push(signal.reason))
    for (let i = 0; i < 10; i++) expect((await fetch(`${strict.http!.url}/metrics`, { headers: basic('nurse-op', `guess-${i}`) })).status).toBe(401)
    expect(failed).toEqual(Array(10).fill('wrong-password'))
    expect(strict.monitor.alertCounts.get('brute-force') ?? 0).toBeGreaterThan(before)
  })

  it('leaves the lab profile as it was: the dashboard reads the layout without credentials', async () => {
    expect((await fetch(`${lab.http!.url}/api/layout`)).status).toBe(200)
    expect((await fetch(`${lab.http!.url}/metrics`)).status).toBe(200)
  })
})
