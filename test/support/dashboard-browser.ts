import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { mountDashboard } from '../../src/dashboard/mount.ts'
import type { Lab } from '../../src/lab/lab.ts'
import { buildDefaultRegistry } from '../../src/registry/default-ward.ts'
import { hashPassword } from '../../src/registry/passwords.ts'
import type { Registry } from '../../src/registry/schema.ts'
import { startTestLab, urlOf } from './lab.ts'
import { untilWardConnected } from './ward-lab.ts'

/**
 * What the dashboard's browser tests share: Debian's headless Chromium (never a downloaded
 * browser), and the default ward plus bed icu-09, whose monitor is a real (non-simulated) device
 * the test drives.
 */
export const CHROMIUM = '/usr/bin/chromium'
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
export const ARTIFACTS = 'test-artifacts'

export const chromiumMissing = !existsSync(CHROMIUM)
// Locally a missing browser skips with a message; under CI it must fail, so CI cannot pass without it.
export const skipBrowserTests = chromiumMissing && !process.env.CI
if (skipBrowserTests) console.warn(`dashboard e2e skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`)

async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium (npm test installs it: scripts/provision-test-tools.sh)`)
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'wardlab-chromium-')), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  })
}

/** Simulated devices derive their passwords from it, so the registry and the lab must share it. */
export const PROVISIONING_KEY = Buffer.alloc(32, 3)
export const TEST_MONITOR = { id: 'mon-icu-09', password: 'mon-icu-09-e2e-secret' }
export const TELEMETRY = 'hospital/icu/bedside-monitor/mon-icu-09/telemetry'
export const ALARM = 'hospital/icu/bedside-monitor/mon-icu-09/alarm'
// NEWS2 0 on room air (RCP 2017 chart): every parameter in its zero band.
export const NORMAL = { heartRate: 72, pulseRate: 72, spo2: 97, respiratoryRate: 16, temperature: 37.0, nibpSystolic: 124, nibpDiastolic: 76, nibpMean: 92 }
// Septic shock: RR 30 (3) + SpO2 89 (3) + pulse 135 (3) + temperature 39.4 (2) + systolic 85 (3) = 14, high.
export const SHOCKED = {
  heartRate: 135,
  pulseRate: 134,
  spo2: 89,
  respiratoryRate: 30,
  temperature: 39.4,
  nibpSystolic: 85,
  nibpDiastolic: 48,
  nibpMean: 60,
}
export const SPO2_ALARM = { code: 'SPO2_LOW', category: 'physiological', priority: 'high', message: 'SpO2 low', parameter: 'spo2', value: 89, limit: 90 }

/** The default ward plus bed icu-09, whose monitor is a real (non-simulated) device the test drives. */
export async function registryWithTestBed(seed: string): Promise<Registry> {
  const registry = await buildDefaultRegistry({ seed, provisioningKey: PROVISIONING_KEY })
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

/** The default ward plus icu-09 simulated at `speed` with the dashboard mounted, and our monitor at icu-09 connected. */
export async function startDashboardLab(seed: string, speed: number): Promise<{ lab: Lab; monitor: MqttClient }> {
  const lab = await startTestLab('lab', await registryWithTestBed(seed), {
    provisioningKey: PROVISIONING_KEY,
    seed,
    speed,
    simulate: true,
    http: { host: '127.0.0.1', port: 0 },
  })
  mountDashboard(lab)
  // The page's tests wait seconds for live values: on a busy machine the ward's logins alone may
  // take that, so the page opens on a ward that is connected.
  await untilWardConnected(lab)
  const monitor = await connectAsync(urlOf(lab), {
    protocolVersion: 4,
    clientId: TEST_MONITOR.id,
    username: TEST_MONITOR.id,
    password: TEST_MONITOR.password,
    reconnectPeriod: 0,
  })
  return { lab, monitor }
}

/**
 * Opens the dashboard of `lab` in a fresh browser and waits until it is live. `pageErrors` collects
 * uncaught errors and console errors; `frames`, every WebSocket frame the page receives.
 */
export async function openDashboard(lab: Lab): Promise<{ context: BrowserContext; page: Page; pageErrors: string[]; frames: Buffer[] }> {
  const context = await launchChromium()
  const page = context.pages()[0] ?? (await context.newPage())
  const pageErrors: string[] = []
  const frames: Buffer[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(Buffer.from(frame.payload))))
  await page.goto(`${lab.http!.url}/`)
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 })
  return { context, page, pageErrors, frames }
}
