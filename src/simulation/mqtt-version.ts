import { z } from 'zod'

/**
 * The MQTT versions wardlab's own clients (simulated devices, scenario clients, bench generators)
 * can speak. Aedes 2 serves both on one listener; 3.1.1 stays the default so every run made before
 * MQTT 5 arrived is made the same way.
 */
export const MQTT_VERSIONS = ['3.1.1', '5'] as const
export type MqttVersion = (typeof MQTT_VERSIONS)[number]
export const DEFAULT_MQTT_VERSION: MqttVersion = '3.1.1'

/** The protocol level byte of CONNECT (MQTT 3.1.1 §3.1.2.2, MQTT 5 §3.1.2.2), as mqtt.js and mqtt-packet take it. */
export type ProtocolLevel = 4 | 5

export function protocolLevel(version: MqttVersion): ProtocolLevel {
  return version === '5' ? 5 : 4
}

/**
 * A file's `mqttVersion`, 3.1.1 when left out. YAML reads an unquoted `5` as a number, so that is
 * taken too rather than refused; the default sits before the transform so editors see it in the
 * generated JSON Schema.
 */
export const mqttVersionFieldSchema = z
  .union([z.enum(MQTT_VERSIONS), z.literal(5)], { error: 'must be "3.1.1" or "5"' })
  .default(DEFAULT_MQTT_VERSION)
  .transform((version): MqttVersion => (version === 5 ? '5' : version))

export function isMqttVersion(text: string): text is MqttVersion {
  return (MQTT_VERSIONS as readonly string[]).includes(text)
}
