import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountDashboard } from '../src/dashboard/mount.ts'
import type { DashboardSnapshot } from '../src/dashboard/snapshot.ts'
import type { DashboardStats } from '../src/dashboard/stats.ts'
import type { Lab } from '../src/lab/lab.ts'
import { connectDevice, envelope, portOf, startTestLab, testRegistry } from './support/lab.ts'

/** The dashboard's HTTP side on a real lab: the page and its modules, the layout, the stats. */
describe('dashboard routes', () => {
  let lab: Lab
  let base: string

  beforeAll(async () => {
    lab = await startTestLab('lab', await testRegistry(), { http: { host: '127.0.0.1', port: 0 } })
    mountDashboard(lab)
    base = lab.http!.url
  })

  afterAll(async () => {
    await lab.stop()
  })

  it('serves the page with a content security policy that allows only its own scripts', async () => {
    const res = await fetch(`${base}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).toContain('src="dashboard/app.js"')
  })

  it('serves every module the page imports, down to the browser build of mqtt.js from node_modules', async () => {
    const pending = ['dashboard/app.js']
    const served = new Set<string>()
    while (pending.length) {
      const path = pending.pop()!
      if (served.has(path)) continue
      const res = await fetch(`${base}/${path}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toMatch(/^text\/javascript/)
      const source = await res.text()
      served.add(path)
      if (path.includes('/vendor/')) {
        expect(source).toContain('export default')
        continue
      }
      for (const [, relative] of source.matchAll(/^import .* from '(\.\/[^']+)'$/gm)) pending.push(`dashboard/${relative!.slice(2)}`)
    }
    expect(served).toContain('dashboard/vendor/mqtt.esm.js')
    expect(served.size).toBeGreaterThan(8)
    expect((await fetch(`${base}/dashboard/style.css`)).headers.get('content-type')).toMatch(/^text\/css/)
  })

  it('refuses anything outside the public folder, and keeps /metrics and /healthz', async () => {
    for (const path of [
      '/dashboard/..%2fstatic-files.ts',
      '/dashboard/%2e%2e/%2e%2e/package.json',
      '/dashboard/mount.ts',
      '/dashboard/vendor/mqtt.js',
      '/nothing-here',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404)
    }
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n')
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('wardlab_pipeline_messages_total')
  })

  it('gives the layout and where the broker listens, with no credentials and no scripted trajectories', async () => {
    const text = await (await fetch(`${base}/api/layout`)).text()
    const layout = JSON.parse(text)
    expect(layout.site).toBe('Test Hospital')
    expect(layout.wards).toEqual([{ id: 'icu', name: 'ICU', beds: ['icu-01', 'icu-02'] }])
    expect(layout.patients[0]).toEqual({ id: 'pt-01', ward: 'icu', bed: 'icu-01', sex: 'female', ageYears: 64, news2Scale: 1 })
    expect(layout.devices[0]).toEqual({ id: 'mon-01', kind: 'bedside-monitor', ward: 'icu', bed: 'icu-01', patient: 'pt-01', simulated: false })
    expect(layout.broker).toEqual({ wsPort: portOf(lab, 'ws'), wsPath: '/mqtt', subscriptions: expect.any(Object) })
    // The page's subscriptions, from the topic contract: device channels and the outputs it shows.
    expect(layout.broker.subscriptions).toEqual({
      'hospital/+/+/+/telemetry': { qos: 0 },
      'hospital/+/+/+/status': { qos: 1 },
      'hospital/+/+/+/event': { qos: 1 },
      'alerts/clinical/#': { qos: 1 },
      'alerts/technical/#': { qos: 1 },
      'alerts/news2/#': { qos: 1 },
      'ops/news2/#': { qos: 1 },
      'security/alerts/#': { qos: 1 },
    })
    expect(text).not.toMatch(/scrypt|passwordHash|users|nurse-op|trajectory/)
  })

  it('counts messages in /api/stats and reads the simulated clock', async () => {
    const stats = async () => (await (await fetch(`${base}/api/stats`)).json()) as DashboardStats
    const before = await stats()
    const device = await connectDevice(lab, 'mon-01')
    await device.publishAsync('hospital/icu/bedside-monitor/mon-01/telemetry', envelope('mon-01', 1, { heartRate: 80, spo2: 97 }), { qos: 1 })
    await device.publishAsync('hospital/icu/bedside-monitor/mon-01/telemetry', '{"not":"an envelope"}', { qos: 1 })
    await device.endAsync()
    const after = await stats()
    expect(after.received - before.received).toBe(2)
    expect(after.quarantined - before.quarantined).toBe(1)
    expect(after.speed).toBe(1)
    expect(Math.abs(after.simNow - lab.clock.now())).toBeLessThan(1000)
    expect(after.pipelineTimed).toBeGreaterThan(0)
    expect(after.pipelineSeconds).toBeGreaterThan(0)
  })

  it('keeps in /api/snapshot the newest vitals of each shape and the alarms raised and not yet cleared', async () => {
    const snapshot = async () => (await (await fetch(`${base}/api/snapshot`)).json()) as DashboardSnapshot
    const alarm = (seq: number, code: string, active: boolean) =>
      envelope('mon-02', seq, { code, category: 'physiological', priority: 'high', message: code, active })
    const device = await connectDevice(lab, 'mon-02')
    const telemetry = 'hospital/icu/bedside-monitor/mon-02/telemetry'
    await device.publishAsync(telemetry, envelope('mon-02', 1, { heartRate: 80, spo2: 97 }), { qos: 1 })
    await device.publishAsync(telemetry, envelope('mon-02', 2, { nibpSystolic: 120, nibpDiastolic: 80 }), { qos: 1 })
    await device.publishAsync(telemetry, envelope('mon-02', 3, { heartRate: 95, spo2: 93 }), { qos: 1 })
    await device.publishAsync('hospital/icu/bedside-monitor/mon-02/alarm', alarm(4, 'SPO2_LOW', true), { qos: 1 })
    await device.publishAsync('hospital/icu/bedside-monitor/mon-02/alarm', alarm(5, 'HR_HIGH', true), { qos: 1 })
    await device.publishAsync('hospital/icu/bedside-monitor/mon-02/alarm', alarm(6, 'HR_HIGH', false), { qos: 1 })
    await device.endAsync()
    const ours = async () => (await snapshot()).messages.filter((m) => m.body.deviceId === 'mon-02')
    // Through the pipeline's route onto alerts/clinical, as the page would have heard it; the cleared one is gone.
    const alarms = async () => (await ours()).filter((m) => m.topic.startsWith('alerts/')).map((m) => [m.topic, m.body.data.code])
    await expect.poll(alarms).toEqual([['alerts/clinical/icu/high', 'SPO2_LOW']])
    // Blood pressure and numerics come in separate messages: both stay, the numerics at their newest.
    const vitals = (await ours()).filter((m) => m.topic === telemetry).map((m) => m.body.data)
    expect(vitals).toHaveLength(2)
    expect(vitals).toContainEqual({ nibpSystolic: 120, nibpDiastolic: 80 })
    expect(vitals).toContainEqual({ heartRate: 95, spo2: 93 })
    expect((await snapshot()).securityAlertsTotal).toBe(lab.monitor.totalAlerts())
  })

  it('needs a lab that serves HTTP', async () => {
    const bare = await startTestLab()
    try {
      expect(() => mountDashboard(bare)).toThrow(/LabOptions.http/)
    } finally {
      await bare.stop()
    }
  })
})
