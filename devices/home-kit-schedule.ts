import type { MealContext } from '../src/contract/devices/hospital-at-home-kit.ts'
import { MEAL_HOURS } from '../src/simulation/physiology/daily-rhythm.ts'
import { hashUnit } from '../src/util/hash.ts'

/**
 * When a hospital-at-home patient takes readings: a wearable oximeter every 5 min, a BP cuff a few
 * times a day and capillary glucose around meals. Times vary by patient and day, and now and then
 * a reading is skipped, as at home. A pure function of the kit's key and the time window, so the
 * plan never depends on how often the gateway wakes up.
 */

export type PlannedReading =
  | { sensor: 'pulse-oximeter'; at: number }
  | { sensor: 'bp-cuff'; at: number }
  | { sensor: 'glucometer'; at: number; mealContext: MealContext }

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const OXIMETER_EVERY = 5 * MINUTE

const [BREAKFAST, LUNCH, DINNER] = MEAL_HOURS

/** Daily spot checks: UTC hour, how far the patient strays from it, and the meal context. */
type DailyCheck =
  | { sensor: 'bp-cuff'; hour: number; jitterMinutes: number }
  | { sensor: 'glucometer'; hour: number; jitterMinutes: number; mealContext: MealContext }

const DAILY_CHECKS: readonly DailyCheck[] = [
  { sensor: 'glucometer', hour: BREAKFAST - 0.5, jitterMinutes: 15, mealContext: 'fasting' },
  { sensor: 'bp-cuff', hour: 8, jitterMinutes: 30 },
  { sensor: 'bp-cuff', hour: 13, jitterMinutes: 30 },
  // Two hours after the start of a meal, the usual post-prandial check.
  { sensor: 'glucometer', hour: LUNCH + 2, jitterMinutes: 15, mealContext: 'after-meal' },
  { sensor: 'glucometer', hour: DINNER - 0.5, jitterMinutes: 15, mealContext: 'before-meal' },
  { sensor: 'bp-cuff', hour: 20, jitterMinutes: 30 },
  { sensor: 'glucometer', hour: 22, jitterMinutes: 15, mealContext: 'bedtime' },
]
/** Share of spot checks a patient forgets. */
const MISSED = 0.05

/** Readings due in (`after`, `until`], oldest first. */
export function readingsDue(key: number, after: number, until: number): PlannedReading[] {
  const due: PlannedReading[] = []
  for (let k = Math.floor(after / OXIMETER_EVERY) + 1; k * OXIMETER_EVERY <= until; k++) due.push({ sensor: 'pulse-oximeter', at: k * OXIMETER_EVERY })
  // A check may stray past midnight by its jitter, so look at the day before too.
  for (let day = Math.floor(after / DAY) - 1; day * DAY <= until; day++) {
    DAILY_CHECKS.forEach((check, slot) => {
      const index = day * DAILY_CHECKS.length + slot
      if (hashUnit(key, 2 * index) < MISSED) return
      const jitter = (hashUnit(key, 2 * index + 1) * 2 - 1) * check.jitterMinutes * MINUTE
      const at = Math.round(day * DAY + check.hour * HOUR + jitter)
      if (at <= after || at > until) return
      due.push(check.sensor === 'glucometer' ? { sensor: 'glucometer', at, mealContext: check.mealContext } : { sensor: 'bp-cuff', at })
    })
  }
  return due.sort((a, b) => a.at - b.at)
}
