import type { DashboardSource } from './source.ts'
import type { HttpHandler } from '../ops/http-server.ts'
import { dashboardLayout } from './layout.ts'
import { dashboardSnapshot } from './snapshot.ts'
import { dashboardStats } from './stats.ts'
import { DASHBOARD_SUBSCRIPTIONS } from './subscriptions.ts'
import { indexPage, publicFiles } from './static-files.ts'
import { WardState } from './ward-state.ts'

/** Where the page finds the broker (the port: the host is whatever the browser reached us by), and what it subscribes to. */
export interface DashboardBroker {
  wsPort: number | null
  wsPath: string
  subscriptions: typeof DASHBOARD_SUBSCRIPTIONS
}

/**
 * Serves the live dashboard on the lab's HTTP port: the page at `/`, its files under
 * `/dashboard/`, the hospital's layout at `/api/layout`, running totals at `/api/stats`, and what a
 * page opened now would have missed at `/api/snapshot` (open alerts, active alarms, last vitals).
 * Everything live reaches the page over MQTT-over-WebSocket, as an anonymous observer — the same
 * way any other client would read the broker. Works with any lab (`wardlab start`, scenario runs).
 */
export function mountDashboard(lab: DashboardSource): void {
  if (!lab.http) throw new Error('the dashboard needs the lab to serve HTTP (LabOptions.http)')
  const ward = new WardState()
  // Against a broker wardlab does not run there is nothing to watch in-process; the snapshot then holds only security alerts.
  lab.embedded?.broker.on('publish', (packet) => ward.observe(packet.topic, packet.payload))
  for (const filter of WardState.OUTPUTS_READ) lab.embedded?.watchOutputs(filter)
  lab.http.mount({
    '/': indexPage,
    '/dashboard/': publicFiles,
    '/api/layout': json(() => ({ ...dashboardLayout(lab.registry.data), broker: dashboardBroker(lab) })),
    '/api/stats': json(() => dashboardStats(lab)),
    '/api/snapshot': json(() => dashboardSnapshot(lab, ward)),
  })
}

function dashboardBroker(lab: DashboardSource): DashboardBroker {
  const ws = lab.bound.find((b) => b.kind === 'ws')
  return { wsPort: ws ? ws.port : null, wsPath: ws ? new URL(ws.url).pathname : '/mqtt', subscriptions: DASHBOARD_SUBSCRIPTIONS }
}

function json(body: () => unknown): HttpHandler {
  return async (_req, res) => {
    const text = JSON.stringify(await body())
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(text)
  }
}
