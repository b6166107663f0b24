import type { z } from 'zod'
import { attack } from './attack.ts'
import { brokerRestart } from './broker-restart.ts'
import { command } from './command.ts'
import { deterioration } from './deterioration.ts'
import { fault } from './fault.ts'
import { hl7ChartNow } from './hl7-chart-now.ts'
import { hl7Order } from './hl7-order.ts'
import { hl7Outage } from './hl7-outage.ts'
import { hl7ReceiverEvent } from './hl7-receiver.ts'
import { load } from './load.ts'
import { outage } from './outage.ts'

/**
 * Every kind of timeline event a scenario may use. Adding one is a file in this folder
 * (defineTimelineEvent: its schema and what it schedules) and one line here.
 */
export const TIMELINE_EVENTS = [deterioration, fault, outage, brokerRestart, command, load, attack, hl7Outage, hl7ReceiverEvent, hl7Order, hl7ChartNow] as const

/** The tuple of entry schemas, element by element (a homomorphic mapped type keeps it a tuple). */
type SchemasOf<T extends readonly { schema: z.ZodType }[]> = { -readonly [K in keyof T]: T[K]['schema'] }
type Schemas = SchemasOf<typeof TIMELINE_EVENTS>
/** The entry schemas, in the order above, for the scenario file's discriminated union. */
export const TIMELINE_EVENT_SCHEMAS = TIMELINE_EVENTS.map((type) => type.schema) as unknown as Schemas
export type TimelineEvent = z.infer<Schemas[number]>
