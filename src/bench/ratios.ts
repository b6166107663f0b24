/** One measured figure of one variant in one round. */
export interface RoundFigure {
  round: number
  variant: string
  value: number
}

export interface RatioSummary {
  /** `variant / baseline`, e.g. pipeline=on / pipeline=off. */
  variant: string
  baseline: string
  /** One ratio per round, paired within the round. */
  perRound: number[]
  median: number
  min: number
  max: number
  /** (max − min) / median, in percent: how far the rounds disagree. */
  spreadPct: number
}

/**
 * Ratios of each variant to the baseline, paired round by round. Absolute rates drift on a shared
 * machine (another job, thermal limits, the page cache); two variants measured back to back in the
 * same round drift together, so their ratio holds where the absolute figures do not. The median
 * of the rounds is the figure; the spread says how much to trust it.
 */
export function ratiosToBaseline(figures: readonly RoundFigure[], baseline: string): RatioSummary[] {
  const rounds = [...new Set(figures.map((f) => f.round))].sort((a, b) => a - b)
  const variants = [...new Set(figures.map((f) => f.variant))].filter((v) => v !== baseline)
  const figureOf = (roundNo: number, variant: string) => figures.find((f) => f.round === roundNo && f.variant === variant)?.value
  return variants.map((variant) => {
    const perRound: number[] = []
    for (const round of rounds) {
      const base = figureOf(round, baseline)
      const value = figureOf(round, variant)
      if (base !== undefined && value !== undefined && base > 0) perRound.push(value / base)
    }
    const sorted = [...perRound].sort((a, b) => a - b)
    const median = medianOf(sorted)
    const min = sorted[0] ?? NaN
    const max = sorted[sorted.length - 1] ?? NaN
    return { variant, baseline, perRound, median, min, max, spreadPct: median > 0 ? ((max - min) / median) * 100 : NaN }
  })
}

/**
 * The order variants run in each round: ABBA alternation (A B, then B A, ...), so neither variant
 * always runs first, on a colder or a warmer machine.
 */
export function roundOrder<T>(variants: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...variants] : [...variants].reverse()
}

function medianOf(sorted: readonly number[]): number {
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
