import { deviceContract } from '../../contract/devices/index.ts'
import { vitalSignObservations } from '../../clinical/fhir.ts'
import type { Output, PipelineMessage } from '../message.ts'
import { compileRoute, type Route } from '../routing/rules.ts'
import { compileTemplate } from '../routing/template.ts'
import type { Stage, StageType } from '../stage.ts'

type Transform = (message: PipelineMessage) => unknown[]

/**
 * How a route shapes what it sends:
 * - `enriched`: the envelope (or derived event) with the registry context and receive time;
 * - `fhir-observations`: FHIR R4 vital-sign Observations, one output per resource.
 */
const TRANSFORMS: Record<Route['transform'], Transform> = {
  enriched: (message) => [{ ...(message.envelope ?? (message.body as object)), context: message.context, receivedAt: message.receivedAt }],
  'fhir-observations': (message) => {
    const { envelope, context } = message
    if (!envelope || !context?.patientId) return []
    const contract = deviceContract(context.kind)
    if (!contract) return []
    return vitalSignObservations({
      deviceId: context.deviceId,
      seq: envelope.seq,
      effectiveMs: envelope.ts,
      fields: envelope.data as Record<string, unknown>,
      codes: contract.codes,
      patientId: context.patientId,
    })
  },
}

/**
 * Stage 6: every rule whose topic filter and field predicates match adds outputs for its sinks.
 * Rules are compiled once; matching a message is a topic walk and a few property reads.
 */
export function routeStage(routes: readonly Route[]): Stage {
  const compiled = routes.map((route) => ({
    ...compileRoute(route),
    destinations: route.to.map((to) => ({ sink: to.sink, topic: to.topic ? compileTemplate(to.topic) : null })),
  }))
  return {
    name: 'route',
    process(message) {
      // What rules and templates see: the envelope (or derived event) plus where it came from.
      const subject = { ...((message.envelope ?? message.body) as object), context: message.context }
      const vars: Record<string, unknown> = { ...message.context, channel: message.device?.channel }
      const levels = message.topic.split('/')
      for (const rule of compiled) {
        if (!rule.matches(levels, subject)) continue
        for (const body of TRANSFORMS[rule.route.transform](message)) {
          for (const destination of rule.destinations) {
            const output: Output = { sink: destination.sink, body, route: rule.route.name }
            if (destination.topic) output.topic = destination.topic(vars, subject)
            message.outputs.push(output)
          }
        }
        if (rule.route.final) break
      }
      return [message]
    },
  }
}

export const route: StageType = { name: 'route', create: (context) => routeStage(context.routes) }
