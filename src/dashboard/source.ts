import type { Registry as MetricsRegistry } from 'prom-client'
import type { HttpServer } from '../ops/http-server.ts'
import type { LabHandle } from '../scenarios/lab-handle.ts'

/** What the dashboard reads: a lab that serves HTTP and keeps Prometheus metrics (the embedded one). */
export interface DashboardSource extends Pick<LabHandle, 'registry' | 'bound' | 'clock' | 'pipeline' | 'stats' | 'monitor' | 'embedded' | 'hl7'> {
  readonly http: HttpServer | null
  readonly bound: readonly { kind: string; url: string; port: number }[]
  readonly metrics: { readonly registry: MetricsRegistry }
}
