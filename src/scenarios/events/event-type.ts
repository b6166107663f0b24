import type { MqttClient } from 'mqtt'
import { z } from 'zod'
import { TOPIC_ID_PATTERN } from '../../contract/topics.ts'
import type { Hl7Receiver } from '../../hl7/receiver.ts'
import type { Registry } from '../../registry/schema.ts'
import type { DeviceFault } from '../../simulation/device-runner.ts'
import { WardlabError } from '../../util/errors.ts'
import { durationSchema } from '../duration.ts'
import type { LabHandle } from '../lab-handle.ts'

/** Identifiers become topic levels (src/contract/topics.ts). */
export const idSchema = z.string().regex(TOPIC_ID_PATTERN, 'letters, digits, "_", "." or "-", at most 64')

/** Which devices an event applies to: ids, or everything matching ward and kind. */
export const deviceSelectorSchema = z.union([idSchema, z.array(idSchema).min(1), z.object({ ward: idSchema.optional(), kind: idSchema.optional() }).strict()])
export type DeviceSelector = z.infer<typeof deviceSelectorSchema>

/** Every event has a time from the start of the run and may have an id that expectations refer to. */
export const eventBase = { at: durationSchema, id: idSchema.optional() }

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
  /** The run's own HL7 receiver, when it was given none (`hl7-receiver` events change its behaviour). */
  hl7Receiver: Hl7Receiver | null
}

/**
 * One kind of timeline event, like a Node-RED node: the schema of its entry in a scenario file and
 * what it schedules on the run's clock when the run starts. Each event kind is one file in this
 * folder and one line in events/index.ts; the scenario schema and the runner follow from the list.
 */
export interface TimelineEventType<Name extends string, Schema extends z.ZodObject<{ event: z.ZodLiteral<Name> }>> {
  readonly event: Name
  readonly schema: Schema
  /** `index` is the event's position in the timeline (load events find their devices by it). */
  schedule(event: z.infer<Schema>, ctx: TimelineContext, index: number): void
}

export function defineTimelineEvent<Name extends string, Schema extends z.ZodObject<{ event: z.ZodLiteral<Name> }>>(
  type: TimelineEventType<Name, Schema>,
): TimelineEventType<Name, Schema> {
  return type
}

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

/** A simulated device of the run, by id. */
export function device(ctx: TimelineContext, id: string) {
  const found = ctx.lab.fleet?.device(id)
  if (!found) throw new WardlabError('WL_CONFIG_INVALID', `device "${id}" is not simulated in this run`)
  return found
}

/** Runs `task` at `offset` simulated ms after the start. */
/** Runs `task` at `offset` from the start of the run, on the run's clock. */
export function at(ctx: TimelineContext, offset: number, task: () => void): void {
  ctx.lab.clock.at(ctx.start + offset, task)
}

/** Sets a fault on devices at `from`, and clears it `duration` later when there is one. */
export function applyFault(ctx: TimelineContext, ids: string[], fault: DeviceFault, from: number, duration: number | undefined, value = 0): void {
  at(ctx, from, () => ids.forEach((id) => device(ctx, id).setFault(fault, true, value)))
  if (duration !== undefined) at(ctx, from + duration, () => ids.forEach((id) => device(ctx, id).setFault(fault, false)))
}

/** Notes an event for the report, with its id when it has one. */
export function noteOf(
  event: { at: number; id?: string | undefined },
  what: string,
  until?: number,
): { at: number; id?: string; what: string; until?: number } {
  return { at: event.at, ...(event.id ? { id: event.id } : {}), what, ...(until !== undefined ? { until } : {}) }
}
