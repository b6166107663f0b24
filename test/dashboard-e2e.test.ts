import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountDashboard } from '../src/dashboard/mount.ts'
import type { Lab } from '../src/lab/lab.ts'
import { buildDefaultRegistry } from '../src/registry/default-ward.ts'
import { hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { startTestLab, urlOf } from './support/lab.ts'

/**
 * The dashboard end to end: the default ward simulated at 30× on free ports, the page in Debian's
 * headless Chromium (never a downloaded browser), a real device of our own at bed icu-09 whose
 * vitals and alarms we control, and real attacks on the broker.
 */
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const ARTIFACTS = 'test-artifacts'
/** The README's screenshot is refreshed only on request, so a test run leaves the tree clean. */
const UPDATE_README_SCREENSHOT = process.env.WARDLAB_UPDATE_SCREENSHOT === '1'

/** Simulated devices derive their passwords from it, so the registry and the lab must share it. */
const PROVISIONING_KEY = Buffer.alloc(32, 3)
const TEST_MONITOR = { id: 'mon-icu-09', password: 'mon-icu-09-e2e-secret' }
const TELEMETRY = 'hospital/icu/bedside-monitor/mon-icu-09/telemetry'
// NEWS2 0 on room air (RCP 2017 chart): every parameter in its zero band.
const NORMAL = { heartRate: 72, pulseRate: 72, spo2: 97, respiratoryRate: 16, temperature: 37.0, nibpSystolic: 124, nibpDiastolic: 76, nibpMean: 92 }
// Septic shock: RR 30 (3) + SpO2 89 (3) + pulse 135 (3) + temperature 39.4 (2) + systolic 85 (3) = 14, high.
const SHOCKED = { heartRate: 135, pulseRate: 134, spo2: 89, respiratoryRate: 30, temperature: 39.4, nibpSystolic: 85, nibpDiastolic: 48, nibpMean: 60 }
const SPO2_ALARM = { code: 'SPO2_LOW', category: 'physiological', priority: 'high', message: 'SpO2 low', parameter: 'spo2', value: 89, limit: 90 }

const chromiumMissing = !existsSync(CHROMIUM)
// Locally a missing browser skips with a message; under CI it must fail, so CI cannot pass without it.
if (chromiumMissing && !process.env.CI) console.warn(`dashboard e2e skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`)

// Browser globals, for the functions below that Playwright runs inside the page (the project's
// TypeScript has no DOM lib, and must not: everything else runs on Node).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>
}
declare function getComputedStyle(node: unknown): { backgroundColor: string }

/** The default ward plus bed icu-09, whose monitor is a real (non-simulated) device the test drives. */
async function registryWithTestBed(): Promise<Registry> {
  const registry = await buildDefaultRegistry({ seed: 'dashboard-e2e', provisioningKey: PROVISIONING_KEY })
  registry.wards.find((w) => w.id === 'icu')!.beds.push('icu-09')
  registry.patients.push({
    id: 'pt-icu-09',
    ward: 'icu',
    bed: 'icu-09',
    sex: 'female',
    ageYears: 67,
    heightCm: 164,
    weightKg: 70,
    trajectory: 'stable',
    onsetMinutes: 0,
    hypercapnic: false,
    onOxygen: false,
  })
  registry.devices.push({
    id: TEST_MONITOR.id,
    kind: 'bedside-monitor',
    ward: 'icu',
    bed: 'icu-09',
    patient: 'pt-icu-09',
    passwordHash: await hashPassword(TEST_MONITOR.password),
    simulated: false,
    options: {},
  })
  return registry
}

/** Every vital on every bed, as the page shows it right now. */
function vitalsSnapshot(page: Page): Promise<string[]> {
  return page.locator('.bed .vital .value').allTextContents()
}

describe.skipIf(chromiumMissing && !process.env.CI)('dashboard in headless Chromium', () => {
  let lab: Lab
  let context: BrowserContext
  let page: Page
  let monitor: MqttClient
  let seq = 0
  const pageErrors: string[] = []

  const publishVitals = (data: object) =>
    monitor.publishAsync(TELEMETRY, JSON.stringify({ deviceId: TEST_MONITOR.id, kind: 'bedside-monitor', seq: ++seq, ts: Math.round(lab.clock.now()), data }), {
      qos: 1,
    })
  const publishAlarm = (active: boolean) =>
    monitor.publishAsync(
      'hospital/icu/bedside-monitor/mon-icu-09/alarm',
      JSON.stringify({ deviceId: TEST_MONITOR.id, kind: 'bedside-monitor', seq: ++seq, ts: Math.round(lab.clock.now()), data: { ...SPO2_ALARM, active } }),
      { qos: 1 },
    )
  const bed = (id: string) => page.locator(`.bed[data-bed="${id}"]`)

  beforeAll(async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium (.ci/run installs it)`)
    lab = await startTestLab('lab', await registryWithTestBed(), {
      provisioningKey: PROVISIONING_KEY,
      seed: 'dashboard-e2e',
      speed: 30,
      simulate: true,
      http: { host: '127.0.0.1', port: 0 },
    })
    mountDashboard(lab)
    monitor = await connectAsync(urlOf(lab), {
      protocolVersion: 4,
      clientId: TEST_MONITOR.id,
      username: TEST_MONITOR.id,
      password: TEST_MONITOR.password,
      reconnectPeriod: 0,
    })
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'wardlab-chromium-')), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (err) => pageErrors.push(err.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(`${lab.http!.url}/`)
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 })
  })

  afterAll(async () => {
    await context?.close()
    await monitor?.endAsync()
    await lab?.stop()
  })

  it('draws every bed from the layout and fills them with live values that change', async () => {
    expect(await page.locator('.bed').count()).toBe(9)
    expect(await bed('icu-01').locator('.patient').textContent()).toContain('pt-icu-01')
    await bed('icu-01').locator('[data-field="heartRate"] .value').filter({ hasText: /^\d+$/ }).waitFor({ timeout: 5000 })
    const first = await vitalsSnapshot(page)
    await page.waitForFunction(
      (before) => Array.from(document.querySelectorAll('.bed .vital .value')).some((node, i) => node.textContent !== before[i]),
      first,
      { timeout: 5000 },
    )
    // Units beside the numbers, and a throughput strip that counts.
    expect(await bed('icu-01').locator('[data-field="spo2"]').textContent()).toContain('%')
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#throughput .strip-item .value')?.textContent ?? ''), undefined, { timeout: 5000 })
  })

  it("changes a deteriorating patient's NEWS2 colour, and lists the confirmed band change", async () => {
    const news2 = bed('icu-09').locator('.news2')
    await publishVitals(NORMAL)
    await bed('icu-09').locator('.news2[data-band="routine"]').waitFor({ timeout: 5000 })
    const calm = await news2.evaluate((node) => getComputedStyle(node).backgroundColor)
    // The score is republished at most every 5 s simulated (≈170 ms here); keep the readings coming as a monitor would.
    const keepComing = setInterval(() => void publishVitals(SHOCKED), 100)
    try {
      await bed('icu-09').locator('.news2[data-band="high"]').waitFor({ timeout: 5000 })
      expect(await news2.evaluate((node) => getComputedStyle(node).backgroundColor)).not.toBe(calm)
      expect(await news2.locator('.score').textContent()).toBe('14*')
      // A band that held a simulated minute is announced on alerts/news2 (2 s at 30×).
      await page
        .locator('#events li', { hasText: /icu-09.*→ high/ })
        .first()
        .waitFor({ timeout: 8000 })
    } finally {
      clearInterval(keepComing)
    }
  })

  it('shows an alarm from its start until its end, in its IEC priority colour', async () => {
    await publishAlarm(true)
    const chip = bed('icu-09').locator('.alarm-high[data-code="SPO2_LOW"]')
    await chip.waitFor({ timeout: 5000 })
    expect(await bed('icu-09').getAttribute('data-alarm')).toBe('high')
    await publishAlarm(false)
    await chip.waitFor({ state: 'detached', timeout: 5000 })
  })

  it('shows injected attacks in the security panel with their source and evidence, and saves a screenshot', async () => {
    // Wildcard snooping: a device asking for everything gets SUBACK 128.
    await monitor.subscribeAsync('#').catch(() => undefined)
    // Topic spoofing: an anonymous client writing into a monitor's namespace; the broker drops it each time.
    let attacking = true
    const attacker = (async () => {
      while (attacking) {
        const intruder = await connectAsync(urlOf(lab), { protocolVersion: 4, clientId: 'e2e-intruder', reconnectPeriod: 0 })
        await intruder.publishAsync('hospital/icu/bedside-monitor/mon-icu-01/telemetry', JSON.stringify({ spoofed: true }), { qos: 0 })
        await new Promise((resolve) => setTimeout(resolve, 150))
        intruder.end(true)
      }
    })()
    try {
      const spoofing = page.locator('[data-alert-type="topic-spoofing"] .security-alert', { hasText: 'e2e-intruder' })
      await spoofing.first().waitFor({ timeout: 5000 })
      expect(await spoofing.first().locator('.evidence').textContent()).toContain('hospital/icu/bedside-monitor/mon-icu-01/telemetry')
      const snooping = page.locator('[data-alert-type="wildcard-snooping"] .security-alert', { hasText: TEST_MONITOR.id })
      await snooping.waitFor({ timeout: 5000 })
      expect(await snooping.locator('.evidence').textContent()).toContain('#')
      expect(await page.locator('.timeline rect').count()).toBeGreaterThan(0)
      // The strip counts them too, at its next poll of /api/stats.
      await page
        .locator('.strip-item', { hasText: 'Security alerts' })
        .locator('.value')
        .filter({ hasText: /^[1-9]\d*$/ })
        .waitFor({ timeout: 3000 })
      await publishAlarm(true)
      await bed('icu-09').locator('.alarm-high').waitFor()
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-full.png'), fullPage: true })
      if (UPDATE_README_SCREENSHOT) copyFileSync(join(ARTIFACTS, 'dashboard.png'), join('docs', 'dashboard.png'))
    } finally {
      attacking = false
      await attacker
    }
    expect(pageErrors).toEqual([])
  })
})
