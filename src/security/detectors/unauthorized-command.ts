import { COMMAND_CHANNEL } from '../../contract/topics.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import { incidentKey, sourceOf } from '../alert-source.ts'
import { commandOverLimit } from '../command-limits.ts'
import { defineDetector, type Detector } from '../detector.ts'
import { isDeviceCommand } from './topic-spoofing.ts'

/**
 * Commands to devices that must not be: one from anyone but an operator or admin (the ACL refuses
 * it and closes the connection — a device, an observer or an anonymous client trying to drive a
 * pump), or one from an operator that asks for a setting beyond the device's hard limit (a pump
 * rate above the drug's hard maximum: the known infusion-pump attack).
 */
function unauthorizedCommandDetector(registry: HospitalRegistry): Detector {
  return {
    name: 'unauthorized-command',
    signals: ['publish-denied'],
    onSignal(signal, _now, report) {
      if (signal.type !== 'publish-denied' || !isDeviceCommand(signal.topic)) return
      report({
        type: 'unauthorized-command',
        severity: 'critical',
        source: sourceOf(signal.clientId, signal.address, signal.identity),
        evidence: { reason: 'not-an-operator', topic: signal.topic, role: signal.identity.role, retain: signal.retain, refusal: signal.reason },
        key: incidentKey(signal.address, signal.identity),
      })
    },
    onMessage(message, _now, report) {
      if (message.device?.channel !== COMMAND_CHANNEL || !message.context) return
      const device = registry.device(message.context.deviceId)
      const command = message.body as Record<string, unknown>
      const overLimit = device ? commandOverLimit(device, command) : null
      if (!overLimit) return
      report({
        type: 'unauthorized-command',
        severity: 'critical',
        source: { clientId: message.source.clientId, address: message.source.address },
        evidence: { reason: 'beyond-hard-limit', detail: overLimit, deviceId: message.context.deviceId, action: command.action, topic: message.topic },
        key: incidentKey(message.source.address, undefined),
      })
    },
  }
}

export const unauthorizedCommand = defineDetector({ create: ({ registry }) => unauthorizedCommandDetector(registry) })
