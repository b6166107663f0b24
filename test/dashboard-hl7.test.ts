import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountDashboard } from '../src/dashboard/mount.ts'
import type { DashboardSnapshot } from '../src/dashboard/snapshot.ts'
import type { DashboardStats } from '../src/dashboard/stats.ts'
import type { Lab } from '../src/lab/lab.ts'
import { until } from '../src/util/until.ts'
import { openDashboard, PROVISIONING_KEY, registryWithTestBed, skipBrowserTests } from './support/dashboard-browser.ts'
import { PythonReceiver } from './support/hl7-python.ts'
import { startTestLab } from './support/lab.ts'

/**
 * The dashboard's HL7 links (issue 18): each `--hl7` link's state, queue depth, ACK latency and
 * account in /api/snapshot and /api/stats, and on the page in Debian's Chromium — following the
 * link live when its receiver (python-hl7) goes away.
 */

const FAST_RECONNECT = { reconnect: { initialDelayMs: 50, maxDelayMs: 300, connectTimeoutMs: 1000 } }

describe.skipIf(skipBrowserTests)('dashboard HL7 links', () => {
  let receiver: PythonReceiver
  let lab: Lab
  let link: string
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    // No report line per message: the receiver only parses and acknowledges, so a loaded machine keeps it on time.
    receiver = await PythonReceiver.start({ report: 'none' })
    link = `mllp://127.0.0.1:${receiver.port}`
    lab = await startTestLab('lab', await registryWithTestBed('dashboard-hl7'), {
      provisioningKey: PROVISIONING_KEY,
      seed: 'dashboard-hl7',
      speed: 10,
      simulate: true,
      http: { host: '127.0.0.1', port: 0 },
      hl7: { links: [{ url: link, ...FAST_RECONNECT }] },
    })
    mountDashboard(lab)
  }, 30_000)

  afterAll(async () => {
    await context?.close()
    await lab?.stop()
    await receiver?.stop()
  })

  it('gives each link in /api/snapshot and /api/stats: state, queue, ACK latency, and a balanced account', async () => {
    expect(await until(() => (lab.hl7?.gateway.stats()[0]?.acknowledged ?? 0) >= 3, 20_000)).toBe(true)
    const snapshot = (await (await fetch(`${lab.http!.url}/api/snapshot`)).json()) as DashboardSnapshot
    const [view] = snapshot.hl7Links
    expect(snapshot.hl7Links).toHaveLength(1)
    expect(view).toMatchObject({ url: link, state: 'connected', deadLettered: 0 })
    expect(view!.acknowledged).toBeGreaterThan(0)
    expect(view!.generated).toBe(view!.acknowledged + view!.deadLettered + view!.pending)
    expect(view!.ackLatencyMs.p99).toBeGreaterThan(0)
    expect(view!.ackLatencyMs.p50).toBeLessThanOrEqual(view!.ackLatencyMs.p99)
    const stats = (await (await fetch(`${lab.http!.url}/api/stats`)).json()) as DashboardStats
    expect(stats.hl7Links.map((l) => l.url)).toEqual([link])
  })

  it('shows the link on the page, and follows it when the receiver goes down', async () => {
    ;({ context, page } = await openDashboard(lab))
    const row = page.locator(`.hl7-link[data-link="${link}"]`)
    await row.locator('.hl7-state', { hasText: 'connected' }).waitFor({ timeout: 20_000 })
    expect(await page.locator('#hl7-panel').isVisible()).toBe(true)
    expect(await row.locator('.hl7-account').textContent()).toMatch(/^generated (\d+) = acknowledged \d+ \+ dead-lettered 0 \+ pending \d+$/)
    expect(await row.locator('.hl7-queue').textContent()).toMatch(/^queue \d+ \([\d.]+ KiB\) · ACK [\d.]+ ms p50 · [\d.]+ ms p99$/)

    await receiver.stop()
    await row.locator('.hl7-state', { hasText: 'down, retrying' }).waitFor({ timeout: 15_000 })
    // The backlog grows while the receiver is away, and the page shows it.
    await page.waitForFunction((url) => /^queue [1-9]\d* /.test(document.querySelector(`.hl7-link[data-link="${url}"] .hl7-queue`)?.textContent ?? ''), link, {
      timeout: 15_000,
    })
  }, 60_000)
})

declare const document: { querySelector(selector: string): { textContent: string | null } | null }
