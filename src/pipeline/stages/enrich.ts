import type { HospitalRegistry } from '../../registry/registry.ts'
import { reject, type Stage, type StageType } from '../stage.ts'

/**
 * Stage 3: the message learns where it comes from — ward, bed, patient — from the registry, so
 * every consumer downstream can act on it without a registry of its own.
 */
export function enrichStage(registry: HospitalRegistry): Stage {
  return {
    name: 'enrich',
    process(message) {
      const topic = message.device!
      const device = registry.device(topic.deviceId)
      if (!device || device.ward !== topic.ward || device.kind !== topic.kind) {
        return reject('unknown-device', `no ${topic.kind} "${topic.deviceId}" registered in ward "${topic.ward}"`)
      }
      message.context = {
        deviceId: device.id,
        kind: device.kind,
        ward: device.ward,
        wardName: registry.ward(device.ward)?.name ?? device.ward,
        ...(device.bed ? { bed: device.bed } : {}),
        ...(device.patient ? { patientId: device.patient } : {}),
      }
      return [message]
    },
  }
}

export const enrich: StageType = { name: 'enrich', create: (context) => enrichStage(context.registry) }
