import type { RegistryContext } from '../../contract/device-message.ts'
import { deviceContract } from '../../contract/devices/index.ts'
import { vitalSignObservationsJson } from '../../clinical/fhir-json.ts'
import { BoundedMemo, MAX_REMEMBERED_TOPICS } from '../../util/bounded-memo.ts'
import type { Output, PipelineMessage } from '../message.ts'
import { compileRoute, type Route } from '../routing/rules.ts'
import { compileTemplate } from '../routing/template.ts'
import { JsonText } from '../sinks/serialize.ts'
import type { SinkTakes, Stage, StageType } from '../stage.ts'

type Transform = (message: PipelineMessage) => unknown[]

/**
 * How a route shapes what it sends:
 * - `enriched`: the envelope (or derived event) with the registry context and receive time;
 * - `fhir-observations`: FHIR R4 vital-sign Observations, one output per resource, as JSON text
 *   written from templates of the resource builder's output (src/clinical/fhir-json.ts).
 */
const TRANSFORMS: Record<Route['transform'], Transform> = {
  enriched: (message) => [{ ...(message.envelope ?? (message.body as object)), context: message.context, receivedAt: message.receivedAt }],
  'fhir-observations': (message) => {
    const { envelope, context } = message
    if (!envelope || !context?.patientId) return []
    const contract = deviceContract(context.kind)
    if (!contract) return []
    return vitalSignObservationsJson({
      deviceId: context.deviceId,
      seq: envelope.seq,
      effectiveMs: envelope.ts,
      fields: envelope.data as Record<string, unknown>,
      codes: contract.codes,
      patientId: context.patientId,
    }).map(asJsonText)
  },
}

const asJsonText = (json: string) => new JsonText(json)

/** Where an output goes: its sink and, for sinks that need one, the rendered topic. */
interface Destination {
  sink: string
  topic: string | undefined
}

/**
 * Stage 6: every rule whose topic filter and field predicates match adds outputs for its sinks.
 * Rules are compiled once, and the rules a topic's filters match are remembered per topic, so
 * matching a message is a lookup and its rules' field predicates. An output
 * is built only for destinations that take it (`Sink.takes`): an HL7 sink with no receivers, or a
 * broker topic nobody can receive, costs a question, not a FHIR resource and its JSON.
 */
export function routeStage(routes: readonly Route[], takes: SinkTakes = () => true): Stage {
  const compiled = routes.map((route) => ({
    ...compileRoute(route),
    destinations: route.to.map((to) => ({ sink: to.sink, topic: to.topic ? compileTemplate(to.topic) : null })),
  }))
  // What templates see besides the body: the registry context and the channel, the same object for
  // every message of a device and channel (the enrich stage shares one context per device).
  const varsByContext = new WeakMap<RegistryContext, Map<string | undefined, Readonly<Record<string, unknown>>>>()
  const templateVars = (message: PipelineMessage): Readonly<Record<string, unknown>> => {
    const channel = message.device?.channel
    if (!message.context) return { channel }
    let byChannel = varsByContext.get(message.context)
    if (!byChannel) varsByContext.set(message.context, (byChannel = new Map()))
    let vars = byChannel.get(channel)
    if (!vars) byChannel.set(channel, (vars = Object.freeze({ ...message.context, channel })))
    return vars
  }
  type Rule = (typeof compiled)[number]
  // Which rules' topic filters a topic matches is the same for every message on it: walked once per topic.
  const rulesByTopic = new BoundedMemo<string, readonly Rule[]>(MAX_REMEMBERED_TOPICS)
  const rulesFor = (topic: string) => {
    const levels = topic.split('/')
    return compiled.filter((rule) => rule.matchesTopic(levels))
  }
  return {
    name: 'route',
    process(message) {
      // What rules read: the envelope (or body), and the registry context apart, uncopied.
      const body = message.envelope ?? message.body
      const context = message.context ?? null
      for (const rule of rulesByTopic.get(message.topic, rulesFor)) {
        if (rule.hasPredicates && !rule.matchesFields(body, context)) continue
        let taking: Destination[] | undefined
        for (const destination of rule.destinations) {
          const topic = destination.topic ? destination.topic(templateVars(message), body, context) : undefined
          if (takes(destination.sink, topic)) (taking ??= []).push({ sink: destination.sink, topic })
        }
        if (taking) {
          for (const body of TRANSFORMS[rule.route.transform](message)) {
            for (const { sink, topic } of taking) {
              const output: Output = { sink, body, route: rule.route.name }
              if (topic !== undefined) output.topic = topic
              message.outputs.push(output)
            }
          }
        }
        if (rule.route.final) break
      }
      return [message]
    },
  }
}

export const route: StageType = { name: 'route', create: (context) => routeStage(context.routes, context.sinkTakes) }
