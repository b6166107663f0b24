import type { Channel } from '../../src/contract/topics.ts'
import { deviceTopic } from '../../src/contract/topics.ts'
import type { DeviceMessage, QuarantineReason } from '../../src/contract/device-message.ts'
import { HospitalRegistry, type Identity } from '../../src/registry/registry.ts'
import type { DeviceEntry, Registry } from '../../src/registry/schema.ts'
import type { Finding } from '../../src/contract/security-alert.ts'
import { securityConfig, type SecurityConfig } from '../../src/security/config.ts'
import type { Detector, DetectorDefinition } from '../../src/security/detector.ts'
import { createDetector } from '../../src/security/create-detectors.ts'
import type { SignalOf, SignalType } from '../../src/security/signals.ts'

/**
 * What the detectors' unit tests share: a fixed clock, hand-built broker signals and device
 * messages, a small registry, and a harness that feeds one detector and collects what it reports.
 * No broker runs: a test calls the detector as the security monitor or the pipeline would.
 */

/** The fixed "now" every test starts at (2023-11-14, a plain epoch ms). */
export const T0 = 1_700_000_000_000

export const SECOND = 1000
export const MINUTE = 60 * SECOND

/** Source addresses: one per actor, so a test can say whose count is whose. */
export const ADDRESS = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' } as const

/** A syntactically valid scrypt hash; unit tests never check a password. */
const FAKE_HASH = 'scrypt$16384$8$1$c2FsdA==$aGFzaA=='

const device = (id: string, kind: string, options: Record<string, unknown> = {}): DeviceEntry => ({
  id,
  kind,
  ward: 'icu',
  passwordHash: FAKE_HASH,
  simulated: false,
  options,
})

/** One device of each kind the detectors treat differently, and one user per role. */
export const REGISTRY: Registry = {
  version: 1,
  site: 'Unit Test Hospital',
  wards: [{ id: 'icu', name: 'ICU', beds: [] }],
  patients: [],
  devices: [
    device('mon-01', 'bedside-monitor'),
    device('mon-02', 'bedside-monitor'),
    // Noradrenaline 80 ug/mL for a 70 kg patient: the hard limit of 3 ug/kg/min is 157.5 mL/h.
    device('pump-01', 'infusion-pump', { drug: 'noradrenaline', patientWeightKg: 70 }),
    device('vent-01', 'ventilator'),
    device('kit-01', 'hospital-at-home-kit'),
    device('mri-01', 'mri-scanner'),
  ],
  users: [
    { username: 'nurse-op', role: 'operator', passwordHash: FAKE_HASH },
    { username: 'ward-obs', role: 'observer', passwordHash: FAKE_HASH },
  ],
}

export function testRegistry(): HospitalRegistry {
  return new HospitalRegistry(REGISTRY)
}

const registry = testRegistry()

/** A registered identity (device or user) as the broker would establish it at login. */
export function identity(name: string): Identity {
  const found = registry.identity(name)
  if (!found) throw new Error(`${name} is not in the unit-test registry`)
  return found
}

/** An anonymous client, as the lab profile admits one: an observer named by its client id. */
export function anonymous(clientId: string): Identity {
  return { role: 'observer', name: clientId, anonymous: true }
}

type SignalFields<T extends SignalType> = Omit<SignalOf<T>, 'type' | 'connectionId' | 'clientId' | 'address'>

/** What each signal says when a test does not care; a test overrides only what it is about. */
const DEFAULTS: { [T in SignalType]: () => SignalFields<T> } = {
  'auth-failed': () => ({ username: 'nurse-op', reason: 'wrong-password', claimsDevice: false }),
  'publish-denied': () => ({
    identity: identity('mon-01'),
    topic: 'hospital/icu/bedside-monitor/mon-02/telemetry',
    retain: false,
    reason: 'outside its namespace',
  }),
  'subscribe-denied': () => ({ identity: identity('mon-01'), filter: '#', reason: 'devices read only their own cmd topic' }),
  'connection-opened': () => ({}),
  'connection-closed': () => ({ sentConnect: true, openMs: 1000 }),
  'connect-attempt': () => ({ keepaliveSeconds: 60, usernamePresent: true, passwordPresent: true, cleanSession: true, protocolVersion: 4, willPresent: false }),
  'connect-refused': () => ({ reason: 'keepalive-limit', detail: 'keep-alive 65535 s over the limit' }),
  'connack-refused': () => ({ returnCode: 5 }),
  connected: () => ({ identity: undefined, keepaliveSeconds: 60 }),
  'session-takeover': () => ({ identity: identity('mon-01'), previous: { address: ADDRESS.a, identityName: 'mon-01', connectedForMs: 5000 } }),
  'protocol-error': () => ({ kind: 'parse', error: 'Invalid header flag bits', beforeConnect: true }),
  'load-shed': () => ({ action: 'throttle', detail: 'over its publish rate' }),
  'keepalive-timeout': () => ({}),
  ping: () => ({}),
  subscribed: () => ({ filters: ['hospital/#'] }),
  publish: () => ({ identity: undefined, topic: 'lab/test', payloadBytes: 100, qos: 0, retain: false }),
}

let nextConnectionId = 1

/** What a test may set on a signal of `type`: anything but the type itself. */
export type SignalInit<T extends SignalType> = Partial<Omit<SignalOf<T>, 'type'>>

/**
 * A broker signal of `type` with sensible defaults: a new connection id each time, client
 * `client-1` from address `a`. `fields` overrides any of it.
 */
export function signal<T extends SignalType>(type: T, fields: SignalInit<T> = {}): SignalOf<T> {
  return { type, connectionId: nextConnectionId++, clientId: 'client-1', address: ADDRESS.a, ...DEFAULTS[type](), ...fields } as SignalOf<T>
}

export interface MessageSpec {
  deviceId?: string
  channel?: Channel
  seq?: number
  /** When the value was measured (envelope `ts`); defaults to `receivedAt`. */
  ts?: number
  receivedAt?: number
  data?: unknown
  address?: string
  clientId?: string
  /** The parsed body, for messages without an envelope (commands, quarantined payloads). */
  body?: unknown
}

/** The topic registered device `deviceId` publishes `channel` on. */
export function topicOf(deviceId: string, channel: Channel = 'telemetry'): string {
  const entry = registry.device(deviceId)
  if (!entry) throw new Error(`${deviceId} is not in the unit-test registry`)
  return deviceTopic({ ward: entry.ward, kind: entry.kind, deviceId, channel })
}

/**
 * A device message as the pipeline hands it to the detectors: topic, payload, source, and —
 * for outbound channels, when there is no explicit `body` — an accepted envelope. The device's
 * kind and registry context come from the unit-test registry.
 */
export function deviceMessage(spec: MessageSpec = {}): DeviceMessage {
  const deviceId = spec.deviceId ?? 'mon-01'
  const entry = registry.device(deviceId)
  if (!entry) throw new Error(`${deviceId} is not in the unit-test registry`)
  const channel = spec.channel ?? 'telemetry'
  const receivedAt = spec.receivedAt ?? T0
  const topicParts = { ward: entry.ward, kind: entry.kind, deviceId, channel }
  const envelope =
    spec.body === undefined && channel !== 'cmd'
      ? { deviceId, kind: entry.kind, seq: spec.seq ?? 1, ts: spec.ts ?? receivedAt, data: spec.data ?? {} }
      : undefined
  const body = spec.body ?? envelope
  return {
    topic: topicOf(deviceId, channel),
    payload: Buffer.from(JSON.stringify(body)),
    receivedAt,
    source: { clientId: spec.clientId ?? deviceId, address: spec.address ?? ADDRESS.a },
    device: topicParts,
    body,
    ...(envelope ? { envelope } : {}),
    context: { deviceId, kind: entry.kind, ward: entry.ward, wardName: 'ICU' },
  }
}

/**
 * Feeds one detector and collects its findings. Each feeding call returns only the findings that
 * call produced, so a test reads "this one reported nothing, the next one reported".
 */
export class DetectorHarness {
  readonly findings: Finding[] = []
  private readonly report = (finding: Finding) => void this.findings.push(finding)

  constructor(readonly detector: Detector) {}

  signal(signal: SignalOf<SignalType>, now = T0): Finding[] {
    return this.collect(() => this.detector.onSignal!(signal, now, this.report))
  }

  /** `count` signals from `make(i)`, the i-th at `at(i)` (all at T0 unless told). */
  signals(count: number, make: (i: number) => SignalOf<SignalType>, at: (i: number) => number = () => T0): Finding[] {
    return this.collect(() => {
      for (let i = 0; i < count; i++) this.detector.onSignal!(make(i), at(i), this.report)
    })
  }

  /**
   * `threshold` signals from `make(i)` at `at(i)`: what the first `threshold - 1` reported (at a
   * boundary, nothing) and what the last one did.
   */
  crossing(threshold: number, make: (i: number) => SignalOf<SignalType>, at: (i: number) => number = () => T0): { below: Finding[]; at: Finding[] } {
    const below = this.signals(threshold - 1, make, at)
    return { below, at: this.signal(make(threshold - 1), at(threshold - 1)) }
  }

  /** A message, judged at its `receivedAt` unless `now` is given. */
  message(message: DeviceMessage, now = message.receivedAt): Finding[] {
    return this.collect(() => this.detector.onMessage!(message, now, this.report))
  }

  /** `count` messages from `make(i)`, each judged at its `receivedAt`. */
  messages(count: number, make: (i: number) => DeviceMessage): Finding[] {
    return Array.from({ length: count }, (_, i) => this.message(make(i))).flat()
  }

  quarantine(message: DeviceMessage, reason: QuarantineReason, now = message.receivedAt): Finding[] {
    return this.collect(() => this.detector.onQuarantine!(message, reason, now, this.report))
  }

  /** `count` quarantined messages from `make(i)`, each at its `receivedAt`, all for `reason`. */
  quarantines(count: number, make: (i: number) => DeviceMessage, reason: QuarantineReason = 'schema'): Finding[] {
    return Array.from({ length: count }, (_, i) => this.quarantine(make(i), reason)).flat()
  }

  sweep(now: number): void {
    this.detector.sweep!(now)
  }

  private collect(feed: () => void): Finding[] {
    const before = this.findings.length
    feed()
    return this.findings.slice(before)
  }
}

/** Times `step` ms apart from `start`: the i-th event's time, for `signals(count, make, every(...))`. */
export function every(step: number, start = T0): (i: number) => number {
  return (i) => start + i * step
}

/** A detector built as the security monitor builds it: from its registration, a security configuration (the defaults unless given) and the test registry. */
export function build(definition: DetectorDefinition, config: SecurityConfig = securityConfig()): Detector {
  return createDetector(definition, config, testRegistry())
}
