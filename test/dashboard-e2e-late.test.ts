import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DashboardSnapshot } from '../src/dashboard/snapshot.ts'
import type { DashboardStats } from '../src/dashboard/stats.ts'
import type { Lab } from '../src/lab/lab.ts'
import {
  ALARM,
  ARTIFACTS,
  openDashboard,
  SHOCKED,
  SPO2_ALARM,
  skipBrowserTests,
  startDashboardLab,
  TELEMETRY,
  TEST_MONITOR,
} from './support/dashboard-browser.ts'
import { urlOf } from './support/lab.ts'

/**
 * A page opened after things happened (issue 19, point 7): at --speed 1, our monitor at icu-09 sends
 * its vitals and raises an alarm once, two attacks open security alerts, and all of it falls
 * silent — only then does the page open. It must show all of it at once, from /api/snapshot: the
 * test records every WebSocket frame the page receives and proves none of it came live. Security
 * alerts close after 30 simulated seconds of quiet, which at --speed 1 is long enough.
 */

// Browser globals for the function Playwright runs in the page (the project's TypeScript has no DOM lib).
declare const document: { querySelectorAll(selector: string): ArrayLike<BrowserNode> }
interface BrowserNode {
  className: string
  textContent: string | null
  scrollWidth: number
  clientWidth: number
}

/**
 * Boxes holding numbers, units and durations — what the issue saw cut (`0.0…` on a pump's line,
 * `7 min…` after a blood pressure). Inline spans have no scroll width of their own; their boxes do.
 */
const VALUE_CELLS = '.vital, .vital .name, .news2, .nibp, .device-line, .strip-item, .metric, .home-kit li, .alert-times, .security-summary'

describe.skipIf(skipBrowserTests)('dashboard opened after alarms and alerts', () => {
  let lab: Lab
  let context: BrowserContext
  let page: Page
  let monitor: MqttClient
  /** Every WebSocket frame the page received, to prove what it shows did not come live. */
  let frames: Buffer[] = []
  let pageErrors: string[] = []
  let seq = 0
  const envelope = (data: object) => JSON.stringify({ deviceId: TEST_MONITOR.id, kind: 'bedside-monitor', seq: ++seq, ts: Math.round(lab.clock.now()), data })
  const bed = (id: string) => page.locator(`.bed[data-bed="${id}"]`)

  beforeAll(async () => {
    ;({ lab, monitor } = await startDashboardLab('dashboard-e2e-late', 1))
    // The ward's history before anyone looks: vitals, an alarm raised and not cleared, two attacks.
    await monitor.publishAsync(TELEMETRY, envelope(SHOCKED), { qos: 1 })
    await monitor.publishAsync(ALARM, envelope({ ...SPO2_ALARM, active: true }), { qos: 1 })
    await monitor.subscribeAsync('#').catch(() => undefined) // wildcard snooping: SUBACK 128
    for (let i = 0; i < 40 && !openTypes(lab).includes('topic-spoofing'); i++) {
      const intruder = await connectAsync(urlOf(lab), { protocolVersion: 4, clientId: 'e2e-intruder', reconnectPeriod: 0 })
      await intruder.publishAsync('hospital/icu/bedside-monitor/mon-icu-01/telemetry', JSON.stringify({ spoofed: true }), { qos: 0 })
      await new Promise((resolve) => setTimeout(resolve, 100))
      intruder.end(true)
    }
    expect(openTypes(lab).sort()).toEqual(['topic-spoofing', 'wildcard-snooping'])

    ;({ context, page, pageErrors, frames } = await openDashboard(lab))
  })

  afterAll(async () => {
    await context?.close()
    await monitor?.endAsync()
    await lab?.stop()
  })

  it('serves the open alerts, the active alarm and the last vitals at /api/snapshot', async () => {
    const snapshot = (await (await fetch(`${lab.http!.url}/api/snapshot`)).json()) as DashboardSnapshot
    expect(snapshot.securityAlerts.map((a) => a.type).sort()).toEqual(['topic-spoofing', 'wildcard-snooping'])
    expect(snapshot.securityAlertsTotal).toBe(lab.monitor.totalAlerts())
    const ours = snapshot.messages.filter((m) => m.body.deviceId === TEST_MONITOR.id)
    expect(ours.map((m) => m.topic)).toEqual([TELEMETRY, 'alerts/clinical/icu/high'])
    expect(ours[0]!.body.data).toMatchObject(SHOCKED)
    expect(ours[1]!.body.data).toMatchObject({ code: 'SPO2_LOW', active: true })
  })

  it('shows them at once, though no message about them reached the page', async () => {
    await page.locator('[data-alert-type="topic-spoofing"] .security-alert', { hasText: 'e2e-intruder' }).waitFor({ timeout: 3000 })
    await page.locator('[data-alert-type="wildcard-snooping"] .security-alert', { hasText: TEST_MONITOR.id }).waitFor({ timeout: 1000 })
    await bed('icu-09').locator('.alarm-high[data-code="SPO2_LOW"]').waitFor({ timeout: 1000 })
    expect(await bed('icu-09').locator('[data-field="heartRate"] .value').textContent()).toBe(String(SHOCKED.heartRate))
    expect(await bed('icu-09').locator('[data-field="spo2"] .value').textContent()).toBe(String(SHOCKED.spo2))
    // Every simulated bed has numbers too, not `–`.
    for (const id of ['icu-01', 'icu-02']) expect(await bed(id).locator('[data-field="heartRate"] .value').textContent()).toMatch(/^\d+$/)
    // (A frame may carry several MQTT packets; the retained NEWS2 score of pt-icu-09 names the monitor, and may come.)
    const live = frames.map((frame) => frame.toString('latin1'))
    expect(live.filter((text) => text.includes('security/alerts'))).toEqual([])
    expect(live.filter((text) => text.includes(`/${TEST_MONITOR.id}/`) || (text.includes('alerts/') && text.includes(TEST_MONITOR.id)))).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('counts security alerts in the header and the panel from one source, equal to the monitor', async () => {
    const strip = page.locator('.strip-item', { hasText: 'Security alerts' })
    const stats = (await (await fetch(`${lab.http!.url}/api/stats`)).json()) as DashboardStats
    const open = lab.monitor.book.openAlerts().length
    await strip
      .locator('.value')
      .filter({ hasText: String(open) })
      .waitFor({ timeout: 2000 })
    expect(await strip.locator('.unit').textContent()).toBe(`open · ${stats.securityAlerts} total`)
    expect(await page.locator('.security-summary').textContent()).toBe(`${open} open · ${stats.securityAlerts} raised since the lab started`)
  })

  it('cuts no number, unit or duration at 1280×800 and 1920×1080', async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(viewport)
      // Two render ticks (250 ms each) after the resize.
      await page.waitForTimeout(600)
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-late-${viewport.width}x${viewport.height}.png`), fullPage: true })
      const cut = await page.evaluate(
        (selector) =>
          Array.from(document.querySelectorAll(selector))
            .filter((node) => node.scrollWidth > node.clientWidth)
            .map((node) => `${node.className}: ${node.textContent} (${node.scrollWidth} > ${node.clientWidth})`),
        VALUE_CELLS,
      )
      expect(cut, `${viewport.width}×${viewport.height}`).toEqual([])
    }
  })
})

function openTypes(lab: Lab): string[] {
  return lab.monitor.book.openAlerts().map((a) => a.type)
}
