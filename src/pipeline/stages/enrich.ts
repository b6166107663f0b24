import type { RegistryContext } from '../../contract/device-message.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { DeviceEntry, Ward } from '../../registry/schema.ts'
import { reject, type Stage, type StageType } from '../stage.ts'

/**
 * Stage 3: the message learns where it comes from — ward, bed, patient — from the registry, so
 * every consumer downstream can act on it without a registry of its own.
 */
export function enrichStage(registry: HospitalRegistry): Stage {
  // A device's context is the same for every message it sends: built once per registry entry (and
  // its ward's), frozen and shared, instead of an object with spreads per message.
  const contexts = new WeakMap<DeviceEntry, { ward: Ward | undefined; context: Readonly<RegistryContext> }>()
  return {
    name: 'enrich',
    process(message) {
      const topic = message.device!
      const device = registry.device(topic.deviceId)
      if (!device || device.ward !== topic.ward || device.kind !== topic.kind) {
        return reject('unknown-device', `no ${topic.kind} "${topic.deviceId}" registered in ward "${topic.ward}"`)
      }
      const ward = registry.ward(device.ward)
      let known = contexts.get(device)
      if (!known || known.ward !== ward) {
        const context: RegistryContext = { deviceId: device.id, kind: device.kind, ward: device.ward, wardName: ward?.name ?? device.ward }
        if (device.bed) context.bed = device.bed
        if (device.patient) context.patientId = device.patient
        known = { ward, context: Object.freeze(context) }
        contexts.set(device, known)
      }
      message.context = known.context
      return [message]
    },
  }
}

export const enrich: StageType = { name: 'enrich', create: (context) => enrichStage(context.registry) }
