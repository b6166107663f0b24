import { z } from 'zod'
import type { Alarm } from '../../contract/channels.ts'
import { deviceContract } from '../../contract/devices/index.ts'
import { CONTAINMENT_BY_KIND } from '../../clinical/hl7/containment.ts'
import { AlarmPhases, deviceInput, ObservationCharting, pcd01Input, type EnrichedBody } from './hl7-charting.ts'
import type { Sink, SinkContext, SinkType } from './sink.ts'

/**
 * HL7 v2 to the hospital's integration engines, as a device gateway sends it: a sink like the
 * others, so HL7 is one more way out of the route stage — which telemetry and alarms go is a
 * route in the pipeline file, and the same outputs can go to FHIR and MQTT beside it. The sink
 * decides *what* to send (charting cadence, alarm phases, patient and bed from the registry,
 * codes from the kind's contract) and hands plain PCD inputs to `context.hl7`; the MLLP links
 * (sequence numbers, ACKs, backlog) live once per receiver on the broker's thread
 * (src/hl7/gateway.ts), whichever pipeline worker the device's patient is sharded to. Without
 * `--hl7` there is no outlet and the sink takes nothing, so the route stage builds nothing for it.
 *
 * - `pcd-01`: ORU^R01 per device every `chartEveryMs` of device time, and on a settings change.
 * - `pcd-04`: ORU^R40 for every alarm raised and ended (IHE PCD TF-2 PCD-04).
 */
export function hl7Sink(
  name: string,
  options: { message: 'pcd-01' | 'pcd-04'; chartEveryMs: number },
  context: Pick<SinkContext, 'registry' | 'hl7' | 'chartRequests'>,
): Sink {
  const requests = options.message === 'pcd-01' ? (context.chartRequests ?? null) : null
  requests?.attach()
  const charting = new ObservationCharting(options.chartEveryMs, requests)
  const phases = new AlarmPhases()
  let written = 0
  return {
    name,
    get written() {
      return written
    },
    takes: () => context.hl7 !== null,
    write(_topic, raw) {
      const outlet = context.hl7
      const body = raw as EnrichedBody
      if (!outlet || !body.context) return
      const contract = deviceContract(body.context.kind)
      // Kinds with no IEEE 11073 containment (MRI, room sensors, video carts) have no PCD form.
      if (!contract || !CONTAINMENT_BY_KIND[contract.kind]) return
      const device = deviceInput(context.registry, body.context)
      if (options.message === 'pcd-04') {
        outlet({ profile: 'pcd-04', input: phases.input(device, body.data as unknown as Alarm, body.ts, contract.codes) })
        written++
        return
      }
      if (!charting.due(body.deviceId, body.ts, body.data, contract.settings ?? [])) return
      const input = pcd01Input(device, body, contract.codes)
      if (!input) return
      outlet({ profile: 'pcd-01', input })
      written++
    },
    flush: async () => undefined,
    close: async () => undefined,
  }
}

const hl7Options = {
  /** pcd-01: device observations (ORU^R01); pcd-04: alarms (ORU^R40). */
  message: z.enum(['pcd-01', 'pcd-04']),
  /** PCD-01 charting cadence, in ms of the device's (simulated) time. */
  chartEveryMs: z.int().positive().default(60_000),
}

export const hl7: SinkType<typeof hl7Options> = {
  type: 'hl7',
  options: hl7Options,
  create: (name, options, context) => hl7Sink(name, options, context),
  needsTopic: () => null,
}
