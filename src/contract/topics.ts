/**
 * The topic contract: every device speaks on `hospital/{ward}/{kind}/{deviceId}/{channel}` and the
 * pipeline answers under its own roots. The ACL, the simulator, the pipeline and the README all
 * derive from the constants here, so the contract lives in exactly one place.
 */

export const DEVICE_ROOT = 'hospital'

/** Channels a device publishes on. */
export const OUTBOUND_CHANNELS = ['telemetry', 'status', 'alarm', 'event'] as const
/** The one channel a device listens on. */
export const COMMAND_CHANNEL = 'cmd'
export const CHANNELS = [...OUTBOUND_CHANNELS, COMMAND_CHANNEL] as const

export type OutboundChannel = (typeof OUTBOUND_CHANNELS)[number]
export type Channel = (typeof CHANNELS)[number]

/** Roots the pipeline and the security monitor publish under; no client may publish there. */
export const OUTPUT_ROOTS = ['alerts', 'fhir', 'ops', 'quarantine', 'security'] as const

/** Every device topic: what an observer of the whole fleet subscribes to. */
export const ALL_DEVICES_FILTER = `${DEVICE_ROOT}/#`

/** Clinical, technical and NEWS2 alerts from the pipeline's routes: `alerts/{clinical|technical|news2}/…`. */
export const ALERTS_ROOT = 'alerts'
/**
 * The three kinds under it, as the default pipeline's routes name them (default-pipeline.yaml:
 * `alerts/clinical/{ward}/{priority}`, `alerts/technical/{ward}/{priority}`, `alerts/news2/{ward}`).
 */
export const CLINICAL_ALERTS_ROOT = `${ALERTS_ROOT}/clinical`
export const TECHNICAL_ALERTS_ROOT = `${ALERTS_ROOT}/technical`
export const NEWS2_ALERTS_ROOT = `${ALERTS_ROOT}/news2`

/** Each patient's current NEWS2 score, retained: the default pipeline's `ops/news2/{ward}/{patientId}`. */
export const NEWS2_SCORES_ROOT = 'ops/news2'

/** A filter for one channel of every device: `hospital/+/+/+/{channel}`. */
export function everyDevice(channel: Channel): string {
  return deviceTopic({ ward: '+', kind: '+', deviceId: '+', channel })
}

/** Security alerts, one topic per alert type: `security/alerts/{type}`. */
export const SECURITY_ALERTS_ROOT = 'security/alerts'
export const SECURITY_ALERTS_FILTER = `${SECURITY_ALERTS_ROOT}/#`
export function securityAlertTopic(type: string): string {
  return `${SECURITY_ALERTS_ROOT}/${type}`
}

/** A quarantined message's record: `quarantine/{ward}/{deviceId}`, or `quarantine/unknown/{clientId}` when no device could be told. */
export function quarantineTopic(device: { ward: string; deviceId: string } | null, clientId: string): string {
  return device ? `quarantine/${device.ward}/${device.deviceId}` : `quarantine/unknown/${clientId.replace(/[/+#]/g, '_') || 'unknown'}`
}

/** Events the pipeline's stages create (NEWS2) travel its routes under `derived/…`; they never reach the broker as such. */
export const DERIVED_ROOT = 'derived'

/** Published by a scenario run as the broker itself once the run ends: when an observer sees it, it has seen everything before it. */
export const RUN_SENTINEL_TOPIC = 'ops/wardlab/sentinel'

/**
 * MQTT 5 request/response (§4.10): a requester names a Response Topic on its command, and the
 * device answers there. Replies come back under `reply/{requester's identity name}/…`, so a
 * requester reads its own replies and nobody else's, and a device writes only where a command
 * addressed to it asked (src/broker/reply-grants.ts).
 */
export const REPLY_ROOT = 'reply'

/** The prefix under which one identity's replies arrive. */
export function replyNamespace(identityName: string): string {
  return `${REPLY_ROOT}/${identityName}/`
}

const REPLY_PREFIX = `${REPLY_ROOT}/`

export function isReplyTopic(topic: string): boolean {
  return topic === REPLY_ROOT || topic.startsWith(REPLY_PREFIX)
}

export interface DeviceTopic {
  ward: string
  kind: string
  deviceId: string
  channel: Channel
}

/** Identifiers become topic levels, so they must not carry MQTT separators or wildcards. */
export const TOPIC_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export function deviceTopic(t: DeviceTopic): string {
  return `${DEVICE_ROOT}/${t.ward}/${t.kind}/${t.deviceId}/${t.channel}`
}

/** The prefix under which one device may publish (its own namespace). */
export function deviceNamespace(t: Omit<DeviceTopic, 'channel'>): string {
  return `${DEVICE_ROOT}/${t.ward}/${t.kind}/${t.deviceId}/`
}

/** Parses a device topic; anything that is not exactly five levels under `hospital/` is null. */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== DEVICE_ROOT) return null
  const [, ward, kind, deviceId, channel] = parts as [string, string, string, string, string]
  if (!(CHANNELS as readonly string[]).includes(channel)) return null
  if (!ward || !kind || !deviceId) return null
  return { ward, kind, deviceId, channel: channel as Channel }
}

export function isOutputTopic(topic: string): boolean {
  // Asked of every PUBLISH (src/broker/acl.ts): compared in place rather than split, which allocates.
  for (const root of OUTPUT_ROOTS) if (topic.startsWith(root) && (topic.length === root.length || topic.charCodeAt(root.length) === SLASH)) return true
  return false
}

const SLASH = 0x2f

/**
 * MQTT topic filter matching (MQTT 3.1.1 §4.7): `+` matches one level, a trailing `#` matches the
 * parent and every level below. Topics starting with `$` are not matched by a leading wildcard
 * (§4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  return compileFilter(filter)(topic.split('/'))
}

/**
 * A filter split once, matching topics already split into levels: a pipeline that matches every
 * message against many routes splits the message's topic once instead of once per route.
 */
export function compileFilter(filter: string): (levels: readonly string[]) => boolean {
  const f = filter.split('/')
  const leadingWildcard = f[0] === '+' || f[0] === '#'
  return (t) => {
    if (leadingWildcard && t[0]?.startsWith('$')) return false
    return matchLevels(f, t)
  }
}

function matchLevels(f: readonly string[], t: readonly string[]): boolean {
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return i === f.length - 1
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}

/**
 * Whether every topic `inner` can match is also matched by `outer` — used to decide if a
 * requested subscription stays inside what a role may read.
 */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/')
  const i = inner.split('/')
  for (let k = 0; k < o.length; k++) {
    const level = o[k]
    if (level === '#') return true
    if (k >= i.length) return false
    const want = i[k]
    if (want === '#') return false
    if (level === '+') continue
    if (want === '+' || want !== level) return false
  }
  return o.length === i.length
}
