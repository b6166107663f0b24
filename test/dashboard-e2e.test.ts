import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import {
  ALARM,
  ARTIFACTS,
  openDashboard,
  NORMAL,
  SHOCKED,
  SPO2_ALARM,
  skipBrowserTests,
  startDashboardLab,
  TELEMETRY,
  TEST_MONITOR,
} from './support/dashboard-browser.ts'
import { urlOf } from './support/lab.ts'

/**
 * The dashboard end to end, watched from the start: the default ward simulated at 30× on free
 * ports, the page in Debian's headless Chromium, a real device of our own at bed icu-09 whose
 * vitals and alarms we control, and real attacks on the broker. A page opened late:
 * dashboard-e2e-late.test.ts.
 */

/** The README's screenshot is refreshed only on request, so a test run leaves the tree clean. */
const UPDATE_README_SCREENSHOT = process.env.WARDLAB_UPDATE_SCREENSHOT === '1'

// Browser globals, for the functions below that Playwright runs inside the page (the project's
// TypeScript has no DOM lib, and must not: everything else runs on Node).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null; title: string }>
}
declare function getComputedStyle(node: unknown): { backgroundColor: string; textOverflow: string }

/** Every vital on every bed, as the page shows it right now. */
function vitalsSnapshot(page: Page): Promise<string[]> {
  return page.locator('.bed .vital .value').allTextContents()
}

describe.skipIf(skipBrowserTests)('dashboard in headless Chromium', () => {
  let lab: Lab
  let context: BrowserContext
  let page: Page
  let monitor: MqttClient
  let seq = 0
  let pageErrors: string[] = []

  const publishVitals = (data: object) =>
    monitor.publishAsync(TELEMETRY, JSON.stringify({ deviceId: TEST_MONITOR.id, kind: 'bedside-monitor', seq: ++seq, ts: Math.round(lab.clock.now()), data }), {
      qos: 1,
    })
  const publishAlarm = (active: boolean) =>
    monitor.publishAsync(
      ALARM,
      JSON.stringify({ deviceId: TEST_MONITOR.id, kind: 'bedside-monitor', seq: ++seq, ts: Math.round(lab.clock.now()), data: { ...SPO2_ALARM, active } }),
      { qos: 1 },
    )
  const bed = (id: string) => page.locator(`.bed[data-bed="${id}"]`)

  beforeAll(async () => {
    ;({ lab, monitor } = await startDashboardLab('dashboard-e2e', 30))
    ;({ context, page, pageErrors } = await openDashboard(lab))
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

  it('shows injected attacks in the security panel with their source and evidence, and saves a screenshot', { timeout: 60_000 }, async () => {
    // Wildcard snooping: a device asking for everything gets SUBACK 128. Not waited for without
    // bound: a SUBACK that never comes (a reconnecting client keeps the request) must fail below,
    // naming the panel it is missing from, not time the whole test out.
    await Promise.race([monitor.subscribeAsync('#').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))])
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
      // A timeline label keeps its whole text (in its title too); CSS, not a cut in the code, shortens it to its column.
      // Read in one go: the timeline is redrawn as time passes, so a node found first may be gone by the next call.
      const label = await page.evaluate(() => {
        const node = Array.from(document.querySelectorAll('.timeline .timeline-label')).find((n) => n.textContent?.startsWith('topic-spoofing'))
        return node && { text: node.textContent, title: node.title, overflow: getComputedStyle(node).textOverflow }
      })
      expect(label).toEqual({ text: 'topic-spoofing · e2e-intruder', title: 'topic-spoofing · e2e-intruder', overflow: 'ellipsis' })
      // The strip counts them too, at its next poll of /api/stats.
      await page
        .locator('.strip-item', { hasText: 'Security alerts' })
        .locator('.value')
        .filter({ hasText: /^[1-9]\d*$/ })
        .waitFor({ timeout: 3000 })
      await publishAlarm(true)
      await bed('icu-09').locator('.alarm-high').waitFor({ timeout: 10_000 })
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
