/**
 * How fast a measured quantity can really change, per telemetry field name (the field names are
 * the contract's, shared by every kind that measures the quantity). A reading that moved further
 * than `noise + perSecond × Δt` since the device's previous reading did not come from a sensor on
 * a patient or a pump. Limits are deliberately loose: they must never fire on a deteriorating
 * patient, only on values no body or machine produces.
 *
 * Not listed, on purpose: heart and pulse rate (asystole or VF takes them to 0 in a beat), blood
 * pressure (a cuff cycle minutes apart; arrest collapses it in seconds), respiratory rate and
 * end-tidal CO2 (apnoea is instant), helium level (a quench is a real and fast event).
 */
export interface ChangeLimit {
  /** Change allowed whatever the interval: measurement noise and resolution. */
  noise: number
  /** Further change allowed per second between the two readings. */
  perSecond: number
  /** The quantity only ever grows (a volume delivered). */
  monotonic?: true
}

export const CHANGE_LIMITS: Readonly<Record<string, ChangeLimit>> = {
  // Oximeters average over 8–16 s; even a desaturating arrest loses SpO2 over minutes (the
  // simulator's P/F falls with a 2.5 min time constant). ±10 covers noise (sd 1–1.5 per reading).
  spo2: { noise: 10, perSecond: 2 },
  // Core temperature moves by tenths of a degree per hour in fever or sepsis; 3 °C a minute is no
  // patient. 0.6 covers a probe's 0.05 sd and 0.1 resolution.
  temperature: { noise: 0.6, perSecond: 0.05 },
  // A pump delivers at most 1,200 mL/h (0.33 mL/s, its hardware range) and never takes volume back.
  volumeInfusedMl: { noise: 0.01, perSecond: 1200 / 3600, monotonic: true },
}

export const LIMITED_FIELDS = Object.keys(CHANGE_LIMITS)
