import { z } from 'zod'
import { ALERT_TYPES } from './alert.ts'

/**
 * Detector thresholds and the response policy, validated by zod so a typo in a threshold is an
 * error, not a silently disabled detector. Every default says why it is what it is; they were set
 * so that a simulated hour of the default ward raises nothing while the MQTTset attack captures
 * (../shared/datasets/mqttset-reduced) and the attack modules in src/attacks are caught within
 * seconds.
 */

const ms = z.number().int().positive()
const count = z.number().int().positive()

/** How long a detector remembers a key (address, client, device) it has not heard from. */
const memorySchema = z
  .object({
    /** 10 min: longer than every window below, so eviction never cuts a window short. */
    idleMs: ms.default(600_000),
    /** Keys per detector table at most; the oldest go first. 100k keys is a few MB per table. */
    maxKeys: count.default(100_000),
  })
  .strict()

const bruteForceSchema = z
  .object({
    windowMs: ms.default(60_000),
    /**
     * 10 refused logins from one address in a minute. A person mistyping a password retries two or
     * three times; MQTTset's brute forcer (one attempt every 1–3 s) reaches 10 in about 15 s, and
     * EMQX's flapping detection bans at 15 connects a minute.
     */
    perAddress: count.default(10),
    /** The same count against one username from any addresses: distributed password guessing. */
    perUsername: count.default(10),
  })
  .strict()

const connectFloodSchema = z
  .object({
    windowMs: ms.default(10_000),
    /**
     * 50 new connections from one address in 10 s (5/s). Above the brute forcer's pace (about
     * 0.7/s) so a password guesser is brute-force, not also a connect flood; CICIoMT2024's connect
     * floods and SlowITe (1,100/s) are far beyond it.
     */
    perAddress: count.default(50),
    /** 3,000 in 10 s in total: above the simulator's paced ward power-up (200 devices a second). */
    total: count.default(3000),
  })
  .strict()

const publishFloodSchema = z
  .object({
    /**
     * A registered device may publish this many times its kind's nominal rate (one message per
     * tick, from the kind's tickMs) before it floods: alarms, events and status come on top of
     * telemetry, and a pump or ventilator emits several on one tick when an alarm starts.
     */
    profileFactor: z.number().min(1).default(10),
    /** Whatever the kind's cadence, a device may always send 5 messages a second (a 10 s MRI still raises alarms). */
    minDeviceRate: z.number().positive().default(5),
    /** Seconds of allowance a publisher may spend at once (token-bucket depth). */
    burstSeconds: z.number().positive().default(10),
    /**
     * Store-and-forward kinds (home gateways) send what they kept while offline right after they
     * reconnect: they get the kind's nominal rate × the time they were away, up to this long.
     */
    maxBacklogMs: ms.default(24 * 3_600_000),
    /** Bytes a device may send per nominal message: device payloads are a few hundred bytes. */
    bytesPerMessage: count.default(2048),
    /**
     * Clients that are not devices (operators, observers in the lab sandbox, capture replays): 20
     * messages/s sustained. MQTTset's benign sensors send about 1/s; its flooder 2,200/s and the
     * mqtt-malaria clients 80–340/s each.
     */
    unregisteredRate: z.number().positive().default(20),
    /** And 64 KiB/s: tens-of-KB payloads at speed are a flood even at a modest message rate. */
    unregisteredBytesPerSecond: count.default(64 * 1024),
    /** Distributed floods: many clients, each under its own limit, together far above normal. */
    distributed: z
      .object({
        /** A client counts as new for its first minute. */
        newClientMs: ms.default(60_000),
        windowMs: ms.default(2000),
        /** 200 messages/s from new non-device clients together; MQTTset's benign set sends 7/s from 7 clients. */
        aggregateRate: z.number().positive().default(200),
        /** From at least 3 clients, or it is one client's flood (mqtt-malaria runs several workers; the MQTTset capture shows 4 publishing). */
        minClients: count.default(3),
      })
      .strict()
      .prefault({}),
  })
  .strict()

const slowDosSchema = z
  .object({
    /**
     * A keep-alive this long (or 0, none at all) is extreme: 1,200 s is what the strict profile
     * refuses outright (Aedes keepaliveLimit), so in the lab profile it is what gets counted.
     * SlowITe asks for 65,535.
     */
    extremeKeepaliveSeconds: count.default(1200),
    /** Open connections from one address with an extreme keep-alive, or sending nothing but PINGREQ. */
    perAddress: count.default(20),
    /** Refusals of a keep-alive over the broker's limit (strict profile) from one address in the window. */
    refusalsPerWindow: count.default(5),
    windowMs: ms.default(60_000),
  })
  .strict()

const malformedPacketSchema = z
  .object({
    windowMs: ms.default(60_000),
    /** Parse errors and protocol violations: one is already a crafted or broken client. */
    violations: count.default(1),
    /**
     * Weak signs, counted per address: a keep-alive of 1–4 s (MQTTSA's malformed-data probe sends
     * 1, 2 and 3; no real device pings every second) and connections that never send CONNECT. One
     * can be a glitch; 5 in a minute is a probe.
     */
    oddities: count.default(5),
    /** Keep-alives shorter than this (and not 0) are odd. */
    minSaneKeepaliveSeconds: count.default(5),
  })
  .strict()

const malformedPayloadSchema = z
  .object({
    windowMs: ms.default(60_000),
    /** Quarantined messages from one client in the window: a device with a bug fails a few times, a fuzzer keeps going. */
    perClient: count.default(5),
  })
  .strict()

const replaySchema = z
  .object({
    /** A reading stamped this far ahead of the broker's clock: beyond any NTP-synced device's skew. */
    maxFutureMs: ms.default(5 * 60_000),
    /** A live (not store-and-forward) device's reading older than this when it arrives is stale. */
    maxAgeMs: ms.default(10 * 60_000),
    /** A repeated `seq` with the same `ts`, from the same address, this soon is a QoS 1 redelivery (MQTT 3.1.1 §4.3.2), not a replay. */
    redeliveryGraceMs: ms.default(30_000),
  })
  .strict()

const falseDataSchema = z
  .object({
    /** Consecutive readings further apart than this are not compared: too much may have happened. */
    maxGapMs: ms.default(10 * 60_000),
  })
  .strict()

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
    windowMs: ms.default(60_000),
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
      banMs: ms.default(5 * 60_000),
    })
    .strict(),
])
export type ResponsePolicy = z.infer<typeof responseSchema>

export const securityConfigSchema = z
  .object({
    memory: memorySchema.prefault({}),
    bruteForce: bruteForceSchema.prefault({}),
    connectFlood: connectFloodSchema.prefault({}),
    publishFlood: publishFloodSchema.prefault({}),
    slowDos: slowDosSchema.prefault({}),
    malformedPacket: malformedPacketSchema.prefault({}),
    malformedPayload: malformedPayloadSchema.prefault({}),
    replay: replaySchema.prefault({}),
    falseData: falseDataSchema.prefault({}),
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
    maxConnectionsPerAddress: z.number().int().min(0).default(1000),
    publishRateLimit: publishRateLimitSchema.prefault({}),
    loginBudget: loginBudgetSchema.prefault({}),
  })
  .strict()

export type SecurityConfig = z.infer<typeof securityConfigSchema>
export type SecurityConfigInput = z.input<typeof securityConfigSchema>

export function securityConfig(input: SecurityConfigInput = {}): SecurityConfig {
  return securityConfigSchema.parse(input)
}
