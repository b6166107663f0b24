/**
 * The security alert a wardlab broker publishes on `security/alerts/{type}`. One open alert per
 * source and type: while an attack goes on the same alert is updated (count, lastSeen), and it is
 * closed when the source has been quiet for a while, so a SIEM sees one incident, not ten thousand.
 */
export const ALERT_TYPES = [
  'auth-failure',
  'brute-force',
  'auth-bypass',
  'connect-flood',
  'publish-flood',
  'slow-dos',
  'malformed-packet',
  'malformed-payload',
  'topic-spoofing',
  'wildcard-snooping',
  'client-takeover',
  'replay',
  'false-data',
  'unauthorized-command',
  'retained-poisoning',
] as const
export type AlertType = (typeof ALERT_TYPES)[number]

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Where a finding came from, as a broker sees it. */
export interface AlertSource {
  clientId: string
  address: string
  deviceId?: string
  username?: string
}

/** What a detector reports: one observation, before de-duplication. */
export interface Finding {
  type: AlertType
  severity: Severity
  source: AlertSource
  /** What the broker saw, in enough detail to act on without reading logs. */
  evidence: Record<string, unknown>
  /** Which source attribute identifies the incident; defaults to the address. */
  key?: string
  /** The broker connection that caused it, when the detector saw one (not part of the published alert). */
  connectionId?: number
}

export interface SecurityAlert {
  id: string
  type: AlertType
  severity: Severity
  state: 'open' | 'closed'
  /** Epoch ms of this update. */
  ts: number
  clientId: string
  deviceId?: string
  username?: string
  address: string
  evidence: Record<string, unknown>
  firstSeen: number
  lastSeen: number
  count: number
}
