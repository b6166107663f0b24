import { z } from 'zod'
import { ALERT_TYPES } from '../contract/security-alert.ts'

/**
 * Detector thresholds and the response policy, validated by zod so a typo in a threshold is an
 * error, not a silently disabled detector. Every default is derived from something other than the
 * attack captures it is tested on: MQTT's own behaviour (spec clauses, keep-alive), what stock
 * client libraries do when they retry (mqtt.js reconnectPeriod 1 s, Paho's reconnect delay 1 s
 * doubling to 120 s, libmosquitto's 1 s, wardlab's devices 0.5 s doubling to 30 s), the device
 * contracts' publish rates (src/contract/devices: the fastest kinds tick at 1 Hz) and the ward's
 * make-up. ARCHITECTURE.md ("Why each threshold") tables them. The captures — MQTTset's, wardlab's
 * own attacker's exported by `--export-dataset`, and mosquitto/Paho captures recorded with dumpcap
 * (test/fixtures/captures) — only check the values: benign traffic raises nothing, attacks are named.
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
     * three times. A client that keeps a wrong password and backs off fails fewer: Paho (1 s
     * doubling) 6 times in its first minute, a wardlab device (0.5 s doubling to 30 s,
     * src/simulation/backoff.ts) about 7, mosquitto_pub once (it exits on CONNACK 5). Only a fixed
     * retry loop faster than one failure every 6 s gets here — a guesser, or a client flapping on
     * mqtt.js's 1 s reconnectPeriod, which EMQX's flapping detection also bans (15 a minute).
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
     * 50 new connections from one address in 10 s (5/s). A client opens a connection per session
     * and, once dropped, reconnects at most once a second with any stock library (mqtt.js
     * reconnectPeriod 1,000 ms, libmosquitto and Paho's first delay 1 s): five such clients behind
     * one NAT address, all flapping at once, stay under it. A connection per message (a
     * mosquitto_pub loop) at more than 5/s is not a client's behaviour but a flood's.
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
     * messages/s sustained — twice what the busiest registered device may send (the fastest kinds,
     * bedside monitor, pump and ventilator, tick at 1 Hz; × profileFactor 10). A client that is not
     * even a device has no reason to out-publish every device on the ward.
     */
    unregisteredRate: z.number().positive().default(20),
    /** And 64 KiB/s: tens-of-KB payloads at speed are a flood even at a modest message rate. */
    unregisteredBytesPerSecond: count.default(64 * 1024),
    /** Distributed floods: many clients, each under its own limit, together far above normal. */
    distributed: z
      .object({
        /** A client counts as new for its first minute: one keep-alive period of mqtt.js, Paho and mosquitto (60 s). */
        newClientMs: ms.default(60_000),
        /** Tumbling windows of 2 s: long enough to even out TCP batching (a second's messages in one chunk), short enough to name a flood in seconds. */
        windowMs: ms.default(2000),
        /**
         * 200 messages/s from new non-device clients together: ten of them each at the per-client
         * ceiling (unregisteredRate). A ward's non-device clients are a handful of stations and
         * tools, which do not come up together in one minute and publish at their ceiling.
         */
        aggregateRate: z.number().positive().default(200),
        /**
         * From at least 3 clients, or it is one client's flood (the per-client detector's). Two can be
         * one client and its own reconnect taking over the session (MQTT 3.1.1 §3.1.4-2) for a moment.
         */
        minClients: count.default(3),
      })
      .strict()
      .prefault({}),
  })
  .strict()

const slowDosSchema = z
  .object({
    /**
     * A keep-alive this long (or 0, none at all) is extreme. Client libraries default to 60 s
     * (mqtt.js, Paho, mosquitto_pub -k); AWS IoT Core accepts at most 1,200 s, and so does the strict
     * profile (Aedes keepaliveLimit), so in the lab profile it is what gets counted. A connection
     * that may stay silent for 20 minutes (§3.1.2.10 lets the broker wait 1.5× that) holds a socket
     * for nothing; the protocol's maximum is 65,535 s.
     */
    extremeKeepaliveSeconds: count.default(1200),
    /**
     * Open connections from one address with an extreme keep-alive, or sending nothing but PINGREQ:
     * 20. A device holds one connection (a hospital-at-home kit is one client behind its home
     * router), so 20 long-lived silent ones from an address are not a home or a bed space.
     */
    perAddress: count.default(20),
    /**
     * Refusals of a keep-alive over the broker's limit (strict profile) from one address in the
     * window: 5. A person who set a long keep-alive and sees it refused fixes it after one or two
     * tries. A library retrying with the same bad value (Paho, 1 s doubling: 5 in 15 s) will never
     * get in, and the alert is how an operator hears of it — an over-long keep-alive is what slow DoS uses.
     */
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
     * Weak signs, counted per address: a keep-alive of 1–4 s and connections that never send
     * CONNECT (§3.1.0: it must be the first packet). One can be a glitch — a port scan, a
     * connection cut before its first segment — 5 in a minute is a probe.
     */
    oddities: count.default(5),
    /**
     * Keep-alives shorter than this (and not 0) are odd: mosquitto's clients refuse -k below 5
     * ("must be between 5 and 65535"), the libraries default to 60, and a device that pinged every
     * second or two would spend more on PINGREQs than on readings from a 1 Hz monitor.
     */
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

/** Connections one address may hold at once (see maxConnectionsPerAddress below); `wardlab start --max-connections-per-address`. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000

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
