import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { LabStats } from '../scenarios/lab-handle.ts'
import type { SecurityMonitor } from '../security/monitor.ts'
import type { Fleet } from '../simulation/fleet.ts'

/** The status line's and the dashboard's totals, the same for either lab; only who counts clients differs. */
export function labStats(parts: { fleet: Fleet | null; clientsConnected: number; counters: PipelineCounters; monitor: SecurityMonitor }): LabStats {
  return {
    devicesConnected: parts.fleet?.connectedCount() ?? 0,
    devicesSimulated: parts.fleet?.devices.length ?? 0,
    clientsConnected: parts.clientsConnected,
    received: parts.counters.received,
    quarantined: parts.counters.quarantined,
    alerts: parts.monitor.totalAlerts(),
  }
}
