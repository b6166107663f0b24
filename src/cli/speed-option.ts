import { WardlabError } from '../util/errors.ts'

/** `--speed N|max`: simulated (or capture) seconds per wall second, or `max` for a virtual clock run as fast as the machine allows. */
export function parseSpeed(command: string, text: string | undefined): number | 'max' | undefined {
  if (text === undefined) return undefined
  if (text === 'max') return 'max'
  const speed = Number(text)
  if (!(speed > 0)) throw new WardlabError('WL_USAGE', `wardlab ${command}: --speed must be a positive number or max, got "${text}"`)
  return speed
}
