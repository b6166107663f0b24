import { NEWS2_BANDS, type News2Band } from './news2.ts'

/**
 * When a continuously monitored patient's NEWS2 risk band has really changed. A score computed
 * from second-by-second numerics flickers at every band edge (a respiratory rate of 24/25 scores
 * 2/3 breath by breath), so announcing each flip would flood the alert stream, and waiting for one
 * band to hold unbroken would never announce a patient flickering between medium and high.
 *
 * Instead the band announced is the one the patient has *sustained* over the last `windowMs`:
 * escalate to the lowest band seen during the window once that is above the announced one,
 * de-escalate to the highest band seen once that is below it. A patient scoring 5–8 for a minute
 * is announced as medium, then as high once every reading of a minute scores ≥ 7.
 */
export class BandConfirmation {
  private readonly windowMs: number
  private readonly patients = new Map<string, { since: number; history: { at: number; rank: number }[]; announced: number | null }>()

  constructor(windowMs: number) {
    this.windowMs = windowMs
  }

  /** Records the band at `at` and returns the change to announce now, if any. */
  observe(patientId: string, band: News2Band, at: number): { from: News2Band | null; to: News2Band } | null {
    let state = this.patients.get(patientId)
    if (!state) {
      state = { since: at, history: [], announced: null }
      this.patients.set(patientId, state)
    }
    const history = state.history
    history.push({ at, rank: NEWS2_BANDS.indexOf(band) })
    // Keep one reading from before the window: its band was in force when the window opened.
    while (history.length > 2 && history[1]!.at <= at - this.windowMs) history.shift()
    if (at - state.since < this.windowMs) return null
    let lowest = Infinity
    let highest = -Infinity
    for (const entry of history) {
      if (entry.rank < lowest) lowest = entry.rank
      if (entry.rank > highest) highest = entry.rank
    }
    const current = state.announced
    const next = current === null || lowest > current ? lowest : Math.min(highest, current)
    if (next === current) return null
    state.announced = next
    return { from: current === null ? null : NEWS2_BANDS[current]!, to: NEWS2_BANDS[next]! }
  }
}
