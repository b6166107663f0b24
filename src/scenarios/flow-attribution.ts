import type { Duplex } from 'node:stream'
import type { AlertType, Finding, SecurityAlert } from '../contract/security-alert.ts'
import type { LabHandle } from './lab-handle.ts'

/**
 * Which replayed flow caused what: the broker connection each flow opened (the broker's handle
 * runs synchronously, so the connection a flow's stream opens is announced while it is opening),
 * the client ids it used, and the alert types its findings raised. Kept per flow, not per finding,
 * so a long capture costs memory by its flows, not by its packets.
 */
export class FlowAttribution {
  /** Each alert in its final state, in the order they opened. */
  readonly alerts = new Map<string, SecurityAlert>()
  private readonly flowOfConnection = new Map<number, number>()
  private readonly clientIdsOf = new Map<number, Set<string>>()
  private readonly typesOf = new Map<number, Set<AlertType>>()
  /** Findings a detector raised without a connection (per address or client id): matched at the end. */
  private readonly unattached: Pick<Finding, 'type' | 'source'>[] = []
  private opening = -1

  constructor(lab: Pick<LabHandle, 'signals' | 'monitor'>) {
    lab.signals.on((signal) => {
      if (signal.type === 'connection-opened' && this.opening >= 0) this.flowOfConnection.set(signal.connectionId, this.opening)
      const flow = this.flowOfConnection.get(signal.connectionId)
      if (flow !== undefined && signal.clientId && (signal.type === 'connect-attempt' || signal.type === 'connected' || signal.type === 'connack-refused')) {
        this.setOf(this.clientIdsOf, flow).add(signal.clientId)
      }
    })
    lab.monitor.onFinding((finding) => {
      // A finding on the connection being opened (connect-flood counts at accept) can come before this
      // listener hears of the connection: the broker's handle runs synchronously, so it is the opening flow's.
      if (finding.connectionId !== undefined && this.opening >= 0 && !this.flowOfConnection.has(finding.connectionId))
        this.flowOfConnection.set(finding.connectionId, this.opening)
      const flow = finding.connectionId === undefined ? undefined : this.flowOfConnection.get(finding.connectionId)
      if (flow !== undefined) this.setOf(this.typesOf, flow).add(finding.type)
      else if (finding.connectionId === undefined && this.unattached.length < MAX_UNATTACHED)
        this.unattached.push({ type: finding.type, source: finding.source })
    })
    lab.monitor.onAlert((alert) => this.alerts.set(alert.id, alert))
  }

  /** Opens flow `index`'s stream into the broker, remembering the connection it becomes. */
  open(index: number, connect: () => Duplex): Duplex {
    this.opening = index
    try {
      return connect()
    } finally {
      this.opening = -1
    }
  }

  clientIds(index: number): string[] {
    return [...(this.clientIdsOf.get(index) ?? [])]
  }

  /** Alert types of the flow's connection, and of connectionless findings from its address and one of its client ids. */
  alertTypes(index: number, address: string): AlertType[] {
    const types = new Set(this.typesOf.get(index))
    const ids = this.clientIdsOf.get(index)
    for (const f of this.unattached) if (f.source.address === address && ids?.has(f.source.clientId)) types.add(f.type)
    return [...types]
  }

  private setOf<T>(map: Map<number, Set<T>>, flow: number): Set<T> {
    let set = map.get(flow)
    if (!set) map.set(flow, (set = new Set()))
    return set
  }
}

/** Connectionless findings are rare (per-username brute force, distributed floods); a bound keeps a pathological capture finite. */
const MAX_UNATTACHED = 100_000
