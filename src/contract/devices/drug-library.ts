/**
 * The infusion pump's drug library ("smart pump" guardrails): per drug a standard concentration,
 * a container, and limits on the dose rate. Soft limits can be overridden by the clinician; hard
 * limits cannot (clinical.md, infusion pump). Concentrations are common UK/EU adult ICU standard
 * strengths; the limits are typical library values for adults, not a formulary — a hospital sets
 * its own. Part of the contract because a command's rate is judged by it, on the pump and by
 * whoever checks commands before they reach one (src/security/command-limits.ts).
 */

/** How a drug's dose is expressed: amount per time, optionally per kg of body weight. */
export const DOSE_UNITS = {
  'ug/kg/min': { perKg: true, perMinute: true },
  'mg/kg/h': { perKg: true, perMinute: false },
  '[iU]/h': { perKg: false, perMinute: false },
  'mg/h': { perKg: false, perMinute: false },
} as const
export type DoseUnit = keyof typeof DOSE_UNITS

/** UCUM units of the amount per mL that matches each dose unit. */
export type ConcentrationUnit = 'ug/mL' | 'mg/mL' | '[iU]/mL'

export interface Drug {
  name: string
  concentration: number
  concentrationUnit: ConcentrationUnit
  container: 'syringe' | 'bag'
  /** Container volume, the default VTBI. */
  containerMl: number
  /** A usual starting rate for a 70 kg adult. */
  usualRateMlH: number
  /** Keep-vein-open rate after the VTBI is done (clinical.md: KVO 0.1–20 mL/h). */
  kvoMlH: number
  /** What the limits apply to: a dose rate, or the flow itself for plain fluids. */
  limitUnit: DoseUnit | 'mL/h'
  softMax: number
  hardMax: number
}

export const DRUGS = {
  // 4 mg in 50 mL (80 ug/mL). Usual 0.01–0.5 ug/kg/min; above 1 ug/kg/min is "high-dose"
  // refractory shock, so that is the soft limit.
  noradrenaline: {
    name: 'Noradrenaline',
    concentration: 80,
    concentrationUnit: 'ug/mL',
    container: 'syringe',
    containerMl: 50,
    usualRateMlH: 5,
    kvoMlH: 0.5,
    limitUnit: 'ug/kg/min',
    softMax: 1,
    hardMax: 3,
  },
  // 1 % (10 mg/mL). ICU sedation 0.3–4 mg/kg/h; above 4 mg/kg/h risks propofol infusion syndrome.
  propofol: {
    name: 'Propofol 1%',
    concentration: 10,
    concentrationUnit: 'mg/mL',
    container: 'syringe',
    containerMl: 50,
    usualRateMlH: 14,
    kvoMlH: 0.5,
    limitUnit: 'mg/kg/h',
    softMax: 4,
    hardMax: 6,
  },
  // 25,000 units in 50 mL. Weight-based nomogram starts at 18 units/kg/h (about 1,000–2,000 units/h).
  heparin: {
    name: 'Heparin',
    concentration: 500,
    concentrationUnit: '[iU]/mL',
    container: 'syringe',
    containerMl: 50,
    usualRateMlH: 2,
    kvoMlH: 0.1,
    limitUnit: '[iU]/h',
    softMax: 2000,
    hardMax: 4000,
  },
  // 50 units soluble insulin in 50 mL. Variable-rate IV insulin 0.5–6 units/h; DKA 0.1 units/kg/h.
  insulin: {
    name: 'Insulin (soluble)',
    concentration: 1,
    concentrationUnit: '[iU]/mL',
    container: 'syringe',
    containerMl: 50,
    usualRateMlH: 2,
    kvoMlH: 0.1,
    limitUnit: '[iU]/h',
    softMax: 15,
    hardMax: 30,
  },
  // 50 mg in 50 mL. Continuous ICU analgesia 1–10 mg/h.
  morphine: {
    name: 'Morphine',
    concentration: 1,
    concentrationUnit: 'mg/mL',
    container: 'syringe',
    containerMl: 50,
    usualRateMlH: 2,
    kvoMlH: 0.1,
    limitUnit: 'mg/h',
    softMax: 10,
    hardMax: 20,
  },
  // 0.9 % sodium chloride (9 mg/mL) 1 L bag on a large-volume pump. Maintenance 80–125 mL/h;
  // faster than 500 mL/h is a bolus that deserves a second look.
  'sodium-chloride-0.9': {
    name: 'Sodium chloride 0.9%',
    concentration: 9,
    concentrationUnit: 'mg/mL',
    container: 'bag',
    containerMl: 1000,
    usualRateMlH: 100,
    kvoMlH: 5,
    limitUnit: 'mL/h',
    softMax: 500,
    hardMax: 1000,
  },
} as const satisfies Record<string, Drug>

export type DrugId = keyof typeof DRUGS
export const DRUG_IDS = Object.keys(DRUGS) as [DrugId, ...DrugId[]]

/** The quantity the library limits apply to, for a flow of `rateMlH` into a patient of `weightKg`. */
export function limitedQuantity(drug: Drug, rateMlH: number, weightKg: number): number {
  if (drug.limitUnit === 'mL/h') return rateMlH
  const unit = DOSE_UNITS[drug.limitUnit]
  const amountPerHour = rateMlH * drug.concentration
  return amountPerHour / (unit.perMinute ? 60 : 1) / (unit.perKg ? weightKg : 1)
}

/** Dose rate in the drug's dose unit, or null for plain fluids that have none. */
export function doseRate(drug: Drug, rateMlH: number, weightKg: number): number | null {
  return drug.limitUnit === 'mL/h' ? null : limitedQuantity(drug, rateMlH, weightKg)
}

export type LimitCheck = { allowed: true; softOverridden: boolean } | { allowed: false; reason: string }

/**
 * Guardrail check of a new rate: refused beyond the hard limit whatever the override, refused
 * beyond the soft limit unless the clinician confirmed the override.
 */
export function checkRate(drug: Drug, rateMlH: number, weightKg: number, override: boolean): LimitCheck {
  const quantity = limitedQuantity(drug, rateMlH, weightKg)
  // Shown to three decimals, as the pump's display rounds it.
  const shown = `${rateMlH} mL/h = ${Math.round(quantity * 1000) / 1000} ${drug.limitUnit}`
  if (quantity > drug.hardMax) {
    return { allowed: false, reason: `${shown} exceeds the hard limit of ${drug.hardMax} ${drug.limitUnit} for ${drug.name}` }
  }
  if (quantity > drug.softMax && !override) {
    return { allowed: false, reason: `${shown} exceeds the soft limit of ${drug.softMax} ${drug.limitUnit} for ${drug.name}; confirm with override` }
  }
  return { allowed: true, softOverridden: quantity > drug.softMax }
}
