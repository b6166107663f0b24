// What the page knows about the hospital, built from the broker's messages. Views read it; only
// `apply` writes it. Payloads are checked for shape before use: anything a device can publish may
// arrive here, including garbage the pipeline quarantined.

/** Trend points kept per device (a few minutes of 1 Hz numerics, hours of 10 s MRI readings). */
const TREND_POINTS = 240
/** Which numeric field each kind draws as a trend. */
const TREND_FIELD = { 'bedside-monitor': 'heartRate', 'mri-scanner': 'heliumLevelPct' }
const MAX_EVENTS = 60
const MAX_SECURITY_ALERTS = 200
/** Before a device's rate is known, assume a reading a minute. */
const UNKNOWN_INTERVAL_MS = 60_000

const utf8 = new TextDecoder()
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)
const isEnvelope = (v) => isObject(v) && typeof v.deviceId === 'string' && Number.isFinite(v.ts) && isObject(v.data)

function newDevice(entry) {
  return {
    id: entry.id,
    kind: entry.kind,
    ward: entry.ward,
    bed: entry.bed,
    patient: entry.patient,
    room: entry.room,
    status: null,
    /** Newest measurement time, and the shortest gap between two readings (the device's rate). */
    lastTs: null,
    interval: UNKNOWN_INTERVAL_MS,
    /** Latest value of each telemetry field with when it was measured (`ts`) and arrived (`wall`). */
    fields: new Map(),
    /** Sensor readings by sensor, for kits that send one sensor per message. */
    readings: new Map(),
    trend: [],
    /** Active alarm conditions by code. */
    alarms: new Map(),
    phase: null,
  }
}

export class WardModel {
  constructor(layout, clock) {
    this.layout = layout
    this.clock = clock
    this.devices = new Map(layout.devices.map((d) => [d.id, newDevice(d)]))
    /** Current NEWS2 per patient (ops/news2), or the last band change until a score arrives. */
    this.scores = new Map()
    this.securityAlerts = new Map()
    /** Security alerts opened since the lab started: the header's total, kept beside the open ones so the two cannot disagree. */
    this.securityTotal = 0
    /** Ward events, newest first: alarms raised and cleared, NEWS2 band changes. */
    this.events = []
    /** Bumped when a list changes, so views rebuild lists only then. */
    this.revision = { events: 0, security: 0 }
  }

  apply(topic, payload) {
    if (payload.length === 0) return
    let body
    try {
      body = JSON.parse(utf8.decode(payload))
    } catch {
      return
    }
    this.applyBody(topic, body)
  }

  /**
   * The state a page opened now would have missed (/api/snapshot). Replayed through the same
   * handlers as live messages; safe to apply again after a reconnect.
   */
  restore(snapshot) {
    if (Number.isFinite(snapshot.simNow)) this.clock.saw(snapshot.simNow)
    for (const message of snapshot.messages ?? []) if (typeof message?.topic === 'string') this.applyBody(message.topic, message.body)
    const open = new Set()
    for (const alert of snapshot.securityAlerts ?? []) {
      if (!isObject(alert) || typeof alert.id !== 'string') continue
      open.add(alert.id)
      this.securityAlerts.set(alert.id, alert)
    }
    // Alerts this page saw open that the monitor no longer holds closed while the page was away.
    for (const alert of this.securityAlerts.values()) if (alert.state === 'open' && !open.has(alert.id)) alert.state = 'closed'
    if (Number.isFinite(snapshot.securityAlertsTotal)) this.securityTotal = snapshot.securityAlertsTotal
    this.revision.security++
  }

  applyBody(topic, body) {
    const parts = topic.split('/')
    if (parts[0] === 'hospital' && parts.length === 5) this.deviceMessage(parts, body)
    else if (parts[0] === 'alerts' && (parts[1] === 'clinical' || parts[1] === 'technical')) this.alarm(body)
    else if (parts[0] === 'alerts' && parts[1] === 'news2') this.bandChange(body)
    else if (parts[0] === 'ops' && parts[1] === 'news2') this.score(body)
    else if (parts[0] === 'security' && parts[1] === 'alerts') this.securityAlert(body)
  }

  device(id, kind, ward) {
    let device = this.devices.get(id)
    if (!device) {
      device = newDevice({ id, kind, ward })
      this.devices.set(id, device)
    }
    return device
  }

  deviceMessage([, ward, kind, id, channel], body) {
    const device = this.device(id, kind, ward)
    if (channel === 'status') {
      if (isObject(body) && typeof body.state === 'string') device.status = body
      return
    }
    if (!isEnvelope(body) || body.deviceId !== id) return
    if (channel === 'telemetry') this.telemetry(device, body)
    else if (channel === 'event' && body.data.type === 'session-state' && typeof body.data.to === 'string') device.phase = body.data.to
  }

  telemetry(device, { ts, data }) {
    this.clock.saw(ts)
    const wall = performance.now()
    if (device.lastTs !== null && ts > device.lastTs) device.interval = Math.min(device.interval, ts - device.lastTs)
    device.lastTs = Math.max(device.lastTs ?? ts, ts)
    // Store-and-forward readings arrive late and out of order: a late value never replaces a newer one.
    for (const [name, value] of Object.entries(data)) {
      if (typeof value !== 'number' && typeof value !== 'string' && value !== null) continue
      const known = device.fields.get(name)
      if (!known || known.ts <= ts) device.fields.set(name, { value, ts, wall })
    }
    if (typeof data.sensor === 'string') {
      const known = device.readings.get(data.sensor)
      if (!known || known.ts <= ts) device.readings.set(data.sensor, { data, ts, wall, lateMs: this.clock.now() - ts })
    }
    const trendField = TREND_FIELD[device.kind]
    // A snapshot replays the last reading, which the page may have seen already (a reconnect).
    if (trendField && Number.isFinite(data[trendField]) && device.trend.at(-1)?.ts !== ts) {
      device.trend.push({ ts, value: data[trendField] })
      if (device.trend.length > TREND_POINTS) device.trend.shift()
    }
  }

  /** An IEC 60601-1-8 alarm condition is active from `active: true` until `active: false` for its code. */
  alarm(body) {
    if (!isEnvelope(body)) return
    const { code, priority, active, message } = body.data
    if (typeof code !== 'string' || typeof active !== 'boolean' || !['high', 'medium', 'low'].includes(priority)) return
    const device = this.device(body.deviceId, body.kind, body.context?.ward)
    // The same raise again (a snapshot after a reconnect) is not a new event.
    if (active && device.alarms.get(code)?.ts === body.ts) return
    if (active) device.alarms.set(code, { ...body.data, ts: body.ts })
    else device.alarms.delete(code)
    const where = body.context?.bed ?? body.deviceId
    this.event({ ts: body.ts, level: active ? priority : 'cleared', where, text: `${active ? '' : 'cleared: '}${String(message ?? code)}` })
  }

  bandChange(body) {
    if (!isObject(body) || typeof body.patientId !== 'string' || typeof body.to !== 'string') return
    if (!this.scores.has(body.patientId)) this.scores.set(body.patientId, { ...body, band: body.to })
    this.event({
      ts: body.ts,
      level: `news2-${body.to}`,
      where: body.bed ?? body.patientId,
      text: `NEWS2 ${body.from ?? 'first band'} → ${body.to} (now ${body.score})`,
    })
  }

  score(body) {
    if (!isObject(body) || typeof body.patientId !== 'string' || !Number.isFinite(body.score) || typeof body.band !== 'string') return
    this.scores.set(body.patientId, body)
  }

  securityAlert(body) {
    if (!isObject(body) || typeof body.id !== 'string' || typeof body.type !== 'string') return
    // The monitor counts an alert when it opens (its first message); one the snapshot already held is counted there.
    if (!this.securityAlerts.has(body.id) && body.state === 'open' && body.count === 1) this.securityTotal++
    this.securityAlerts.set(body.id, body)
    if (this.securityAlerts.size > MAX_SECURITY_ALERTS) {
      const oldestClosed = [...this.securityAlerts.values()].find((a) => a.state === 'closed')
      this.securityAlerts.delete((oldestClosed ?? this.securityAlerts.values().next().value).id)
    }
    this.revision.security++
  }

  /** What the header and the security panel both show. */
  securityCounts() {
    let open = 0
    for (const alert of this.securityAlerts.values()) if (alert.state === 'open') open++
    return { open, total: this.securityTotal }
  }

  event(entry) {
    this.events.unshift(entry)
    if (this.events.length > MAX_EVENTS) this.events.pop()
    this.revision.events++
  }
}
