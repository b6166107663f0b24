import { DEFAULT_MQTT_VERSION, isMqttVersion, type MqttVersion } from '../simulation/mqtt-version.ts'
import { WardlabError } from '../util/errors.ts'

/**
 * `--mqtt-version`, declared once for every command that builds MQTT clients (start, run, bench).
 * A string rather than an enum flag so that the refusal reads "must be 3.1.1 or 5";
 * `mqttVersionFlag` checks it before anything connects.
 */
export function mqttVersionOption(description: string): { 'mqtt-version': { type: 'string'; default: string; placeholder: string; description: string } } {
  return { 'mqtt-version': { type: 'string', default: DEFAULT_MQTT_VERSION, placeholder: '3.1.1|5', description } }
}

/** `wardlab run`'s: no default, so a scenario's own `mqttVersion` holds unless the flag is given. */
export function mqttVersionOverrideOption(description: string): { 'mqtt-version': { type: 'string'; placeholder: string; description: string } } {
  return { 'mqtt-version': { type: 'string', placeholder: '3.1.1|5', description } }
}

/** The flag's value, or a usage error (exit 2) naming the command and the flag. */
export function mqttVersionFlag(command: string, text: string): MqttVersion {
  if (!isMqttVersion(text)) throw new WardlabError('WL_USAGE', `wardlab ${command}: --mqtt-version must be 3.1.1 or 5, got "${text}"`)
  return text
}
