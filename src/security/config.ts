import { z } from 'zod'
import { ALERT_TYPES } from '../contract/security-alert.ts'
import { type DetectorDefinition, detectorMemorySchema, durationMs } from './detector.ts'
import { DETECTORS } from './detectors/index.ts'

/**
 * The security configuration: each detector's thresholds under its key (from the detector's own
 * schema, detectors/index.ts lists them), the response policy and the broker's protections,
 * validated by zod so a typo in a threshold is an error, not a silently disabled detector. Every
 * default is derived from something other than the attack captures it is tested on: MQTT's own
 * behaviour (spec clauses, keep-alive), what stock client libraries do when they retry (mqtt.js
 * reconnectPeriod 1 s, Paho's reconnect delay 1 s doubling to 120 s, libmosquitto's 1 s, wardlab's
 * devices 0.5 s doubling to 30 s), the device contracts' publish rates (src/contract/devices: the fastest kinds tick at 1 Hz) and the ward's
 * make-up. ARCHITECTURE.md ("Why each threshold") tables them. The captures — MQTTset's, wardlab's
 * own attacker's exported by `--export-dataset`, and mosquitto/Paho captures recorded with dumpcap
 * (test/fixtures/captures) — only check the values: benign traffic raises nothing, attacks are named.
 */

/**
 * The rate one client may publish at, enforced by the broker itself (src/broker/publish-rate-limit.ts)
 * on wall-clock time, as EMQX's per-client `messages_rate`: a protection of the broker's memory and
 * CPU, not a detector (publish-flood is the detector, on the device's profile and simulated time).
 * Off by default, as in EMQX: a scenario on a virtual clock runs a 1 Hz monitor a thousand times
 * faster than real time, and a wall-clock limit would slow the run rather than protect anything.
 */
const publishRateLimitSchema = z
  .object({
    /** Messages a second one client may publish, sustained; 0 turns the limit off. */
    messagesPerSecond: z.number().min(0).default(0),
    /** Seconds of allowance a client may spend at once (token-bucket depth). */
    burstSeconds: z.number().positive().default(2),
    /**
     * Over the limit: `throttle` stops reading from the client until it is back under its rate, so
     * TCP pushes back on the sender (EMQX's answer); `disconnect` closes the connection.
     */
    action: z.enum(['throttle', 'disconnect']).default('throttle'),
  })
  .strict()
export type PublishRateLimit = z.infer<typeof publishRateLimitSchema>

/**
 * Failed logins one source address may have before its logins are refused unchecked, CONNACK 5 /
 * MQTT 5 0x87 (src/registry/login-budget.ts), on wall-clock time: what it protects is the CPU a
 * password hash costs. A protection, not a detector: brute-force names the attack.
 */
const loginBudgetSchema = z
  .object({
    /**
     * 20: twice the brute-force detector's 10, so guessing is named before it is cut off; a person
     * retries a typo two or three times, and a misconfigured device backing off (0.5 s doubling to
     * 30 s, src/simulation/backoff.ts) fails about 7 times in its first minute. 0 turns the budget off.
     */
    failures: z.number().int().min(0).default(20),
    /** One failure is forgiven every windowMs / failures (3 s): a guesser costs 20 hashes a minute, not 300 a second. */
    windowMs: durationMs.default(60_000),
  })
  .strict()

const responseSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('alert') }).strict(),
  z
    .object({
      action: z.literal('block'),
      /** Ban the source address (every client behind it) or just the client id. */
      by: z.enum(['address', 'clientId']).default('address'),
      /** EMQX's flapping detection bans for 5 minutes. */
      banMs: durationMs.default(5 * 60_000),
    })
    .strict(),
])
export type ResponsePolicy = z.infer<typeof responseSchema>

/** Connections one address may hold at once (see maxConnectionsPerAddress below); `wardlab start --max-connections-per-address`. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000

type Registered = (typeof DETECTORS)[number]
/** Each detector's thresholds under its key, defaults filled: `bruteForce`, `publishFlood`, … */
type DetectorThresholds = {
  [D in Registered as D extends { configKey: infer K extends string } ? K : never]: D extends { config: infer S extends z.ZodObject } ? z.ZodPrefault<S> : never
}

function detectorThresholds(): DetectorThresholds {
  const shape: Record<string, z.ZodType> = {}
  for (const detector of DETECTORS as readonly DetectorDefinition[]) {
    if (!detector.configKey) continue
    // Two detectors under one key would share, and half-validate, each other's thresholds.
    if (detector.configKey in shape) throw new Error(`two detectors register their thresholds under "${detector.configKey}"`)
    shape[detector.configKey] = detector.config.prefault({})
  }
  return shape as DetectorThresholds
}

export const securityConfigSchema = z
  .object({
    memory: detectorMemorySchema.prefault({}),
    ...detectorThresholds(),
    /**
     * Per alert type: alert only (the default for every type), or block — disconnect and ban, as
     * EMQX and Mosquitto's dynamic security can. Blocking on a false positive takes a device off
     * the ward, so it is opt-in per type.
     */
    response: z.partialRecord(z.enum(ALERT_TYPES), responseSchema).default({}),
    /**
     * Connections one address may hold at once; the preConnect hook refuses more (0: no limit).
     * 1,000 is far above a home gateway's or a NAT'ed ward's device count and keeps one address
     * from taking the 20,000 file descriptors a process has.
     */
    maxConnectionsPerAddress: z.number().int().min(0).default(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
    publishRateLimit: publishRateLimitSchema.prefault({}),
    loginBudget: loginBudgetSchema.prefault({}),
  })
  .strict()

export type SecurityConfig = z.infer<typeof securityConfigSchema>
export type SecurityConfigInput = z.input<typeof securityConfigSchema>

export function securityConfig(input: SecurityConfigInput = {}): SecurityConfig {
  return securityConfigSchema.parse(input)
}
