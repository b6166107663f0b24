import { DEVICE_ROOT } from '../contract/topics.ts'
import { benchDevices, wardOf, type BenchDevice } from './fleet-layout.ts'

/** A contiguous slice of the fleet's connections: what one machine generates in a multi-machine run. */
export interface ConnectionShare {
  firstConnection: number
  connections: number
}

/** Splits `connections` into `parts` contiguous shares whose sizes differ by at most one. */
export function splitConnections(connections: number, parts: number): ConnectionShare[] {
  return Array.from({ length: parts }, (_, i) => {
    const first = Math.floor((connections * i) / parts)
    return { firstConnection: first, connections: Math.floor((connections * (i + 1)) / parts) - first }
  })
}

/** The devices a share's connections carry (a gateway connection carries `gateway` consecutive ones). */
export function shareDevices(share: ConnectionShare, gateway: number, totalDevices: number): BenchDevice[] {
  const first = share.firstConnection * gateway
  return benchDevices(totalDevices).slice(first, Math.min(totalDevices, first + share.connections * gateway))
}

/**
 * The topic filters that receive exactly a share's devices: `hospital/<ward>/#` for every ward the
 * share holds whole, one `hospital/<ward>/<kind>/<id>/+` per device of a ward it holds in part (at
 * most the two at its ends). Each machine's subscriber then takes only its own devices' messages
 * instead of the whole fleet's, so the broker's fan-out does not grow with the number of machines.
 */
export function shareFilters(devices: readonly BenchDevice[], totalDevices: number): string[] {
  const byWard = new Map<string, BenchDevice[]>()
  for (const d of devices) {
    const held = byWard.get(d.ward)
    if (held) held.push(d)
    else byWard.set(d.ward, [d])
  }
  const wardSizes = new Map<string, number>()
  for (let i = 0; i < totalDevices; i++) wardSizes.set(wardOf(i), (wardSizes.get(wardOf(i)) ?? 0) + 1)
  return [...byWard].flatMap(([ward, held]) =>
    held.length === wardSizes.get(ward) ? [`${DEVICE_ROOT}/${ward}/#`] : held.map((d) => `${DEVICE_ROOT}/${d.ward}/${d.kind}/${d.id}/+`),
  )
}
