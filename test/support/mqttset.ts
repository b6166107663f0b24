import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'

/**
 * The MQTTset captures live beside the repository, never in it (CC BY-NC-SA 4.0):
 * `<repo>/../shared/datasets/mqttset-reduced/`.
 */
export const MQTTSET_DIR = fileURLToPath(new URL('../../../shared/datasets/mqttset-reduced/', import.meta.url))

export const MQTTSET_FILES = {
  benign: 'benign-train.pcap',
  bruteforce: 'bruteforce-train.pcapng',
  flood: 'flood-train.pcap',
  malariados: 'malariados-train.pcap',
  malformed: 'malformed-train.pcap',
  slowite: 'slowite-train.pcap',
} as const

export type MqttsetClass = keyof typeof MQTTSET_FILES

export function mqttsetPath(name: MqttsetClass): string {
  return `${MQTTSET_DIR}${MQTTSET_FILES[name]}`
}

/**
 * A describe block over the MQTTset captures. Where the folder is absent that is one failing test
 * saying where the captures belong, not a skipped block: a run without them has not checked what
 * the detectors do with real attack traffic, and must not pass as if it had.
 */
export function describeWithMqttset(title: string, body: () => void): void {
  if (existsSync(MQTTSET_DIR)) {
    describe(title, body)
  } else {
    describe(title, () => {
      it('finds the MQTTset captures', () => {
        throw new Error(
          `MQTTset captures missing at ${MQTTSET_DIR}: the tests need shared/datasets/mqttset-reduced beside the repository (see its README for the licence)`,
        )
      })
    })
  }
}
