import { z } from 'zod'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Simulated durations as people write them: `90s`, `15m`, `2h`, `1h30m`, `250ms`, or a number of
 * seconds. Parsed to milliseconds.
 */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value * 1000
  const text = value.trim()
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.replace(/\s+/g, '')) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration: write e.g. 90s, 15m, 2h, 1h30m or a number of seconds` })
    return z.NEVER
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0)
})

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('')
}
