import type { MqttClient } from 'mqtt'
import type { LabHandle } from './lab-handle.ts'
import type { Registry } from '../registry/schema.ts'
import type { DeviceFault } from '../simulation/device-runner.ts'
import { WardlabError } from '../util/errors.ts'
import type { DeviceSelector, TimelineEvent } from './schema.ts'
import { COMMAND_CHANNEL, deviceTopic } from '../contract/topics.ts'

/** What an event handler may use: the lab, the simulated time origin, and clients it can act through. */
export interface TimelineContext {
  lab: LabHandle
  registry: Registry
  start: number
  /** Devices each load event brings, in joining order (bed by bed). */
  loadDevices: ReadonlyMap<number, string[]>
  /** A connected client with that role, made on first use. */
  client(role: 'operator' | 'observer'): Promise<MqttClient>
  /** Records what happened, for the report's timeline. */
  note(event: { at: number; id?: string; what: string; until?: number }): void
  /** Starts an attack now for `durationMs` of simulated time; null when the broker is not embedded. */
  launchAttack: ((type: string, params: Record<string, unknown>, durationMs: number) => void) | null
}

type Handler<E extends TimelineEvent['event']> = (event: Extract<TimelineEvent, { event: E }>, ctx: TimelineContext, index: number) => void

export function selectDevices(selector: DeviceSelector, registry: Registry): string[] {
  const ids =
    typeof selector === 'string'
      ? [selector]
      : Array.isArray(selector)
        ? selector
        : registry.devices.filter((d) => (!selector.ward || d.ward === selector.ward) && (!selector.kind || d.kind === selector.kind)).map((d) => d.id)
  for (const id of ids) if (!registry.devices.some((d) => d.id === id)) throw new WardlabError('WL_CONFIG_INVALID', `the timeline names unknown device "${id}"`)
  return ids
}

function device(ctx: TimelineContext, id: string) {
  const found = ctx.lab.fleet?.device(id)
  if (!found) throw new WardlabError('WL_CONFIG_INVALID', `device "${id}" is not simulated in this run`)
  return found
}

/** Runs `task` at `offset` simulated ms after the start. */
function at(ctx: TimelineContext, offset: number, task: () => void): void {
  ctx.lab.clock.at(ctx.start + offset, task)
}

function applyFault(ctx: TimelineContext, ids: string[], fault: DeviceFault, from: number, duration: number | undefined, value = 0): void {
  at(ctx, from, () => ids.forEach((id) => device(ctx, id).setFault(fault, true, value)))
  if (duration !== undefined) at(ctx, from + duration, () => ids.forEach((id) => device(ctx, id).setFault(fault, false)))
}

/**
 * What each timeline event does when its time comes. Deterioration has no handler: it was folded
 * into the patient's trajectory when the registry was built (a course is a function of time).
 */
export const TIMELINE_HANDLERS: { [E in TimelineEvent['event']]: Handler<E> } = {
  deterioration(event, ctx) {
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: `${event.patient} starts ${event.trajectory}` })
  },
  fault(event, ctx) {
    const ids = selectDevices(event.devices, ctx.registry)
    applyFault(ctx, ids, event.fault, event.at, event.duration, event.value)
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: `${event.fault} on ${ids.length === 1 ? ids[0] : `${ids.length} devices`}`, ...(event.duration !== undefined ? { until: event.at + event.duration } : {}) })
  },
  outage(event, ctx) {
    const ids = selectDevices(event.devices, ctx.registry)
    applyFault(ctx, ids, 'offline', event.at, event.duration)
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: `network outage for ${ids.length} device${ids.length === 1 ? '' : 's'}`, until: event.at + event.duration })
  },
  'broker-restart'(event, ctx) {
    const embedded = ctx.lab.embedded
    if (!embedded) throw new WardlabError('WL_CONFIG_INVALID', 'a broker-restart event needs the embedded broker; it cannot restart a broker given with --broker')
    at(ctx, event.at, () => embedded.restartBroker(event.downtime))
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: 'broker restart', until: event.at + event.downtime })
  },
  command(event, ctx) {
    const entry = ctx.registry.devices.find((d) => d.id === event.device)
    if (!entry) throw new WardlabError('WL_CONFIG_INVALID', `the command event names unknown device "${event.device}"`)
    const topic = deviceTopic({ ward: entry.ward, kind: entry.kind, deviceId: entry.id, channel: COMMAND_CHANNEL })
    at(ctx, event.at, () => {
      const command = { id: event.id ?? `cmd-${event.at}`, issuedBy: `scenario-${event.as}`, ...event.command }
      void ctx.client(event.as).then((client) => client.publish(topic, JSON.stringify(command), { qos: 1 }))
    })
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: `${event.as} sends ${event.command.action} to ${event.device}` })
  },
  attack(event, ctx) {
    const launch = ctx.launchAttack
    if (!launch) throw new WardlabError('WL_CONFIG_INVALID', 'attack events need the embedded broker: attackers connect to it in-process, labelled with their source address')
    at(ctx, event.at, () => launch(event.attack, event.params, event.duration))
    ctx.note({ at: event.at, ...(event.id ? { id: event.id } : {}), what: `attack: ${event.attack}`, until: event.at + event.duration })
  },
  load(event, ctx, index) {
    const beds = ctx.loadDevices.get(index) ?? []
    const perBed = event.devices.length
    let offset = event.at
    let current = 0
    for (const stage of event.stages) {
      // Like a k6 stage: move linearly from the current bed count to the target over the stage.
      const from = current
      const steps = Math.abs(stage.target - from)
      for (let step = 1; step <= steps; step++) {
        const bedsNow = from + Math.sign(stage.target - from) * step
        const when = offset + (stage.duration * step) / steps
        const growing = stage.target > from
        const bed = growing ? bedsNow - 1 : bedsNow
        const ids = beds.slice(bed * perBed, bed * perBed + perBed)
        at(ctx, when, () => ids.forEach((id) => (growing ? device(ctx, id).start(ctx.start + when) : void device(ctx, id).stop())))
      }
      ctx.note({ at: offset, what: `load: ${from} → ${stage.target} beds of ${event.devices.join(' + ')} in ${event.ward}`, until: offset + stage.duration })
      current = stage.target
      offset += stage.duration
    }
  },
}
